#!/usr/bin/env bash
# The whole test suite. Installs what it needs first (scripts/setup.sh), builds each artefact once.
#   scripts/test.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
total_started=$(date +%s)

stage "setup" "$ROOT/scripts/setup.sh"
stage "cargo fmt --check" cargo fmt --all -- --check
stage "cargo clippy (native, all targets)" cargo clippy --all-targets --quiet -- -D warnings
stage "cargo clippy (native library and CLI as shipped, without test support)" \
  cargo clippy --lib --bins --quiet -- -D warnings
stage "cargo clippy (wasm32 boundary and its tests)" \
  cargo clippy --quiet --release --target wasm32-unknown-unknown --lib --tests -- -D warnings
stage "cargo clippy (wasm32 as shipped, relaxed-SIMD build, without test support)" \
  cargo clippy --quiet --release --target wasm32-unknown-unknown --lib --features relaxed-simd -- -D warnings
stage "cargo test (native)" cargo test --quiet
stage "wasm: build, test in Chromium and Node" bash "$ROOT/scripts/test-wasm.sh"
stage "deployment manifests" bash "$ROOT/scripts/validate-deploy.sh"
stage "web app: typecheck, lint, unit and browser tests" npm run --silent test:web
echo "all tests passed in $(( $(date +%s) - total_started ))s"
