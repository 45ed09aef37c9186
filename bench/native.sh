#!/usr/bin/env bash
# Native benchmark, side by side in one run: vibe-opsy (tract) vs onnxruntime (PyPI) on the bundled
# model and the same input, rounds interleaved so both see the same machine load.
#   bench/native.sh [ROUNDS] [RUNS] [FLOAT32_MODEL]
# With FLOAT32_MODEL (the same network with float32 weights: the sklesion_f32.onnx that
# models/regenerate.sh writes to its work dir before quantising),
# both engines also load and run that file in the same rounds: onnxruntime's session is fast on the
# int8 file because it leaves the weights quantised and dequantises them at every run, so this shows
# each engine's load and inference given the same work (float32 weights to prepare at load).
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
rounds="${1:-3}"; runs="${2:-20}"; float32="${3:-}"
image="$ROOT/samples/lesion_7_2.png"
tensor="$ROOT/models/golden/tensors/lesion_7_2.png.f32"   # TensorFlow's preprocessing of that image
venv="$ROOT/bench/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet onnxruntime numpy
fi
# The binary users run (scripts/run.sh, the Dockerfile): release.
cargo build --quiet --release --bin vibe-opsy
bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/vibe-opsy"
cores="$(nproc)"
out="$(mktemp)"
if [ -n "$float32" ]; then
  # Our engine takes a manifest: the bundled one, pointed at the float32 file.
  fdir="$(mktemp -d)"
  ln -s "$(realpath "$float32")" "$fdir/model.onnx"
  sed -e 's/"model_file": *"[^"]*"/"model_file": "model.onnx"/' \
      -e "s/\"sha256\": *\"[0-9a-f]*\"/\"sha256\": \"$(sha256sum "$float32" | cut -d' ' -f1)\"/" \
      models/sklesion.manifest.json > "$fdir/sklesion.manifest.json"
fi
for r in $(seq "$rounds"); do
  "$bin" bench --json --threads "$cores" --runs "$runs" "$image" | sed 's/^/tractN /' >> "$out"
  "$venv/bin/python" bench/onnxruntime_native.py --model models/sklesion_w8.onnx --tensor "$tensor" --runs "$runs" --threads "$cores" | sed 's/^/ortN /' >> "$out"
  "$bin" bench --json --threads 1 --runs "$runs" "$image" | sed 's/^/tract1 /' >> "$out"
  "$venv/bin/python" bench/onnxruntime_native.py --model models/sklesion_w8.onnx --tensor "$tensor" --runs "$runs" --threads 1 | sed 's/^/ort1 /' >> "$out"
  if [ -n "$float32" ]; then
    for n in "$cores" 1; do
      t="$([ "$n" = 1 ] && echo 1 || echo N)"
      "$bin" bench --json --model "$fdir/sklesion.manifest.json" --threads "$n" --runs "$runs" "$image" | sed "s/^/tract${t}f /" >> "$out"
      "$venv/bin/python" bench/onnxruntime_native.py --model "$float32" --tensor "$tensor" --runs "$runs" --threads "$n" | sed "s/^/ort${t}f /" >> "$out"
    done
  fi
done
"$venv/bin/python" - "$out" "$cores" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    tag, js = line.split(" ", 1)
    rows.setdefault(tag, []).append(json.loads(js))
cores = sys.argv[2]
med = lambda tag, key: statistics.median(r[key] for r in rows[tag])
def header():
    print(f"| | ours, {cores} threads | onnxruntime, {cores} threads | ratio | ours, 1 thread | onnxruntime, 1 thread | ratio |")
    print("|---|---|---|---|---|---|---|")
header()
def line(name, ours, theirs, suffix=""):
    cells = []
    for n in (cores, "1"):
        t, o = ours(f"tract{'N' if n != '1' else '1'}{suffix}"), theirs(f"ort{'N' if n != '1' else '1'}{suffix}")
        cells += [f"{t:.1f} ms", f"{o:.1f} ms", f"**{t / o:.2f}**"]
    print(f"| {name} | " + " | ".join(cells) + " |")
line("load + optimise", lambda t: med(t, "parse_ms") + med(t, "optimize_ms"), lambda o: med(o, "session_ms"))
line("first inference", lambda t: med(t, "first_inference_ms"), lambda o: med(o, "first_inference_ms"))
line("warm inference (median)", lambda t: med(t, "inference_median_ms"), lambda o: med(o, "inference_median_ms"))
if "tract1f" in rows:
    print(f"\nThe float32 model (same network, weights float32: both engines prepare them at load):\n")
    header()
    line("load + optimise", lambda t: med(t, "parse_ms") + med(t, "optimize_ms"), lambda o: med(o, "session_ms"), "f")
    line("warm inference (median)", lambda t: med(t, "inference_median_ms"), lambda o: med(o, "inference_median_ms"), "f")
print(f"\n(ours: release build, our preprocessing {med('tract1', 'preprocess_median_ms'):.1f} ms not included; medians of "
      f"{len(rows['tract1'])} interleaved rounds; {rows['ort1'][0]['runtime']})")
PY
