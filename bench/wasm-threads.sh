#!/usr/bin/env bash
# The threaded engine as shipped vs onnxruntime-web (all cores, its default, 1 thread) in one
# cross-origin-isolated Chromium page, side by side (bench/wasm-threads.mjs). Builds pkg/ first.
#   bench/wasm-threads.sh [ROUNDS]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
"$ROOT/scripts/build-wasm.sh"
node bench/wasm-threads.mjs "${1:-3}"
