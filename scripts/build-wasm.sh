#!/usr/bin/env bash
# Builds the npm package in pkg/: core -> wasm32 (+simd128, release) -> wasm-bindgen (--target web)
# -> wasm-opt -O1 (npm binaryen; Debian's binaryen 108 output crashes) -> bundled model copied in.
#
# Three engines; pkg/index.js picks one at run time:
#   generated/vibe_opsy_bg.wasm          simd128 (every engine with WebAssembly SIMD)
#   generated/vibe_opsy_relaxed_bg.wasm  + relaxed-SIMD fused multiply-add in the matmul kernel
#                                        (feature `relaxed-simd`: only our crate is rebuilt)
#   generated/threads/                   relaxed SIMD + wasm threads (feature `threads`): std rebuilt
#                                        with atomics by the pinned nightly ($WASM_THREADS_TOOLCHAIN),
#                                        shared memory, wasm-bindgen-rayon's worker pool; own glue
# The first two export the same API, so they share one JS glue file. wasm-opt runs single-threaded,
# so modules are optimised in parallel; a module whose input has not changed since the last run is
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
  [ "$name" = threads ] && bindgen="$staging/threads/vibe_opsy_threads_bg.wasm"
  local stamp="$target_dir/wasm-opt-$name.stamp" optimised="$target_dir/vibe_opsy_opt_$name.wasm"
  local flags=("${WASM_OPT_FLAGS[@]}")
  [ "$name" = relaxed ] && flags+=(--enable-relaxed-simd)
  [ "$name" = threads ] && flags+=(--enable-relaxed-simd --enable-threads)
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

# Maximum shared memory of the threaded engine: a shared memory is reserved at its maximum up front,
# and iOS Safari fails to allocate 4 GiB. 1 GiB: the model's load peaks at ≈ 300 MB (BENCHMARKS.md).
THREADS_MAX_MEMORY=$((1024 * 1024 * 1024))

# The threaded engine: its own target dir (std rebuilt with other flags), the pinned nightly. Since
# rust#147225 the linker is told about the shared memory and the thread-local storage exports that
# wasm-bindgen's thread transform uses.
threads_build() {
  local flags=(-C target-feature=+atomics,+bulk-memory,+simd128)
  local arg
  for arg in --shared-memory --import-memory "--max-memory=$THREADS_MAX_MEMORY" --export=__wasm_init_tls \
    --export=__tls_size --export=__tls_align --export=__tls_base --export=__heap_base; do
    flags+=(-C "link-arg=$arg")
  done
  RUSTFLAGS="${flags[*]}" CARGO_TARGET_DIR="$target_dir/wasm-threads" \
    stage "cargo +$WASM_THREADS_TOOLCHAIN build (wasm32, release, threads: atomics, build-std)" \
    cargo "+$WASM_THREADS_TOOLCHAIN" build --quiet --release --target wasm32-unknown-unknown --lib \
    --features threads,relaxed-simd -Z build-std=panic_abort,std
  rm -rf "${staging:?}/threads"
  stage "wasm-bindgen (threads)" wasm-bindgen --target web --out-dir "$staging/threads" --out-name vibe_opsy_threads \
    "$target_dir/wasm-threads/wasm32-unknown-unknown/release/vibe_opsy.wasm"
  # wasm-bindgen-rayon's pool worker imports the glue as '../../..' (a package root, for bundlers
  # with package.json resolution): name the file, so plain browser ESM and Vite both resolve it.
  local helper
  helper="$(find "$staging/threads/snippets" -name workerHelpers.js)"
  grep -q "import('../../..')" "$helper" || { echo "wasm-bindgen-rayon's worker helper changed: $helper" >&2; exit 1; }
  sed -i "s|import('../../..')|import('../../../vibe_opsy_threads.js')|" "$helper"
}

mkdir -p "$out"
threads_build
bindgen simd128
bindgen relaxed --features relaxed-simd
if ! cmp -s "$staging/simd128/vibe_opsy.js" "$staging/relaxed/vibe_opsy.js"; then
  echo "the two engines' JS glue differs: they can no longer share generated/vibe_opsy.js" >&2
  exit 1
fi
cp "$staging/simd128/vibe_opsy.js" "$staging/simd128/vibe_opsy.d.ts" "$staging/simd128/vibe_opsy_bg.wasm.d.ts" "$out/"
rm -rf "$out/threads" && mkdir -p "$out/threads"
cp -r "$staging/threads/vibe_opsy_threads.js" "$staging/threads/vibe_opsy_threads.d.ts" "$staging/threads/snippets" "$out/threads/"
optimise simd128 vibe_opsy_bg.wasm &
simd_job=$!
optimise relaxed vibe_opsy_relaxed_bg.wasm &
relaxed_job=$!
optimise threads threads/vibe_opsy_threads_bg.wasm
wait "$simd_job"
wait "$relaxed_job"

mkdir -p "$ROOT/pkg/model"
cp models/sklesion_w8.onnx models/sklesion.manifest.json models/MODEL_CARD.md "$ROOT/pkg/model/"
for f in vibe_opsy_bg.wasm vibe_opsy_relaxed_bg.wasm threads/vibe_opsy_threads_bg.wasm; do
  ls -l "$out/$f" | awk -v f="$f" '{printf "pkg/generated/%s: %.2f MB\n", f, $5/1e6}'
done
