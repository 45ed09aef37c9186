#!/usr/bin/env bash
# Rebuilds models/sklesion_w8.onnx from the PyPI wheel sklesion 0.2.2 and verifies it against the
# golden outputs in models/golden/. Offline-capable with a PyPI mirror; needs ~1.5 GB for the venv.
#
#   models/regenerate.sh            # writes models/sklesion_w8.onnx (and a float32 copy in the work dir)
#   WORK=/tmp/sk OUT=/tmp/sk/check.onnx models/regenerate.sh   (verify only, leave models/ alone)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/vibe-opsy-regenerate}"
wheel_sha=a4ef0ebc99c6b0a7e1e55b1a0c3ba418f0d6d6cfdffd18a7dd414460a0f671b0
mkdir -p "$work"

if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --upgrade pip
  # onnx 1.17.0 exactly: 1.19 breaks against ml_dtypes 0.4 (pulled by tensorflow 2.17).
  "$work/venv/bin/pip" install --quiet tensorflow-cpu==2.17.0 keras==3.15.1 numpy==1.26.4 \
    tf2onnx==1.17.0 onnx==1.17.0 onnxruntime
fi

"$work/venv/bin/pip" download --quiet --no-deps --dest "$work/wheel" sklesion==0.2.2
whl="$(ls "$work"/wheel/sklesion-0.2.2-*.whl)"
echo "$wheel_sha  $whl" | sha256sum --check --quiet
rm -rf "$work/pkg" && mkdir -p "$work/pkg" && (cd "$work/pkg" && "$work/venv/bin/python" -m zipfile -e "$whl" .)

"$work/venv/bin/python" "$here/regenerate.py" \
  --keras "$work/pkg/sklesion/model.keras" \
  --work "$work" \
  --out "${OUT:-$here/sklesion_w8.onnx}" \
  --golden "$here/golden"
sha256sum "${OUT:-$here/sklesion_w8.onnx}"
echo "Update sha256 in models/sklesion.manifest.json if it changed (outputs are what must match)."
