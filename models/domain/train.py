#!/usr/bin/env python3
"""Fits the out-of-domain check of the bundled model and writes it into models/sklesion.manifest.json
(section "domain_check"). Developer tool, not run by CI; needs numpy, pillow, scikit-learn, onnx, onnxruntime.

What it fits: a logistic regression over
  - the network's own penultimate features (Xception's 2048 global-average-pooled activations, L2-normalised),
  - eight colour/composition statistics of the 254x254 model input (src/classifier/domain.rs computes the same),
with in-domain = the 35 real HAM10000 images of tests/fixtures/reference/dermoscopy plus 11 photometric and
geometric variants of each (vignette, zoom, flip, light, colour cast, blur, low resolution), the colour
synthetic lesions of tests/fixtures/reference/images, and lesion-like images from lesion_like.py (seeds
0-199); out-of-domain = the photos of tests/fixtures/domain/photos.csv whose split is "tune". Held-out photos
and lesion-like seeds >= 1000 are never seen here.

  python3 models/domain/train.py            # writes the manifest, prints the cross-validated margins
"""
import csv, json, os, sys
import numpy as np
import onnx, onnxruntime as ort
from PIL import Image, ImageFilter, ImageOps
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
from lesion_like import make as make_lesion  # noqa: E402

MANIFEST = os.path.join(ROOT, 'models', 'sklesion.manifest.json')
FEATURE = 'StatefulPartitionedCall/functional_2_1/xception_1/global_average_pooling2d_1/Mean_Squeeze__631'
C = float(os.environ.get('DOMAIN_C', '0.1'))
STATS = ['red_dominant', 'warm_ordered', 'near_black', 'vivid', 'hard_edges', 'centre_minus_border',
         'colourfulness', 'mean_saturation']


def resize(a, oh=254, ow=254):
    """tf.image.resize bilinear, half-pixel centres, no antialiasing (as src/classifier/preprocess.rs)."""
    a = a.astype(np.float64)
    h, w = a.shape[:2]

    def coords(o, i):
        s = np.clip((np.arange(o) + 0.5) * i / o - 0.5, 0, i - 1)
        f = np.floor(s).astype(int)
        return f, np.minimum(f + 1, i - 1), s - f
    yf, yc, yt = coords(oh, h)
    xf, xc, xt = coords(ow, w)
    top = a[yf][:, xf] * (1 - xt)[None, :, None] + a[yf][:, xc] * xt[None, :, None]
    bot = a[yc][:, xf] * (1 - xt)[None, :, None] + a[yc][:, xc] * xt[None, :, None]
    return top * (1 - yt)[:, None, None] + bot * yt[:, None, None]


def image_stats(x):
    """The eight statistics, in STATS order, of a float [254,254,3] image in 0..255 (see src/classifier/domain.rs)."""
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    mx, mn = x.max(-1), x.min(-1)
    sat = (mx - mn) / (mx + 1.0)
    gray = x.mean(-1)
    dx = np.abs(np.diff(gray, axis=1))
    dy = np.abs(np.diff(gray, axis=0))
    h, w = gray.shape
    centre = gray[h // 4:3 * h // 4, w // 4:3 * w // 4].mean()
    e = h // 8
    ring = np.ones((h, w), bool)
    ring[e:h - e, e:w - e] = False
    rg = r - g
    yb = 0.5 * (r + g) - b
    colourful = np.sqrt(rg.var() + yb.var()) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return np.array([
        ((r >= g) & (r >= b)).mean(),
        ((r >= g) & (g + 8 >= b) & (r >= b)).mean(),
        (mx < 30).mean(),
        (sat > 0.75).mean(),
        ((dx > 40).sum() + (dy > 40).sum()) / (dx.size + dy.size),
        (centre - gray[ring].mean()) / 255,
        colourful / 100,
        sat.mean(),
    ])


class Network:
    def __init__(self, manifest):
        m = onnx.load(os.path.join(ROOT, 'models', manifest['model_file']))
        m.graph.output.append(onnx.helper.make_tensor_value_info(FEATURE + ':0', onnx.TensorProto.FLOAT, None))
        self.sess = ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider'])
        self.meta = np.array([[0, 0, 1, 0, 0, 0, 0, 1, 51.9 / 90, 1]], np.float32)

    def features(self, rgb):
        x = resize(rgb)
        probs, gap = self.sess.run(None, {'input_layer_2': x.astype(np.float32)[None], 'input_layer_3': self.meta})
        g = gap[0].astype(np.float64)
        return np.concatenate([g / max(np.linalg.norm(g), 1e-12), image_stats(x)])


def load(path):
    im = ImageOps.exif_transpose(Image.open(path))
    if im.mode.startswith('I'):
        im = Image.fromarray((np.array(im) / 257).astype(np.uint8))
    return np.array(im.convert('RGB'))


def vignette(a, radius):
    h, w = a.shape[:2]
    yy, xx = np.mgrid[:h, :w]
    r = np.hypot((yy - h / 2) / (h / 2), (xx - w / 2) / (h / 2))
    m = np.clip((radius - r) / 0.05, 0, 1)[..., None]
    return (a * m + a * 0.03 * (1 - m)).astype(np.uint8)


def variants(a):
    h, w = a.shape[:2]
    im = Image.fromarray(a)
    c = 0.6
    yield np.ascontiguousarray(np.rot90(a[:, ::-1]))
    yield a[int(h * (1 - c) / 2):int(h * (1 + c) / 2), int(w * (1 - c) / 2):int(w * (1 + c) / 2)]
    yield vignette(a, 0.95)
    yield vignette(a[int(h * 0.1):int(h * 0.9), int(w * 0.1):int(w * 0.9)], 0.9)
    yield np.clip(a * 0.7, 0, 255).astype(np.uint8)
    yield np.clip((a / 255.0) ** 0.7 * 255 * 1.05, 0, 255).astype(np.uint8)
    yield np.clip(a * np.array([1.06, 1.0, 0.88]), 0, 255).astype(np.uint8)
    yield np.clip(a * np.array([0.9, 1.0, 1.1]), 0, 255).astype(np.uint8)
    yield np.array(im.filter(ImageFilter.GaussianBlur(2.5)))
    yield np.array(im.resize((w // 5, h // 5), Image.BILINEAR).resize((w, h), Image.BILINEAR))
    yield (a * 0.6 + a.mean(-1, keepdims=True) * 0.4).astype(np.uint8)


def jpeg_roundtrip(im):
    import io
    buf = io.BytesIO()
    im.thumbnail((480, 480), Image.LANCZOS)
    im.save(buf, 'JPEG', quality=88)
    return np.array(Image.open(buf).convert('RGB'))


def main():
    manifest = json.load(open(MANIFEST))
    cache = os.environ.get('DOMAIN_CACHE')
    if cache and os.path.exists(cache):
        z = np.load(cache)
        return fit_and_write(manifest, z['X_in'], z['X_out'], z['groups'], sorted(set(z['groups']) - {'synthetic', 'lesion_like'}))
    net = Network(manifest)
    fx = os.path.join(ROOT, 'tests', 'fixtures')
    derm = sorted(f for f in os.listdir(os.path.join(fx, 'reference', 'dermoscopy')) if f.endswith('.jpg'))
    X_in, groups = [], []
    for f in derm:
        a = load(os.path.join(fx, 'reference', 'dermoscopy', f))
        for v in [a, *variants(a)]:
            X_in.append(net.features(v))
            groups.append(f)
    synth = ['lesion_7_0.jpg', 'lesion_7_1.jpg', 'lesion_7_2.png', 'lesion_7_3.jpg', 'lesion_7_4.jpg', 'lesion_7_5.png',
             'v_7.bmp', 'v_7_large.jpg', 'v_7_palette.gif', 'v_7_tiny.png']
    for f in synth:
        X_in.append(net.features(load(os.path.join(fx, 'reference', 'images', f))))
        groups.append('synthetic')
    for s in range(200):
        X_in.append(net.features(jpeg_roundtrip(make_lesion(s))))
        groups.append('lesion_like')
    rows = list(csv.DictReader(open(os.path.join(fx, 'domain', 'photos.csv'))))
    tune = [r for r in rows if r['split'] == 'tune']
    X_out = [net.features(load(os.path.join(fx, 'domain', 'photos', r['file']))) for r in tune]
    X_in, X_out = np.array(X_in), np.array(X_out)
    if os.environ.get('DOMAIN_CACHE'):
        np.savez(os.environ['DOMAIN_CACHE'], X_in=X_in, X_out=X_out, groups=np.array(groups))
    groups = np.array(groups)
    fit_and_write(manifest, X_in, X_out, groups, derm)


def fit_and_write(manifest, X_in, X_out, groups, derm):
    def fit(xi, xo):
        X = np.vstack([xi, xo])
        y = np.r_[np.ones(len(xi)), np.zeros(len(xo))]
        mu, sd = X.mean(0), X.std(0) + 1e-6
        clf = LogisticRegression(C=C, max_iter=10000, class_weight='balanced').fit((X - mu) / sd, y)
        w = clf.coef_[0] / sd
        return w, clf.intercept_[0] - (w * mu).sum()

    # Cross-validated margins on the real images: each image (with its variants) scored by a fit without it.
    real = [f for f in derm]
    cv_scores = {}
    folds = 5
    for k in range(folds):
        held = set(real[k::folds])
        keep = np.array([g not in held for g in groups])
        w, b = fit(X_in[keep], X_out)
        for i in np.where(~keep)[0]:
            cv_scores.setdefault(groups[i], []).append(float(X_in[i] @ w + b))
    cv_real = np.array([v[0] for v in cv_scores.values()])
    cv_all = np.array([s for v in cv_scores.values() for s in v])

    w, b = fit(X_in, X_out)
    s_in = X_in @ w + b
    s_out = X_out @ w + b
    # The threshold sits below every cross-validated real image (and its variants' 1st percentile) with a margin,
    # and below every in-domain training score: photos pay for the doubt, dermatoscopic images never do.
    threshold = float(min(cv_real.min() - 1.0, np.quantile(cv_all, 0.01), s_in.min()) )
    print(f'cross-validated real images: min {cv_real.min():.2f} median {np.median(cv_real):.2f}; '
          f'their variants 1st pct {np.quantile(cv_all, 0.01):.2f}')
    print(f'training in-domain min {s_in.min():.2f}; tune photos max {s_out.max():.2f}; threshold {threshold:.2f}; '
          f'tune photos flagged {(s_out < threshold).mean():.3f}')
    manifest['domain_check'] = {
        'description': 'Logistic regression over the L2-normalised penultimate features and image statistics; '
                       'fitted by models/domain/train.py. Below the threshold the image is out of domain.',
        'feature_output': FEATURE,
        'image_stats': STATS,
        'weights': [float(f'{v:.6g}') for v in w],
        'bias': float(f'{b:.6g}'),
        'threshold': float(f'{threshold:.4g}'),
    }
    with open(MANIFEST, 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
