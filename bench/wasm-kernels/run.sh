#!/usr/bin/env bash
# Builds the GEMM micro-kernel benchmark for simd128 and simd128+relaxed-simd and runs it in Node
# and headless Chromium (numbers quoted in src/engine/kernels/wasm_matmul.rs and BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")"
RUSTFLAGS="-C target-feature=+simd128" cargo build -q --release --target wasm32-unknown-unknown --target-dir target/simd
RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" cargo build -q --release --target wasm32-unknown-unknown --target-dir target/relaxed
cp target/simd/wasm32-unknown-unknown/release/wasm_kernels.wasm simd.wasm
cp target/relaxed/wasm32-unknown-unknown/release/wasm_kernels.wasm relaxed.wasm
echo "== Node $(node --version), simd128"; node bench.mjs simd.wasm
echo "== Node, relaxed-simd"; node --experimental-wasm-relaxed-simd bench.mjs relaxed.wasm
echo "== Chromium"; node chrome.mjs simd.wasm relaxed.wasm
