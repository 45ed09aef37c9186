// Where a warm wasm inference's time goes, per op kind (or per node), on one thread and on the
// threaded build's pool, in headless Chromium on a cross-origin-isolated page: which ops scale with
// the threads and which do not. Each engine in one module worker of the page, the bundled model and
// samples/lesion_7_2.png; `LesionClassifier.profile` times each node as it runs (the threaded build
// on its pool, like a classification). Rounds interleave the two workers.
//   node bench/wasm-profile.mjs [ROUNDS] [RUNS] [--by-node]   (needs pkg/ built: scripts/build-wasm.sh)
import { availableParallelism } from 'node:os';
import { launchChromium, median, serveIsolated, within } from './isolated-page.mjs';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const ROUNDS = Number(args[0] ?? 3);
const RUNS = Number(args[1] ?? 5);
const BY_NODE = process.argv.includes('--by-node');
const N = availableParallelism();

const worker = `
let c, image;
onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') {
      const { createClassifier } = await import('/pkg/index.js');
      c = await createClassifier(data.threads === undefined ? {} : { threads: data.threads });
      image = new Uint8Array(await (await fetch('/data/samples/lesion_7_2.png')).arrayBuffer());
      c.forgetImages(); c.classifyBytes(image);
      postMessage({ engine: c.engine });
    } else {
      const t = performance.now();
      const ops = c.profile(image, { runs: data.runs, byNode: data.byNode });
      postMessage({ ops, ms: (performance.now() - t) / data.runs });
    }
  } catch (e) {
    postMessage({ error: String(e && e.stack || e) });
  }
};`;

const page = `<!doctype html><meta charset="utf-8"><script type="module">
const call = (w, msg) => new Promise((res, rej) => { w.onmessage = ({ data }) => data.error ? rej(new Error(data.error)) : res(data); w.postMessage(msg); });
window.profile = async (configs, rounds, runs, byNode) => {
  const workers = [];
  const engines = [];
  for (const c of configs) { const w = new Worker('/worker.js', { type: 'module' }); workers.push(w); engines.push((await call(w, { type: 'load', ...c })).engine); }
  const out = configs.map(() => []);
  for (let r = 0; r < rounds; r++) for (let k = 0; k < configs.length; k++) out[k].push(await call(workers[k], { type: 'profile', runs, byNode }));
  workers.forEach((w) => w.terminate());
  return { engines, out };
};
</script>`;

const server = await serveIsolated(page, worker);
const browser = await launchChromium();
const configs = [{ threads: 1 }, {}];
let result;
try {
  const p = await (await browser.newContext()).newPage();
  p.on('pageerror', (e) => console.error(e));
  await p.goto(server.url);
  await p.waitForFunction(() => typeof window.profile === 'function');
  result = await within(600_000, 'profile', p.evaluate(([c, r, n, b]) => window.profile(c, r, n, b), [configs, ROUNDS, RUNS, BY_NODE]));
} finally {
  await browser.close();
  server.close();
}

const [one, pool] = result.out;
const rows = new Map();
for (const [k, rounds] of [one, pool].entries())
  for (const round of rounds)
    for (const o of round.ops) {
      const row = rows.get(o.op) ?? { nodes: o.nodes, ms: [[], []] };
      row.ms[k].push(o.ms_per_run);
      rows.set(o.op, row);
    }
const e = result.engines;
const label = (x) => `${x.build}, ${x.threads} thread${x.threads === 1 ? '' : 's'}`;
console.log(`Chromium, ${N} cores, ${ROUNDS} rounds of ${RUNS} profiled runs, medians over rounds (ms per run).`);
console.log(`\n| ${BY_NODE ? 'node' : 'op'} | nodes | ${label(e[0])} | ${label(e[1])} | scaling |`);
console.log('|---|---|---|---|---|');
const sorted = [...rows.entries()].map(([op, r]) => [op, r.nodes, median(r.ms[0]), median(r.ms[1])]).sort((a, b) => b[2] - a[2]);
for (const [op, nodes, a, b] of sorted.slice(0, BY_NODE ? 120 : 20))
  console.log(`| ${op.length > 400 ? op.slice(0, 400) + '…' : op} | ${nodes} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a / b).toFixed(2)}× |`);
const total = (k) => median(result.out[k].map((round) => round.ops.reduce((s, o) => s + o.ms_per_run, 0)));
const wall = (k) => median(result.out[k].map((round) => round.ms));
console.log(`| total of the nodes | | ${total(0).toFixed(1)} | ${total(1).toFixed(1)} | ${(total(0) / total(1)).toFixed(2)}× |`);
console.log(`| whole profiled run (incl. timing) | | ${wall(0).toFixed(1)} | ${wall(1).toFixed(1)} | ${(wall(0) / wall(1)).toFixed(2)}× |`);
