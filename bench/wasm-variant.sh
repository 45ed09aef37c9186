#!/usr/bin/env bash
# Builds the +relaxed-simd variant of the wasm package into target/pkg-relaxed-simd (own target dir,
# no wasm-opt) and benchmarks it against onnxruntime-web with bench/wasm.mjs.
#   bench/wasm-variant.sh [ROUNDS]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
variant="$target_dir/pkg-relaxed-simd"
RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" CARGO_TARGET_DIR="$target_dir/relaxed-simd" \
  cargo build --quiet --release --target wasm32-unknown-unknown --lib
rm -rf "$variant" && mkdir -p "$variant"
wasm-bindgen --target web --out-dir "$variant/generated" --out-name vibe_opsy \
  "$target_dir/relaxed-simd/wasm32-unknown-unknown/release/vibe_opsy.wasm"
cp pkg/index.js pkg/package.json "$variant/" && cp -r pkg/model "$variant/"
VIBE_OPSY_PKG="$variant" NODE_WASM_FLAGS="--experimental-wasm-relaxed-simd" node bench/wasm.mjs "${1:-3}"
