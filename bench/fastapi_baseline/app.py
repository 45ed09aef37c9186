"""The design vibe-opsy's server replaces: FastAPI + onnxruntime, same model, same preprocessing
(PIL decode, EXIF orientation, RGB, TensorFlow-style bilinear half-pixel resize to 254x254, raw 0..255).
Kept only for the side-by-side load test; not shipped."""

import io
import os

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, File, HTTPException, UploadFile
from PIL import Image, ImageOps

MODEL = os.environ.get("MODEL", "models/sklesion_w8.onnx")
CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
MALIGNANT = {"akiec", "bcc", "mel"}
META = np.array([[0, 0, 1, 0, 0, 0, 0, 1, 51.9 / 90.0, 1]], np.float32)

opts = ort.SessionOptions()
opts.intra_op_num_threads = int(os.environ.get("ORT_THREADS", "1"))
session = ort.InferenceSession(MODEL, opts, providers=["CPUExecutionProvider"])
app = FastAPI()


def resize_half_pixel(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    in_h, in_w = img.shape[:2]

    def axis(n_in, n_out):
        src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = np.floor(src).astype(np.int64)
        return lo, np.minimum(lo + 1, n_in - 1), (src - lo)

    y0, y1, wy = axis(in_h, out_h)
    x0, x1, wx = axis(in_w, out_w)
    img = img.astype(np.float64)
    top = img[y0][:, x0] + (img[y0][:, x1] - img[y0][:, x0]) * wx[None, :, None]
    bottom = img[y1][:, x0] + (img[y1][:, x1] - img[y1][:, x0]) * wx[None, :, None]
    return (top + (bottom - top) * wy[:, None, None]).astype(np.float32)


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/inference")
def inference(file: UploadFile = File(...)):
    try:
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(file.file.read()))).convert("RGB")
    except Exception as e:  # noqa: BLE001
        raise HTTPException(400, f"bad image: {e}")
    x = resize_half_pixel(np.asarray(image), 254, 254)[None]
    probs = session.run(["output_0"], {"input_layer_2": x, "input_layer_3": META})[0][0]
    top = int(np.argmax(probs))
    return {
        "class": CLASSES[top],
        "confidence": float(probs[top]),
        "is_cancer": CLASSES[top] in MALIGNANT,
        "probabilities": {c: float(p) for c, p in zip(CLASSES, probs)},
    }
