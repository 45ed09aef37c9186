// Side-by-side wasm benchmark, one run: vibe-opsy (tract, wasm32) vs onnxruntime-web (wasm backend,
// 1 thread, SIMD) on the bundled model and the same image, in Node and in headless Chromium.
//
// Engines: `ours` = the package as shipped (it picks the relaxed-SIMD build where the JS engine has
// relaxed SIMD, else the simd128 build), `ours-simd128` = the simd128 build forced, `ort`.
// Warm: each build of ours loaded beside onnxruntime-web in one process / one page and their runs
// interleaved (ours, ort, ours, ...), so a slow patch of the machine hits both alike (two builds of
// our package cannot share a JS realm: they share the glue module). Cold start = from nothing to the first
// result, each in a fresh process / fresh browser context, rounds interleaved.
// Environments: node (as installed), node with --experimental-wasm-relaxed-simd (what Node >= 22
// does by default), chromium.
//   node bench/wasm.mjs [ROUNDS]        (needs pkg/ built: scripts/build-wasm.sh)
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Another build of the package can be measured instead of pkg/ with VIBE_OPSY_PKG=/path/to/pkg.
const PKG = resolve(process.env.VIBE_OPSY_PKG ?? join(ROOT, 'pkg'));
const MODEL = join(ROOT, 'models/sklesion_w8.onnx');
const IMAGE = join(ROOT, 'samples/lesion_7_2.png');
const TENSOR = join(ROOT, 'models/golden/tensors/lesion_7_2.png.f32');
const ORT_DIST = join(ROOT, 'node_modules/onnxruntime-web/dist');
const WARM_RUNS = 10;
const ENGINES = ['ours', 'ours-simd128', 'ort'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const META = [0, 0, 1, 0, 0, 0, 0, 1, 51.9 / 90, 1];

// ---- engines (these functions also run inside the browser page, via toString) ----
async function loadEngine(which, load) {
  const t0 = performance.now();
  if (which === 'ort') {
    const ort = await import(load('ort'));
    ort.env.wasm.numThreads = 1;
    if (typeof window !== 'undefined') ort.env.wasm.wasmPaths = '/ort/';
    const session = await ort.InferenceSession.create(await load('model'), { executionProviders: ['wasm'] });
    const tensor = new ort.Tensor('float32', new Float32Array((await load('tensor')).buffer.slice(0)), [1, 254, 254, 3]);
    const meta = new ort.Tensor('float32', Float32Array.from(META), [1, 10]);
    const feeds = { input_layer_2: tensor, input_layer_3: meta };
    const run = () => session.run(feeds);
    await run();
    return { run, cold: performance.now() - t0, build: 'ort' };
  }
  const pkg = await import(load('pkg'));
  // Each build needs its own module instance to be loaded beside the other.
  const classifier = await pkg.createClassifier(which === 'ours-simd128' ? { wasm: load('simd128') } : {});
  const image = await load('image');
  // The whole model each time: a classifier re-runs only the head for an image it has seen.
  const run = () => (classifier.forgetImages(), classifier.classifyBytes(image));
  run();
  return { run, cold: performance.now() - t0, build: classifier.engine.build, load: classifier.loadTimings };
}

async function measureCold(which, load) {
  const { cold, build, load: timings } = await loadEngine(which, load);
  return { cold, build, load: timings };
}

async function measureWarm(engines, load) {
  const loaded = [];
  for (const which of engines) loaded.push(await loadEngine(which, load));
  const times = engines.map(() => []);
  for (let i = 0; i < WARM_RUNS; i++) {
    for (let e = 0; e < engines.length; e++) {
      const t = performance.now();
      await loaded[e].run();
      times[e].push(performance.now() - t);
    }
  }
  return Object.fromEntries(engines.map((which, e) => [which, { warm: median(times[e]), build: loaded[e].build }]));
}

const nodeLoad = (what) =>
  ({
    pkg: pathToFileURL(join(PKG, 'index.js')).href,
    simd128: pathToFileURL(join(PKG, 'generated/vibe_opsy_bg.wasm')),
    ort: 'onnxruntime-web',
    image: new Uint8Array(readFileSync(IMAGE)),
    model: new Uint8Array(readFileSync(MODEL)),
    tensor: new Uint8Array(readFileSync(TENSOR)),
  })[what];

if (process.argv[2] === '--child') {
  const [mode, which] = process.argv.slice(3);
  const result = mode === 'warm' ? await measureWarm([which, 'ort'], nodeLoad) : await measureCold(which, nodeLoad);
  console.log(JSON.stringify(result));
  process.exit(0);
}

// ---- orchestration ----
const rounds = Number(process.argv[2] ?? 3);
const envs = { node: [], 'node --experimental-wasm-relaxed-simd': ['--experimental-wasm-relaxed-simd'] };
const results = {};
const blank = () => ({
  cold: Object.fromEntries(ENGINES.map((e) => [e, []])),
  warm: Object.fromEntries(ENGINES.map((e) => [e, []])),
  // warm ratio of each build of ours to onnxruntime-web measured beside it, per round
  ratio: { ours: [], 'ours-simd128': [] },
});
const OURS = ['ours', 'ours-simd128'];
const record = (r, which, warm) => {
  r.warm[which].push(warm[which]);
  if (which === 'ours') r.warm.ort.push(warm.ort);
  r.ratio[which].push(warm[which].warm / warm.ort.warm);
};
const child = (flags, ...args) =>
  JSON.parse(execFileSync(process.execPath, [...flags, fileURLToPath(import.meta.url), '--child', ...args], { cwd: ROOT, encoding: 'utf8' }));

for (const [env, flags] of Object.entries(envs)) {
  results[env] = blank();
  for (let r = 0; r < rounds; r++) {
    for (const which of ENGINES) results[env].cold[which].push(child(flags, 'cold', which));
    for (const which of OURS) record(results[env], which, child(flags, 'warm', which));
  }
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const routes = { '/pkg/': PKG + '/', '/ort/': ORT_DIST + '/', '/data/': ROOT + '/' };
const page = `<!doctype html><meta charset="utf-8"><script type="module">
const fetchBytes = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
const META = ${JSON.stringify(META)};
const median = ${median.toString()};
const WARM_RUNS = ${WARM_RUNS};
const load = (what) => ({ pkg: '/pkg/index.js', simd128: '/pkg/generated/vibe_opsy_bg.wasm', ort: '/ort/ort.wasm.min.mjs',
  image: fetchBytes('/data/samples/lesion_7_2.png'), model: fetchBytes('/data/models/sklesion_w8.onnx'),
  tensor: fetchBytes('/data/models/golden/tensors/lesion_7_2.png.f32') })[what];
${loadEngine.toString()}
${measureCold.toString()}
${measureWarm.toString()}
window.cold = (which) => measureCold(which, load);
window.warm = (which) => measureWarm([which, 'ort'], load);
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
const fresh = async (fn) => {
  const context = await browser.newContext();
  const p = await context.newPage();
  await p.goto(`http://127.0.0.1:${server.address().port}/`);
  await p.waitForFunction(() => typeof window.cold === 'function');
  try {
    return await fn(p);
  } finally {
    await context.close();
  }
};
results.chromium = blank();
for (let r = 0; r < rounds; r++) {
  for (const which of ENGINES) results.chromium.cold[which].push(await fresh((p) => p.evaluate((w) => window.cold(w), which)));
  for (const which of OURS) record(results.chromium, which, await fresh((p) => p.evaluate((w) => window.warm(w), which)));
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
const glue = [join(PKG, 'generated/vibe_opsy.js'), join(PKG, 'index.js')];
const ourEngine = sizes([join(PKG, 'generated/vibe_opsy_relaxed_bg.wasm'), ...glue]);
const ourSimd = sizes([join(PKG, 'generated/vibe_opsy_bg.wasm')]);
const ourRelaxed = sizes([join(PKG, 'generated/vibe_opsy_relaxed_bg.wasm')]);
const ortEngine = sizes([join(ORT_DIST, 'ort-wasm-simd-threaded.wasm'), join(ORT_DIST, 'ort-wasm-simd-threaded.mjs'), join(ORT_DIST, 'ort.wasm.min.mjs')]);
const model = sizes([MODEL]);

const mb = (n) => (n / 1e6).toFixed(2);
const ms = (x) => `${x.toFixed(0)} ms`;
const lines = [
  `Model: models/sklesion_w8.onnx (${mb(statSync(MODEL).size)} MB); image samples/lesion_7_2.png; ${rounds} rounds, medians; warm = median of ${WARM_RUNS} interleaved runs.`,
  `Ours = decode + resize + inference (classifyBytes); onnxruntime-web = inference only on the preprocessed tensor.`,
  '',
  'Warm ratios: median over rounds of (ours / onnxruntime-web measured beside it in the same process).',
  '',
  '| environment | measure | vibe-opsy as shipped (build) | vibe-opsy simd128 | onnxruntime-web 1.30 (1 thread) | ratio shipped/ort | ratio simd128/ort |',
  '|---|---|---|---|---|---|---|',
];
for (const [env, r] of Object.entries(results)) {
  for (const kind of ['warm', 'cold']) {
    const m = Object.fromEntries(ENGINES.map((e) => [e, median(r[kind][e].map((x) => x[kind]))]));
    const ratio = (which) => (kind === 'warm' ? median(r.ratio[which]) : m[which] / m.ort);
    const build = r[kind].ours[0].build;
    lines.push(
      `| ${env} | ${kind === 'warm' ? 'warm inference' : 'cold start to first result'} | ${ms(m.ours)} (${build}) | ${ms(m['ours-simd128'])} | ${ms(m.ort)} | ${ratio('ours').toFixed(2)} | ${ratio('ours-simd128').toFixed(2)} |`,
    );
  }
}
const ol = results.chromium.cold.ours.map((x) => x.load);
lines.push('', `Ours in Chromium: model parse ${median(ol.map((l) => l.parseMs)).toFixed(0)} ms + optimise ${median(ol.map((l) => l.optimizeMs)).toFixed(0)} ms (inside the cold start).`);
lines.push('', '| download | raw | gzip | brotli |', '|---|---|---|---|');
lines.push(`| vibe-opsy engine (one .wasm + glue) | ${mb(ourEngine.raw)} MB | ${mb(ourEngine.gzip)} MB | ${mb(ourEngine.brotli)} MB |`);
lines.push(`| vibe_opsy_relaxed_bg.wasm | ${mb(ourRelaxed.raw)} MB | ${mb(ourRelaxed.gzip)} MB | ${mb(ourRelaxed.brotli)} MB |`);
lines.push(`| vibe_opsy_bg.wasm (simd128) | ${mb(ourSimd.raw)} MB | ${mb(ourSimd.gzip)} MB | ${mb(ourSimd.brotli)} MB |`);
lines.push(`| onnxruntime-web engine (.wasm + .mjs) | ${mb(ortEngine.raw)} MB | ${mb(ortEngine.gzip)} MB | ${mb(ortEngine.brotli)} MB |`);
lines.push(`| model (both) | ${mb(model.raw)} MB | ${mb(model.gzip)} MB | ${mb(model.brotli)} MB |`);
console.log(lines.join('\n'));
