#!/usr/bin/env bash
# Builds everything and serves the app on http://127.0.0.1:8080 with the bundled model.
#   scripts/run.sh [--addr 127.0.0.1:8080]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
stage "setup" "$ROOT/scripts/setup.sh"
if [ -f "$ROOT/package.json" ] && grep -q '"build:web"' "$ROOT/package.json"; then
  stage "build the wasm package and the web app" npm run --silent build:web
fi
# What users run is the optimised build (the tests use the dev profile, dependencies at opt-level 3).
stage "build the native binary (release)" cargo build --quiet --release --bin vibe-opsy
bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/vibe-opsy"
echo "Sample classification (CLI):"
"$bin" classify samples/lesion_7_0.jpg
static=()
[ -f www/dist/index.html ] && static=(--static www/dist)
echo "Serving on http://${VIBE_OPSY_ADDR:-127.0.0.1:8080} (Ctrl-C to stop)"
exec "$bin" serve --addr "${VIBE_OPSY_ADDR:-127.0.0.1:8080}" "${static[@]}" "$@"
