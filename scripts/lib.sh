# Shared helpers for the project scripts (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

# Every native build, test and the CLI share one optimised dev build (deps at opt-level 3).
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Runs one stage of a script: prints its name, then its duration and outcome, also when it fails
# (the caller's `set -e` still stops the script after the closing line).
stage() {
  local name="$1"; shift
  local started rc=0; started=$(date +%s)
  echo "==> [$(date +%H:%M:%S)] $name"
  "$@" || rc=$?
  if [ "$rc" = 0 ]; then
    echo "<== $name: $(( $(date +%s) - started ))s"
  else
    echo "<== $name: FAILED (exit $rc) after $(( $(date +%s) - started ))s"
  fi
  return $rc
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# The wasm-bindgen version pinned in Cargo.lock (the CLI must match it exactly).
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# The pinned nightly that builds the wasm threads engine (std rebuilt with atomics needs
# `-Z build-std` and rust-src); scripts/setup.sh installs it. Stable builds everything else.
WASM_THREADS_TOOLCHAIN="nightly-2026-05-19"
export WASM_THREADS_TOOLCHAIN
