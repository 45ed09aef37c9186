#!/usr/bin/env bash
# The wasm build and the npm package: builds pkg/ once, runs wasm-bindgen-test in headless Chromium,
# then the Node/browser-ESM tests of the packed tarball against the native CLI.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/build-wasm.sh"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
stage "wasm-bindgen-test (headless Chromium)" \
  cargo test --release --target wasm32-unknown-unknown --test wasm_browser
stage "native CLI for comparisons" cargo build --quiet --bin vibe-opsy
stage "npm package: Node + plain browser ESM" node --test --test-concurrency=1 tests/node/
