#!/usr/bin/env bash
# Bounded fuzzing of decode + preprocess (cargo-fuzz; stable toolchain via RUSTC_BOOTSTRAP).
#   fuzz/run.sh [SECONDS]     (default 120)
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
mkdir -p corpus/decode_preprocess
# Seed with the bundled samples and the reference images when present.
cp ../samples/* corpus/decode_preprocess/ 2>/dev/null || true
cp ../tests/fixtures/reference/images/*.{png,gif,bmp,webp} corpus/decode_preprocess/ 2>/dev/null || true
RUSTC_BOOTSTRAP=1 cargo fuzz run decode_preprocess corpus/decode_preprocess -- \
  -max_total_time="${1:-120}" -rss_limit_mb=2048 -max_len=262144 -timeout=10
