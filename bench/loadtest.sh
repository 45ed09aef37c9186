#!/usr/bin/env bash
# Load test on loopback, side by side in one run: `vibe-opsy serve` vs the FastAPI + onnxruntime
# baseline (bench/fastapi_baseline), same model and image, with wrk at concurrency 1, 4, 16, 64.
# Also the peak RSS of each server, and overload runs (200s plus deliberate 503 shedding only; and the
# refusals answered at once, `--refusal-delay-ms 0`, to show what holding them does).
# wrk sends one image over and over: ours runs with --remember-images 0, so that each request runs
# the whole model as the baseline does (and as distinct images from many users would).
#   bench/loadtest.sh [SECONDS_PER_LEVEL]   (default 15; needs Debian's wrk)
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
secs="${1:-15}"
venv="$ROOT/bench/.venv"
command -v wrk >/dev/null || as_root apt-get install -y -qq wrk
if [ ! -x "$venv/bin/uvicorn" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet onnxruntime numpy fastapi uvicorn python-multipart pillow
fi
cargo build --quiet --release --bin vibe-opsy
bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/vibe-opsy"
export WRK_BODY; WRK_BODY="$(mktemp)"
{ printf -- "--vibeopsybench\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
  cat "$ROOT/samples/lesion_7_0.jpg"; printf "\r\n--vibeopsybench--\r\n"; } > "$WRK_BODY"

wait_healthy() { for _ in $(seq 600); do curl -fs "$1/health" >/dev/null && return 0; sleep 0.2; done; return 1; }
peak_rss_mb() { local total=0; for p in "$@"; do total=$(( total + $(awk '/VmHWM/ {print $2}' "/proc/$p/status") )); done; echo $(( total / 1024 )); }
row() { # name concurrency url pids...
  local name=$1 c=$2 url=$3; shift 3
  local line; line="$(wrk -t "$(( c < 2 ? 1 : 2 ))" -c "$c" -d "${secs}s" --timeout 60s -s bench/wrk-multipart.lua "$url/inference" | sed -n 's/^JSON //p')"
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(f\"| {sys.argv[2]} | {sys.argv[3]} | {d['requests']/d['seconds']:.2f} | {d['p50_ms']:.0f} | {d['p99_ms']:.0f} | {d['ok']} ok, {d['shed_503']} shed, {d['other_5xx']} other 5xx, {d['socket_errors']} socket errors | {sys.argv[4]} |\")" \
    "$line" "$name" "$c" "$(peak_rss_mb "$@")"
}

echo "| server | concurrency | req/s | p50 ms | p99 ms | responses | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
RUST_LOG=warn "$bin" serve --addr 127.0.0.1:18080 --remember-images 0 & ours=$!
wait_healthy http://127.0.0.1:18080
for c in 1 4 16 64; do row vibe-opsy "$c" http://127.0.0.1:18080 "$ours"; done
kill -TERM "$ours"; wait "$ours" || true

MODEL=models/sklesion_w8.onnx ORT_THREADS=1 "$venv/bin/uvicorn" --app-dir bench/fastapi_baseline app:app \
  --host 127.0.0.1 --port 18081 --workers 2 --log-level warning & theirs=$!
wait_healthy http://127.0.0.1:18081
for c in 1 4 16 64; do row "fastapi+onnxruntime (2 workers)" "$c" http://127.0.0.1:18081 "$theirs" $(pgrep -P "$theirs"); done
kill -TERM "$theirs"; wait "$theirs" || true

echo
echo "Overload: vibe-opsy --workers 2 --queue 4 at concurrency 64:"
echo "| server | concurrency | req/s | p50 ms | p99 ms | responses | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
RUST_LOG=warn "$bin" serve --addr 127.0.0.1:18082 --workers 2 --queue 4 --remember-images 0 & shed=$!
wait_healthy http://127.0.0.1:18082
row "vibe-opsy (shedding)" 64 http://127.0.0.1:18082 "$shed"
kill -TERM "$shed"; wait "$shed" || true
RUST_LOG=warn "$bin" serve --addr 127.0.0.1:18083 --remember-images 0 --refusal-delay-ms 0 & at_once=$!
wait_healthy http://127.0.0.1:18083
row "vibe-opsy (refusals answered at once)" 64 http://127.0.0.1:18083 "$at_once"
kill -TERM "$at_once"; wait "$at_once" || true
rm -f "$WRK_BODY"
