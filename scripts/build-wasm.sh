#!/usr/bin/env bash
# Builds the npm package in pkg/: core -> wasm32 (+simd128, release) -> wasm-bindgen (--target web)
# -> wasm-opt -O1 (npm binaryen; Debian's binaryen 108 output crashes) -> bundled model copied in.
#
# Two engines come out of one dependency build; pkg/index.js picks one at run time:
#   generated/vibe_opsy_bg.wasm          simd128 (every engine with WebAssembly SIMD)
#   generated/vibe_opsy_relaxed_bg.wasm  + relaxed-SIMD fused multiply-add in the matmul kernel
#                                        (feature `relaxed-simd`: only our crate is rebuilt)
# Both export the same API, so they share one JS glue file. wasm-opt runs single-threaded, so the
# two modules are optimised in parallel; a module whose input has not changed since the last run is
# not optimised again.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
raw="$target_dir/wasm32-unknown-unknown/release/vibe_opsy.wasm"
out="$ROOT/pkg/generated"
staging="$target_dir/wasm-bindgen"
# -O1, not -O3: -O3's inlining left warm inference unchanged but made the .wasm larger (2.44 vs
# 2.26 MB brotli) and the cold start slower, V8 running the bigger functions of the one-off model
# load longer in its baseline tier (Chromium, fresh contexts: 1.65 vs 1.31 s to the first result;
# Node: model optimise 566-641 vs 406-413 ms). See BENCHMARKS.md.
WASM_OPT_FLAGS=(-O1 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)

# bindgen NAME [cargo args...]: cargo build + wasm-bindgen into $staging/NAME
bindgen() {
  local name="$1"; shift
  stage "cargo build (wasm32, release, $name)" cargo build --quiet --release --target wasm32-unknown-unknown --lib "$@"
  rm -rf "${staging:?}/$name"
  stage "wasm-bindgen ($name)" wasm-bindgen --target web --out-dir "$staging/$name" --out-name vibe_opsy "$raw"
}

# optimise NAME OUTPUT_FILE: wasm-opt (or the cached result) into pkg/generated/OUTPUT_FILE
optimise() {
  local name="$1" file="$2"
  local bindgen="$staging/$name/vibe_opsy_bg.wasm"
  local stamp="$target_dir/wasm-opt-$name.stamp" optimised="$target_dir/vibe_opsy_opt_$name.wasm"
  local flags=("${WASM_OPT_FLAGS[@]}")
  [ "$name" = relaxed ] && flags+=(--enable-relaxed-simd)
  if [ "${VIBE_OPSY_WASM_OPT:-1}" != 1 ]; then
    cp "$bindgen" "$out/$file"
    return
  fi
  local hash; hash="$( (sha256sum "$bindgen" | cut -d' ' -f1; echo "${flags[*]}") | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(head -1 "$stamp")" = "$hash" ] && [ -f "$optimised" ]; then
    echo "wasm-opt ($name): input unchanged, reusing the optimised module"
  else
    stage "wasm-opt ${flags[0]} ($name)" "$ROOT/node_modules/.bin/wasm-opt" "${flags[@]}" "$bindgen" -o "$optimised"
    echo "$hash" > "$stamp"
  fi
  cp "$optimised" "$out/$file"
}

mkdir -p "$out"
bindgen simd128
bindgen relaxed --features relaxed-simd
if ! cmp -s "$staging/simd128/vibe_opsy.js" "$staging/relaxed/vibe_opsy.js"; then
  echo "the two engines' JS glue differs: they can no longer share generated/vibe_opsy.js" >&2
  exit 1
fi
cp "$staging/simd128/vibe_opsy.js" "$staging/simd128/vibe_opsy.d.ts" "$staging/simd128/vibe_opsy_bg.wasm.d.ts" "$out/"
optimise simd128 vibe_opsy_bg.wasm &
simd_job=$!
optimise relaxed vibe_opsy_relaxed_bg.wasm
wait "$simd_job"

mkdir -p "$ROOT/pkg/model"
cp models/sklesion_w8.onnx models/sklesion.manifest.json models/MODEL_CARD.md "$ROOT/pkg/model/"
for f in vibe_opsy_bg.wasm vibe_opsy_relaxed_bg.wasm; do
  ls -l "$out/$f" | awk -v f="$f" '{printf "pkg/generated/%s: %.2f MB\n", f, $5/1e6}'
done
