#!/usr/bin/env bash
# Validates what can be validated without a container engine or a cluster: YAML syntax and kinds of
# the deployment manifests, and that the serve flags they use exist.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
node -e '
const fs = require("fs");
const yaml = require("yaml");
const want = { "deploy/kubernetes/vibe-opsy.yaml": ["Deployment", "Service", "HorizontalPodAutoscaler"], "deploy/cloudrun/service.yaml": ["Service"] };
for (const [file, kinds] of Object.entries(want)) {
  const docs = yaml.parseAllDocuments(fs.readFileSync(file, "utf8"));
  for (const d of docs) if (d.errors.length) throw new Error(file + ": " + d.errors[0].message);
  const got = docs.map((d) => d.toJS().kind);
  if (JSON.stringify(got) !== JSON.stringify(kinds)) throw new Error(file + ": kinds " + got);
  console.log(file + ": " + got.join(", "));
}'
bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/vibe-opsy"
help="$("$bin" serve --help)"
for flag in --addr --static --workers --queue; do
  grep -q -- "$flag" <<<"$help" || { echo "serve has no $flag"; exit 1; }
done
echo "serve flags used by the manifests exist"
