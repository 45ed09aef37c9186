#!/usr/bin/env bash
# Builds the npm package in pkg/: core -> wasm32 (+simd128, release) -> wasm-bindgen (--target web)
# -> wasm-opt (npm binaryen; Debian's binaryen 108 output crashes) -> bundled model copied in.
# wasm-opt is skipped when its input has not changed since the last run.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
raw="$target_dir/wasm32-unknown-unknown/release/vibe_opsy.wasm"
out="$ROOT/pkg/generated"

stage "cargo build (wasm32, release, simd128)" cargo build --quiet --release --target wasm32-unknown-unknown --lib
stage "wasm-bindgen" wasm-bindgen --target web --out-dir "$out" --out-name vibe_opsy "$raw"

stamp="$target_dir/wasm-opt.stamp"
bindgen_hash="$(sha256sum "$out/vibe_opsy_bg.wasm" | cut -d' ' -f1)"
if [ "${VIBE_OPSY_WASM_OPT:-1}" = 1 ]; then
  if [ -f "$stamp" ] && [ "$(head -1 "$stamp")" = "$bindgen_hash" ] && [ -f "$target_dir/vibe_opsy_opt.wasm" ]; then
    echo "wasm-opt: input unchanged, reusing the optimised module"
  else
    stage "wasm-opt -O3" "$ROOT/node_modules/.bin/wasm-opt" -O3 --enable-simd --enable-bulk-memory \
      --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types \
      --enable-multivalue "$out/vibe_opsy_bg.wasm" -o "$target_dir/vibe_opsy_opt.wasm"
    echo "$bindgen_hash" > "$stamp"
  fi
  cp "$target_dir/vibe_opsy_opt.wasm" "$out/vibe_opsy_bg.wasm"
fi

mkdir -p "$ROOT/pkg/model"
cp models/sklesion_w8.onnx models/sklesion.manifest.json models/MODEL_CARD.md "$ROOT/pkg/model/"
ls -l "$out/vibe_opsy_bg.wasm" | awk '{printf "pkg/generated/vibe_opsy_bg.wasm: %.2f MB\n", $5/1e6}'
