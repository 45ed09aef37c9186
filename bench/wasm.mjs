// Side-by-side wasm benchmark, one run: vibe-opsy (tract, wasm32+simd128) vs onnxruntime-web
// (wasm backend, 1 thread, SIMD) on the bundled model and the same image, in Node and in headless
// Chromium. Cold start = from nothing to the first result (fresh process / fresh browser context).
//   node bench/wasm.mjs [ROUNDS]        (needs pkg/ built: scripts/build-wasm.sh)
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Another build of the package (e.g. the +relaxed-simd variant from bench/wasm-variant.sh) can be
// measured instead of pkg/ with VIBE_OPSY_PKG=/path/to/pkg.
const PKG = resolve(process.env.VIBE_OPSY_PKG ?? join(ROOT, 'pkg'));
const MODEL = join(ROOT, 'models/sklesion_w8.onnx');
const IMAGE = join(ROOT, 'samples/lesion_7_2.png');
const TENSOR = join(ROOT, 'models/golden/tensors/lesion_7_2.png.f32');
const ORT_DIST = join(ROOT, 'node_modules/onnxruntime-web/dist');
const WARM_RUNS = 10;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const META = [0, 0, 1, 0, 0, 0, 0, 1, 51.9 / 90, 1];

// ---- one measurement in this process (child mode) ----
async function measureOurs(load) {
  const t0 = performance.now();
  const { createClassifier } = await import(load('pkg'));
  const classifier = await createClassifier();
  const image = await load('image');
  const first = classifier.classifyBytes(image);
  const cold = performance.now() - t0;
  const warm = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    const t = performance.now();
    classifier.classifyBytes(image);
    warm.push(performance.now() - t);
  }
  return { cold, warm: median(warm), top: first.class, load: classifier.loadTimings };
}

async function measureOrt(load) {
  const t0 = performance.now();
  const ort = await import(load('ort'));
  ort.env.wasm.numThreads = 1;
  if (typeof window !== 'undefined') ort.env.wasm.wasmPaths = '/ort/';
  const session = await ort.InferenceSession.create(await load('model'), { executionProviders: ['wasm'] });
  const tensor = new ort.Tensor('float32', new Float32Array((await load('tensor')).buffer.slice(0)), [1, 254, 254, 3]);
  const meta = new ort.Tensor('float32', Float32Array.from(META), [1, 10]);
  const feeds = { input_layer_2: tensor, input_layer_3: meta };
  await session.run(feeds);
  const cold = performance.now() - t0;
  const warm = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    const t = performance.now();
    await session.run(feeds);
    warm.push(performance.now() - t);
  }
  return { cold, warm: median(warm) };
}

const nodeLoad = (what) =>
  ({
    pkg: pathToFileURL(join(PKG, 'index.js')).href,
    ort: 'onnxruntime-web',
    image: new Uint8Array(readFileSync(IMAGE)),
    model: new Uint8Array(readFileSync(MODEL)),
    tensor: new Uint8Array(readFileSync(TENSOR)),
  })[what];

if (process.argv[2] === '--child') {
  const result = process.argv[3] === 'ours' ? await measureOurs(nodeLoad) : await measureOrt(nodeLoad);
  console.log(JSON.stringify(result));
  process.exit(0);
}

// ---- orchestration ----
const rounds = Number(process.argv[2] ?? 3);
const results = { node: { ours: [], ort: [] }, chromium: { ours: [], ort: [] } };
const child = (which) =>
  JSON.parse(execFileSync(process.execPath, [...(process.env.NODE_WASM_FLAGS ? process.env.NODE_WASM_FLAGS.split(' ') : []), fileURLToPath(import.meta.url), '--child', which], { cwd: ROOT, encoding: 'utf8' }));
for (let r = 0; r < rounds; r++) {
  results.node.ours.push(child('ours'));
  results.node.ort.push(child('ort'));
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const routes = { '/pkg/': PKG + '/', '/ort/': ORT_DIST + '/', '/data/': ROOT + '/' };
const page = `<!doctype html><meta charset="utf-8"><script type="module">
const fetchBytes = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
const load = (what) => ({ pkg: '/pkg/index.js', ort: '/ort/ort.wasm.min.mjs', image: fetchBytes('/data/samples/lesion_7_2.png'),
  model: fetchBytes('/data/models/sklesion_w8.onnx'), tensor: fetchBytes('/data/models/golden/tensors/lesion_7_2.png.f32') })[what];
const median = ${median.toString()};
const WARM_RUNS = ${WARM_RUNS}; const META = ${JSON.stringify(META)};
${measureOurs.toString()}
${measureOrt.toString()}
window.bench = (which) => (which === 'ours' ? measureOurs(load) : measureOrt(load));
</script>`;
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  const prefix = Object.keys(routes).find((p) => path.startsWith(p));
  try {
    const body = readFileSync(routes[prefix] + path.slice(prefix.length));
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
for (let r = 0; r < rounds; r++) {
  for (const which of ['ours', 'ort']) {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(`http://127.0.0.1:${server.address().port}/`);
    await p.waitForFunction(() => typeof window.bench === 'function');
    results.chromium[which].push(await p.evaluate((w) => window.bench(w), which));
    await context.close();
  }
}
await browser.close();
server.close();

const sizes = (files) => {
  const all = files.map((f) => readFileSync(f));
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  return {
    raw: sum(all.map((b) => b.length)),
    gzip: sum(all.map((b) => gzipSync(b, { level: 9 }).length)),
    brotli: sum(all.map((b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length)),
  };
};
const ourEngine = sizes([join(PKG, 'generated/vibe_opsy_bg.wasm'), join(PKG, 'generated/vibe_opsy.js'), join(PKG, 'index.js')]);
const ortEngine = sizes([join(ORT_DIST, 'ort-wasm-simd-threaded.wasm'), join(ORT_DIST, 'ort-wasm-simd-threaded.mjs'), join(ORT_DIST, 'ort.wasm.min.mjs')]);
const ourWasm = sizes([join(PKG, 'generated/vibe_opsy_bg.wasm')]);
const model = sizes([MODEL]);

const mb = (n) => (n / 1e6).toFixed(2);
const row = (label, a, b, unit = 'ms', digits = 0) =>
  `| ${label} | ${a.toFixed(digits)} ${unit} | ${b.toFixed(digits)} ${unit} | ${(a / b).toFixed(2)} |`;
const lines = [
  `Model: models/sklesion_w8.onnx (${mb(statSync(MODEL).size)} MB); image samples/lesion_7_2.png; ${rounds} rounds, medians; warm = median of ${WARM_RUNS} runs.`,
  `Ours = decode + resize + inference (classifyBytes); onnxruntime-web = inference only on the preprocessed tensor.`,
  '',
  '| | vibe-opsy (tract wasm) | onnxruntime-web 1.30 (wasm, 1 thread) | ratio ours/ort |',
  '|---|---|---|---|',
];
for (const env of ['node', 'chromium']) {
  const o = results[env].ours;
  const t = results[env].ort;
  lines.push(row(`${env}: warm inference`, median(o.map((x) => x.warm)), median(t.map((x) => x.warm)), 'ms', 0));
  lines.push(row(`${env}: cold start to first result`, median(o.map((x) => x.cold)), median(t.map((x) => x.cold)), 'ms', 0));
}
const ol = results.chromium.ours.map((x) => x.load);
lines.push('', `Ours in Chromium: model parse ${median(ol.map((l) => l.parseMs)).toFixed(0)} ms + optimise ${median(ol.map((l) => l.optimizeMs)).toFixed(0)} ms (inside the cold start).`);
lines.push('', '| download | raw | gzip | brotli |', '|---|---|---|---|');
lines.push(`| vibe-opsy engine (.wasm + glue) | ${mb(ourEngine.raw)} MB | ${mb(ourEngine.gzip)} MB | ${mb(ourEngine.brotli)} MB |`);
lines.push(`| of which .wasm | ${mb(ourWasm.raw)} MB | ${mb(ourWasm.gzip)} MB | ${mb(ourWasm.brotli)} MB |`);
lines.push(`| onnxruntime-web engine (.wasm + .mjs) | ${mb(ortEngine.raw)} MB | ${mb(ortEngine.gzip)} MB | ${mb(ortEngine.brotli)} MB |`);
lines.push(`| model (both) | ${mb(model.raw)} MB | ${mb(model.gzip)} MB | ${mb(model.brotli)} MB |`);
console.log(lines.join('\n'));
