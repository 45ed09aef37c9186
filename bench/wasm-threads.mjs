// Wasm threads on this machine, side by side in one cross-origin-isolated Chromium page: each engine
// runs in its own module Web Worker (threads need a worker: the pool blocks on atomics), all loaded
// first, then their warm runs interleaved.
//   vibe-opsy threads build, 1 thread (no pool) and N threads (wasm-bindgen-rayon pool of N)
//   vibe-opsy as shipped (pkg/, single-threaded)
//   onnxruntime-web 1.30, numThreads 1 and N
//   VIBE_OPSY_THREADS_PKG=target/pkg-threads node bench/wasm-threads.mjs [ROUNDS]   (bench/wasm-threads.sh)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const THREADS_PKG = resolve(process.env.VIBE_OPSY_THREADS_PKG ?? join(ROOT, 'target/pkg-threads'));
const ROUNDS = Number(process.argv[2] ?? 3);
const WARM_RUNS = 8;
const N = availableParallelism();
const META = [0, 0, 1, 0, 0, 0, 0, 1, 51.9 / 90, 1];

const worker = `
const META = ${JSON.stringify(META)};
const bytes = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
let run;
onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') {
      const t0 = performance.now();
      const { engine, threads } = data;
      if (engine === 'ort') {
        const ort = await import('/ort/ort.wasm.min.mjs');
        ort.env.wasm.numThreads = threads;
        ort.env.wasm.wasmPaths = '/ort/';
        const session = await ort.InferenceSession.create(await bytes('/data/models/sklesion_w8.onnx'), { executionProviders: ['wasm'] });
        const t = await bytes('/data/models/golden/tensors/lesion_7_2.png.f32');
        const feeds = { input_layer_2: new ort.Tensor('float32', new Float32Array(t.buffer), [1, 254, 254, 3]),
                        input_layer_3: new ort.Tensor('float32', Float32Array.from(META), [1, 10]) };
        run = () => session.run(feeds);
      } else {
        const glue = await import(engine === 'threads' ? '/threads/generated/vibe_opsy.js' : '/pkg/generated/vibe_opsy.js');
        await glue.default(engine === 'threads' ? undefined : { module_or_path: '/pkg/generated/vibe_opsy_relaxed_bg.wasm' });
        if (engine === 'threads' && threads > 1) {
          await glue.initThreadPool(threads);
          glue.useThreadPool();
        }
        const manifest = await (await fetch('/data/models/sklesion.manifest.json')).text();
        const c = new glue.LesionClassifier(await bytes('/data/models/sklesion_w8.onnx'), manifest);
        const image = await bytes('/data/samples/lesion_7_2.png');
        run = () => c.classify(image, undefined);
      }
      await run();
      postMessage({ cold: performance.now() - t0 });
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
const url = '/worker.js';
const call = (w, msg) => new Promise((res, rej) => { w.onmessage = ({ data }) => data.error ? rej(new Error(data.error)) : res(data); w.postMessage(msg); });
window.bench = async (configs, warmRuns) => {
  const workers = [];
  const cold = [];
  for (const c of configs) { const w = new Worker(url, { type: 'module' }); workers.push(w); cold.push((await call(w, { type: 'load', ...c })).cold); }
  const times = configs.map(() => []);
  for (let i = 0; i < warmRuns; i++) for (let k = 0; k < configs.length; k++) times[k].push((await call(workers[k], { type: 'run' })).ms);
  workers.forEach((w) => w.terminate());
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return { cold, warm: times.map(median), crossOriginIsolated };
};
</script>`;

const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const routes = { '/threads/': THREADS_PKG + '/', '/pkg/': join(ROOT, 'pkg') + '/', '/ort/': join(ROOT, 'node_modules/onnxruntime-web/dist') + '/', '/data/': ROOT + '/' };
const isolation = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const server = createServer((req, res) => {
  let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path === '/') return res.writeHead(200, { 'content-type': 'text/html', ...isolation }).end(page);
  if (path === '/worker.js') return res.writeHead(200, { 'content-type': 'text/javascript', ...isolation }).end(worker);
  // wasm-bindgen-rayon's worker helper imports the glue as '../../..' (the package root, for bundlers)
  if (path === '/threads/generated/') path = '/threads/generated/vibe_opsy.js';
  const prefix = Object.keys(routes).find((p) => path.startsWith(p));
  try {
    const body = readFileSync(routes[prefix] + path.slice(prefix.length));
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream', ...isolation }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const configs = [
  { label: 'vibe-opsy threads build, 1 thread', engine: 'threads', threads: 1 },
  { label: `vibe-opsy threads build, ${N} threads`, engine: 'threads', threads: N },
  { label: 'vibe-opsy as shipped (relaxed-simd, 1 thread)', engine: 'shipped', threads: 1 },
  { label: 'onnxruntime-web, 1 thread', engine: 'ort', threads: 1 },
  { label: `onnxruntime-web, ${N} threads`, engine: 'ort', threads: N },
];
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const context = await browser.newContext();
  const p = await context.newPage();
  p.on('pageerror', (e) => console.error(e));
  await p.goto(`http://127.0.0.1:${server.address().port}/`);
  await p.waitForFunction(() => typeof window.bench === 'function');
  rounds.push(await p.evaluate(([c, w]) => window.bench(c, w), [configs, WARM_RUNS]));
  await context.close();
}
await browser.close();
server.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`Chromium, cross-origin isolated: ${rounds[0].crossOriginIsolated}; ${N} cores; ${ROUNDS} rounds, medians; warm = median of ${WARM_RUNS} interleaved runs.`);
console.log('\n| engine | warm | cold start (in a worker) | warm vs onnxruntime-web 1 thread |\n|---|---|---|---|');
configs.forEach((c, k) => {
  const warm = median(rounds.map((r) => r.warm[k]));
  const cold = median(rounds.map((r) => r.cold[k]));
  const ratio = median(rounds.map((r) => r.warm[k] / r.warm[3]));
  console.log(`| ${c.label} | ${warm.toFixed(0)} ms | ${cold.toFixed(0)} ms | ${ratio.toFixed(2)} |`);
});
