// Wasm threads, side by side in one run, in headless Chromium on a cross-origin-isolated page (the
// headers `vibe-opsy serve` sends), each engine in one module worker of that page, bundled model:
//   vibe-opsy as shipped (the package's default: the threaded build on `defaultThreads()` threads)
//   vibe-opsy with `threads: 1` (the single-threaded relaxed-SIMD build)
//   onnxruntime-web with numThreads = all cores, with its default (min(4, ceil(cores / 2))), and 1
// Cold start = a fresh browser context, a new worker, from nothing to the first result (engine and
// model fetched from loopback, compiled, loaded, one inference); each config alone in its context.
// Warm = every config loaded in one page, then their runs interleaved (a slow patch of the machine
// hits all alike); median per config, ratios taken per round, then the median.
// onnxruntime-web is given the preprocessed tensor; ours decodes and preprocesses the PNG in its run.
//   node bench/wasm-threads.mjs [ROUNDS]         (needs pkg/ built: scripts/build-wasm.sh)
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { ORT_FEEDS_JS, ROOT, launchChromium, median, serveIsolated, within } from './isolated-page.mjs';

const ROUNDS = Number(process.argv[2] ?? 3);
const WARM_RUNS = 8;
const N = availableParallelism();

const worker = `${ORT_FEEDS_JS}
const bytes = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
let run;
let metaChange;
onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') {
      const t0 = performance.now();
      let engine;
      if (data.engine === 'ort') {
        const ort = await import('/ort/ort.wasm.min.mjs');
        if (data.threads !== undefined) ort.env.wasm.numThreads = data.threads;
        ort.env.wasm.wasmPaths = '/ort/';
        const session = await ort.InferenceSession.create(await bytes('/data/models/sklesion_w8.onnx'), { executionProviders: ['wasm'] });
        const feeds = await ortFeeds(ort);
        run = () => session.run(feeds);
        engine = { build: 'onnxruntime-web', threads: ort.env.wasm.numThreads };
      } else {
        const { createClassifier } = await import('/pkg/index.js');
        const c = await createClassifier(data.threads === undefined ? {} : { threads: data.threads });
        const image = await bytes('/data/samples/lesion_7_2.png');
        // The whole model each time: a classifier re-runs only the head for an image it has seen.
        run = () => (c.forgetImages(), c.classifyBytes(image));
        metaChange = (age) => c.classifyBytes(image, { age });
        engine = c.engine;
      }
      await run();
      postMessage({ cold: performance.now() - t0, engine });
    } else if (data.type === 'meta') {
      // A person changes the age: the image is the one just classified, only the head runs.
      const t = performance.now();
      metaChange(data.age);
      postMessage({ ms: performance.now() - t });
    } else {
      const t = performance.now();
      await run();
      postMessage({ ms: performance.now() - t });
    }
  } catch (e) {
    postMessage({ error: String(e && e.stack || e) });
  }
};`;

const page = `<!doctype html><meta charset="utf-8"><script type="module">
const call = (w, msg) => new Promise((res, rej) => { w.onmessage = ({ data }) => data.error ? rej(new Error(data.error)) : res(data); w.postMessage(msg); });
window.cold = async (config) => {
  const w = new Worker('/worker.js', { type: 'module' });
  const out = await call(w, { type: 'load', ...config });
  let memory;
  try { memory = (await performance.measureUserAgentSpecificMemory()).bytes; } catch {}
  w.terminate();
  return { ...out, memory, crossOriginIsolated };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
window.warm = async (configs, warmRuns) => {
  const workers = [];
  for (const c of configs) { const w = new Worker('/worker.js', { type: 'module' }); workers.push(w); await call(w, { type: 'load', ...c }); }
  const times = configs.map(() => []);
  for (let i = 0; i < warmRuns; i++) for (let k = 0; k < configs.length; k++) times[k].push((await call(workers[k], { type: 'run' })).ms);
  const meta = [];
  for (let k = 0; k < configs.length; k++) {
    if (configs[k].engine !== 'ours') continue;
    const ms = [];
    for (let i = 0; i < warmRuns; i++) ms.push((await call(workers[k], { type: 'meta', age: 20 + i })).ms);
    meta[k] = median(ms);
  }
  workers.forEach((w) => w.terminate());
  return { warm: times.map(median), meta };
};
</script>`;

const server = await serveIsolated(page, worker);
const url = server.url;
// Eager memory measurement: otherwise Chromium answers measureUserAgentSpecificMemory at its next GC.
const browser = await launchChromium(['--enable-blink-features=ForceEagerMeasureMemory']);
const configs = [
  { label: 'vibe-opsy as shipped (default threads)', engine: 'ours' },
  { label: 'vibe-opsy, threads: 1 (relaxed SIMD build)', engine: 'ours', threads: 1 },
  { label: `onnxruntime-web, numThreads ${N} (all cores)`, engine: 'ort', threads: N },
  { label: 'onnxruntime-web, default numThreads', engine: 'ort' },
  { label: 'onnxruntime-web, numThreads 1', engine: 'ort', threads: 1 },
];
const ORT_ALL = 2;
const ORT_DEFAULT = 3;

async function inFreshPage(fn) {
  const context = await browser.newContext();
  const p = await context.newPage();
  p.on('pageerror', (e) => console.error(e));
  await p.goto(url);
  await p.waitForFunction(() => typeof window.warm === 'function');
  try {
    return await fn(p);
  } finally {
    await context.close();
  }
}

const cold = configs.map(() => []);
const warm = [];
const metaChange = [];
const engines = [];
const memory = configs.map(() => []);
let isolated;
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < configs.length; k++) {
    const out = await inFreshPage((p) => within(120_000, `round ${r}, cold start of ${configs[k].label}`, p.evaluate((c) => window.cold(c), configs[k])));
    cold[k].push(out.cold);
    engines[k] = out.engine;
    if (out.memory) memory[k].push(out.memory);
    isolated = out.crossOriginIsolated;
  }
  const out = await inFreshPage((p) => within(300_000, `round ${r}, warm runs`, p.evaluate(([c, w]) => window.warm(c, w), [configs, WARM_RUNS])));
  warm.push(out.warm);
  metaChange.push(out.meta);
  console.error(`round ${r + 1}/${ROUNDS} done`);
}
await browser.close();
server.close();

const ratio = (xs, k, base) => median(xs.map((_, r) => xs[r][k] / xs[r][base]));
const coldRounds = cold[0].map((_, r) => cold.map((c) => c[r]));
const brotli = (f) => brotliCompressSync(readFileSync(join(ROOT, 'pkg', f)), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length / 1e6;
console.log(`Chromium, cross-origin isolated: ${isolated}; ${N} cores; ${ROUNDS} rounds, medians; warm = median of ${WARM_RUNS} interleaved runs per round.`);
console.log('\n| engine | runs as | warm | cold start | warm vs ort all cores | warm vs ort default | cold vs ort all cores | cold vs ort default |');
console.log('|---|---|---|---|---|---|---|---|');
configs.forEach((c, k) => {
  const e = engines[k];
  console.log(
    `| ${c.label} | ${e.build}, ${e.threads} thread${e.threads === 1 ? '' : 's'} | ${median(warm.map((w) => w[k])).toFixed(0)} ms | ${median(cold[k]).toFixed(0)} ms | ` +
      `${ratio(warm, k, ORT_ALL).toFixed(2)} | ${ratio(warm, k, ORT_DEFAULT).toFixed(2)} | ${ratio(coldRounds, k, ORT_ALL).toFixed(2)} | ${ratio(coldRounds, k, ORT_DEFAULT).toFixed(2)} |`,
  );
});
const scaling = median(warm.map((w) => w[1] / w[0]));
console.log(`\nvibe-opsy 1 thread → ${engines[0].threads} threads: ${scaling.toFixed(2)}× faster warm; onnxruntime-web 1 → ${N}: ${median(warm.map((w) => w[4] / w[ORT_ALL])).toFixed(2)}×`);
// Chromium attributes a shared memory (the threaded build's) to the page; a worker's own memory it
// does not report here, so only the threaded build's figure means something.
if (memory[0].length) console.log(`threaded build: page memory after load + 1 inference ${(median(memory[0]) / 1e6).toFixed(0)} MB (its shared memory may grow to 1 GiB)`);
console.log(
  `metadata change (the image just classified, a new age: the model's head only), on device: ${median(metaChange.map((m) => m[0])).toFixed(1)} ms (as shipped), ${median(metaChange.map((m) => m[1])).toFixed(1)} ms (1 thread); the whole model: ${median(warm.map((w) => w[0])).toFixed(0)} / ${median(warm.map((w) => w[1])).toFixed(0)} ms`,
);
console.log(`brotli (q11): threads .wasm ${brotli('generated/threads/vibe_opsy_threads_bg.wasm').toFixed(2)} MB, relaxed ${brotli('generated/vibe_opsy_relaxed_bg.wasm').toFixed(2)} MB, simd128 ${brotli('generated/vibe_opsy_bg.wasm').toFixed(2)} MB`);
