"""Keras -> SavedModel -> ONNX (opset 13) -> int8 per-channel weights behind DequantizeLinear,
then verification against the golden probabilities. Called by regenerate.sh."""

import argparse
import json
import pathlib
import subprocess
import sys

import numpy as np


def export_onnx(keras_path: pathlib.Path, work: pathlib.Path) -> pathlib.Path:
    import keras

    model = keras.models.load_model(keras_path, compile=False)
    saved = work / "saved_model"
    # Going through a SavedModel keeps the normalisation constants inside the graph.
    model.export(str(saved), format="tf_saved_model")
    f32 = work / "sklesion_f32.onnx"
    subprocess.run(
        [sys.executable, "-m", "tf2onnx.convert", "--saved-model", str(saved), "--opset", "13", "--output", str(f32)],
        check=True,
    )
    return f32


# Weights smaller than this stay float32 (the bundled file leaves the first conv, one depthwise conv
# and the metadata branch's first Dense in float: 864, 576 and 224 values).
MIN_ELEMENTS = 1024


def quantise_weights(src: pathlib.Path, dst: pathlib.Path) -> None:
    """Conv/MatMul weight initializers with >= MIN_ELEMENTS values -> int8 per output channel
    (symmetric, scale = max/127)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    new_nodes = []
    for node in graph.node:
        if node.op_type in ("Conv", "MatMul") and len(node.input) > 1 and node.input[1] in inits:
            name = node.input[1]
            w = numpy_helper.to_array(inits[name]).astype(np.float32)
            if w.size < MIN_ELEMENTS:
                new_nodes.append(node)
                continue
            axis = 0 if node.op_type == "Conv" else w.ndim - 1
            reduce_axes = tuple(a for a in range(w.ndim) if a != axis)
            scale = np.abs(w).max(axis=reduce_axes) / 127.0
            scale[scale == 0] = 1.0
            shape = [1] * w.ndim
            shape[axis] = -1
            q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
            graph.initializer.remove(inits[name])
            graph.initializer.extend(
                [
                    numpy_helper.from_array(q, name + "_q"),
                    numpy_helper.from_array(scale.astype(np.float32), name + "_scale"),
                    numpy_helper.from_array(np.zeros(scale.shape, np.int8), name + "_zero"),
                ]
            )
            new_nodes.append(
                helper.make_node(
                    "DequantizeLinear", [name + "_q", name + "_scale", name + "_zero"], [name], axis=axis, name=name + "_dq"
                )
            )
        new_nodes.append(node)
    del graph.node[:]
    graph.node.extend(new_nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def verify(onnx_path: pathlib.Path, golden: pathlib.Path) -> float:
    import onnxruntime as ort

    expected = json.loads((golden / "expected_w8.json").read_text())
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    meta = np.array([[0, 0, 1, 0, 0, 0, 0, 1, 51.9 / 90.0, 1]], np.float32)
    worst = 0.0
    tensors = sorted((golden / "tensors").glob("*.f32"))
    if not tensors:
        raise SystemExit("no golden tensors")
    for t in tensors:
        name = t.name[: -len(".f32")]
        x = np.fromfile(t, "<f4").reshape(1, 254, 254, 3)
        probs = session.run(["output_0"], {"input_layer_2": x, "input_layer_3": meta})[0][0]
        want = np.array(list(expected[name]["probabilities"].values()), np.float32)
        diff = float(np.abs(probs - want).max())
        worst = max(worst, diff)
        print(f"{name:<24} max |diff| {diff:.2e}")
    if worst > 1e-3:
        raise SystemExit(f"regenerated model differs from golden outputs by {worst}")
    return worst


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keras", type=pathlib.Path, required=True)
    ap.add_argument("--work", type=pathlib.Path, required=True)
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--golden", type=pathlib.Path, required=True)
    args = ap.parse_args()
    f32 = export_onnx(args.keras, args.work)
    tmp = args.work / "sklesion_w8.onnx"
    quantise_weights(f32, tmp)
    worst = verify(tmp, args.golden)
    tmp.replace(args.out)
    print(f"ok: {args.out} matches golden outputs (max |diff| {worst:.2e})")


if __name__ == "__main__":
    main()
