#!/usr/bin/env bash
# Experimental: builds the engine with wasm threads (Cargo feature `threads`: tract's matmul on a
# wasm-bindgen-rayon pool) and measures it in headless Chromium against the shipped single-thread
# build and onnxruntime-web with 1 and 2 threads, side by side (bench/wasm-threads.mjs).
# Needs nightly Rust with rust-src (std rebuilt with +atomics); own target dir; not part of CI.
#   bench/wasm-threads.sh [ROUNDS]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
out="$target_dir/pkg-threads"
RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+simd128 -C link-arg=--max-memory=4294967296" \
  CARGO_TARGET_DIR="$target_dir/threads" \
  stage "cargo +nightly build (wasm32, atomics, build-std, features threads + relaxed-simd)" \
  cargo +nightly build --quiet --release --target wasm32-unknown-unknown --lib \
  --features threads,relaxed-simd -Z build-std=panic_abort,std
rm -rf "$out" && mkdir -p "$out"
stage "wasm-bindgen (threads)" wasm-bindgen --target web --out-dir "$out/generated" --out-name vibe_opsy \
  "$target_dir/threads/wasm32-unknown-unknown/release/vibe_opsy.wasm"
VIBE_OPSY_THREADS_PKG="$out" node bench/wasm-threads.mjs "${1:-3}"
