#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian machine with Rust and Node.
# Idempotent: what is already present is skipped.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
# Firefox: the end-to-end tests in a second browser engine (tests/e2e/firefox.test.mjs, WebDriver BiDi)
[ -x /usr/bin/firefox-esr ] || need_apt+=(firefox-esr)
# WebKitGTK (the engine inside Safari): MiniBrowser driven by WebKitWebDriver under Xvfb (tests/e2e/webkit.test.mjs)
[ -x /usr/bin/WebKitWebDriver ] || need_apt+=(webkit2gtk-driver)
[ -x /usr/bin/Xvfb ] || need_apt+=(xvfb)
if [ ${#need_apt[@]} -gt 0 ]; then
  stage "apt-get install ${need_apt[*]}" bash -c "$(declare -f as_root); as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${need_apt[*]} >/dev/null"
fi

if ! rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
  stage "rustup target add wasm32-unknown-unknown" rustup target add wasm32-unknown-unknown
fi

# The threaded wasm engine (scripts/build-wasm.sh) needs the pinned nightly with rust-src.
if ! rustup component list --installed --toolchain "$WASM_THREADS_TOOLCHAIN" 2>/dev/null | grep -q '^rust-src'; then
  stage "rustup toolchain install $WASM_THREADS_TOOLCHAIN (rust-src; the wasm threads build)" \
    rustup toolchain install "$WASM_THREADS_TOOLCHAIN" --profile minimal --component rust-src
fi

want="$(wasm_bindgen_version)"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have" != "$want" ]; then
  # --locked fails here (a pinned webpki-roots is missing from the registry); without it it builds.
  stage "cargo install wasm-bindgen-cli $want" cargo install wasm-bindgen-cli --version "$want" --force
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Not `npm ci`: vite lists an optional dependency (napi-windows-process-start-time) that this
  # registry does not hold, which `npm ci` refuses and `npm install` skips; versions come from the lock.
  stage "npm install (from package-lock.json)" npm install --no-audit --no-fund --loglevel=error
fi
