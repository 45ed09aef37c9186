#!/usr/bin/env bash
# Load test on loopback, side by side in one run: `vibe-opsy serve` vs the FastAPI + onnxruntime
# baseline (bench/fastapi_baseline), same model and image, with `oha` at concurrency 1, 4, 16, 64.
# Also: peak RSS of each server, and an overload run (no 5xx but deliberate 503 shedding).
#   bench/loadtest.sh [SECONDS_PER_LEVEL]   (default 20)
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
secs="${1:-20}"
venv="$ROOT/bench/.venv"
command -v oha >/dev/null || cargo install oha --locked
if [ ! -x "$venv/bin/uvicorn" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet onnxruntime numpy fastapi uvicorn python-multipart pillow
fi
cargo build --quiet --bin vibe-opsy
bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/vibe-opsy"
image="$ROOT/samples/lesion_7_0.jpg"
body="$(mktemp)"
boundary=vibeopsybench
{ printf -- "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" "$boundary"
  cat "$image"; printf "\r\n--%s--\r\n" "$boundary"; } > "$body"

wait_healthy() { for _ in $(seq 300); do curl -fs "$1/health" >/dev/null && return 0; sleep 0.2; done; return 1; }
peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

run_levels() { # name url pid
  for c in 1 4 16 64; do
    oha --no-tui -z "${secs}s" -c "$c" -m POST -T "multipart/form-data; boundary=$boundary" -D "$body" --output-format json "$2/inference" > "/tmp/oha-$1-$c.json"
    python3 - "$1" "$c" "/tmp/oha-$1-$c.json" "$(peak_rss_mb "$3")" <<'PY'
import json, sys
name, c, path, rss = sys.argv[1:]
d = json.load(open(path))
s, lat = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
fivexx = {k: v for k, v in codes.items() if k.startswith("5")}
print(f"| {name} | {c} | {s['requestsPerSec']:.2f} | {lat['p50']*1e3:.0f} | {lat['p99']*1e3:.0f} | {codes} | {rss} |")
PY
  done
}

echo "| server | concurrency | req/s | p50 ms | p99 ms | status codes | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
"$bin" serve --addr 127.0.0.1:18080 >/dev/null 2>&1 & ours=$!
wait_healthy http://127.0.0.1:18080
run_levels vibe-opsy http://127.0.0.1:18080 "$ours"
kill -TERM "$ours"; wait "$ours" || true

(cd "$ROOT" && MODEL=models/sklesion_w8.onnx ORT_THREADS=1 "$venv/bin/uvicorn" --app-dir bench/fastapi_baseline app:app \
  --host 127.0.0.1 --port 18081 --workers 2 --log-level warning) & theirs=$!
wait_healthy http://127.0.0.1:18081
sleep 2
# uvicorn workers are children of $theirs: report the largest child's peak.
child="$(pgrep -P "$theirs" | head -1)"
run_levels fastapi+ort http://127.0.0.1:18081 "${child:-$theirs}"
kill -TERM "$theirs"; wait "$theirs" || true

echo
echo "Overload: vibe-opsy with --workers 2 --queue 4 at concurrency 64 (expect 200s and 503 shedding, no other 5xx):"
"$bin" serve --addr 127.0.0.1:18082 --workers 2 --queue 4 >/dev/null 2>&1 & shed=$!
wait_healthy http://127.0.0.1:18082
oha --no-tui -z "${secs}s" -c 64 -m POST -T "multipart/form-data; boundary=$boundary" -D "$body" --output-format json \
  http://127.0.0.1:18082/inference > /tmp/oha-shed.json
python3 -c "import json; d=json.load(open('/tmp/oha-shed.json')); print('status codes:', d.get('statusCodeDistribution')); print('peak RSS MB:', $(peak_rss_mb "$shed"))"
kill -TERM "$shed"; wait "$shed" || true
rm -f "$body"
