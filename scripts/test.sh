#!/usr/bin/env bash
# The whole test suite. Installs what it needs first (scripts/setup.sh), builds each artefact once.
#   scripts/test.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
total_started=$(date +%s)

stage "setup" "$ROOT/scripts/setup.sh"
stage "cargo fmt --check" cargo fmt --all -- --check
stage "cargo clippy (native, all targets)" cargo clippy --all-targets --quiet -- -D warnings
stage "cargo clippy (wasm32 boundary and its tests)" \
  cargo clippy --quiet --release --target wasm32-unknown-unknown --lib --tests -- -D warnings
stage "cargo test (native)" cargo test --quiet
if [ -x "$ROOT/scripts/test-wasm.sh" ]; then
  stage "wasm: build, test in Chromium and Node" "$ROOT/scripts/test-wasm.sh"
fi
stage "deployment manifests" "$ROOT/scripts/validate-deploy.sh"
if [ -f "$ROOT/package.json" ] && grep -q '"test:web"' "$ROOT/package.json"; then
  stage "web app: typecheck, lint, unit and browser tests" npm run --silent test:web
fi
echo "all tests passed in $(( $(date +%s) - total_started ))s"
