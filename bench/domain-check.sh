#!/usr/bin/env bash
# What the out-of-domain check costs, side by side in one run: the bundled manifest (with `domain_check`)
# vs a copy without it, same binary, same image, rounds interleaved. Prints the medians and the ratio.
#   bench/domain-check.sh [ROUNDS] [RUNS] [IMAGE]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
rounds="${1:-3}"; runs="${2:-20}"; image="${3:-$ROOT/tests/fixtures/reference/dermoscopy/ISIC_0024354.jpg}"
cargo build --quiet --release --bin vibe-opsy
bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/vibe-opsy"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
ln -s "$ROOT/models/sklesion_w8.onnx" "$tmp/sklesion_w8.onnx"
node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); delete m.domain_check; console.log(JSON.stringify(m))' \
  "$ROOT/models/sklesion.manifest.json" > "$tmp/sklesion.manifest.json"
for r in $(seq "$rounds"); do
  "$bin" bench --json --runs "$runs" "$image" --model "$ROOT/models/sklesion.manifest.json" | sed 's/^/with /'
  "$bin" bench --json --runs "$runs" "$image" --model "$tmp/sklesion.manifest.json" | sed 's/^/without /'
done > "$tmp/out"
node - "$tmp/out" <<'JS'
const rows = {};
for (const line of require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n')) {
  const [tag, ...rest] = line.split(' ');
  (rows[tag] ??= []).push(JSON.parse(rest.join(' ')));
}
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
for (const key of ['optimize_ms', 'inference_median_ms', 'end_to_end_median_ms']) {
  const w = median(rows.with.map((r) => r[key])), wo = median(rows.without.map((r) => r[key]));
  console.log(`${key.padEnd(22)} with check ${w.toFixed(1)} ms   without ${wo.toFixed(1)} ms   ratio ${(w / wo).toFixed(3)}`);
}
JS
