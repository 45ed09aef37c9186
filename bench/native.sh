#!/usr/bin/env bash
# Native benchmark, side by side in one run: vibe-opsy (tract) vs onnxruntime (PyPI) on the bundled
# model and the same input, rounds interleaved so both see the same machine load.
#   bench/native.sh [ROUNDS] [RUNS]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
rounds="${1:-3}"; runs="${2:-20}"
image="$ROOT/samples/lesion_7_2.png"
tensor="$ROOT/models/golden/tensors/lesion_7_2.png.f32"   # TensorFlow's preprocessing of that image
venv="$ROOT/bench/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet onnxruntime numpy
fi
cargo build --quiet --bin vibe-opsy
bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/vibe-opsy"
out="$(mktemp)"
for r in $(seq "$rounds"); do
  "$bin" bench --json --runs "$runs" "$image" | sed 's/^/tract /' >> "$out"
  "$venv/bin/python" bench/onnxruntime_native.py --model models/sklesion_w8.onnx --tensor "$tensor" --runs "$runs" --threads 1 | sed 's/^/ort1 /' >> "$out"
done
"$venv/bin/python" - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    tag, js = line.split(" ", 1)
    rows.setdefault(tag, []).append(json.loads(js))
med = lambda tag, key: statistics.median(r[key] for r in rows[tag])
t_load = med("tract", "parse_ms") + med("tract", "optimize_ms")
o_load = med("ort1", "session_ms")
print(f"{'':28}{'tract (ours)':>14}{'onnxruntime 1t':>16}{'ratio':>8}")
print(f"{'load + optimise (ms)':28}{t_load:14.0f}{o_load:16.0f}{t_load / o_load:8.2f}")
print(f"{'first inference (ms)':28}{med('tract', 'first_inference_ms'):14.0f}{med('ort1', 'first_inference_ms'):16.0f}{med('tract', 'first_inference_ms') / med('ort1', 'first_inference_ms'):8.2f}")
ti, oi = med("tract", "inference_median_ms"), med("ort1", "inference_median_ms")
print(f"{'warm inference median (ms)':28}{ti:14.1f}{oi:16.1f}{ti / oi:8.2f}")
print(f"{'preprocess median (ms)':28}{med('tract', 'preprocess_median_ms'):14.1f}{'-':>16}")
print(f"(medians of {len(rows['tract'])} interleaved rounds; {rows['ort1'][0]['runtime']})")
PY
