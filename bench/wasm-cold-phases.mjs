// Where a cold start goes, phase by phase, in headless Chromium on a cross-origin-isolated page: the
// package as shipped (threaded build) against onnxruntime-web with numThreads = all cores, each in a
// module worker of a fresh browser context (nothing cached), bundled model, rounds interleaved.
// Ours: the package's User Timing marks (engine ready, model downloaded, warmed up, model loaded) and
// `loadTimings` (parse, optimise, pool wait, warm-up rounds), then the first and a second
// classification. onnxruntime-web: its model download, `InferenceSession.create`, first and second run.
//   node bench/wasm-cold-phases.mjs [ROUNDS]     (needs pkg/ built: scripts/build-wasm.sh)
import { availableParallelism } from 'node:os';
import { ORT_FEEDS_JS, launchChromium, median, serveIsolated, within } from './isolated-page.mjs';

const ROUNDS = Number(process.argv[2] ?? 5);
const N = availableParallelism();

const worker = `${ORT_FEEDS_JS}
const bytes = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
onmessage = async ({ data }) => {
  try {
    const t0 = performance.now();
    if (data.engine === 'ort') {
      const ort = await import('/ort/ort.wasm.min.mjs');
      ort.env.wasm.numThreads = ${N};
      ort.env.wasm.wasmPaths = '/ort/';
      const model = await bytes('/data/models/sklesion_w8.onnx');
      const downloaded = performance.now();
      const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
      const created = performance.now();
      const feeds = await ortFeeds(ort);
      const t1 = performance.now(); await session.run(feeds); const t2 = performance.now();
      await session.run(feeds); const t3 = performance.now();
      postMessage({ cold: t2 - t0, download: downloaded - t0, session: created - downloaded, first: t2 - t1, second: t3 - t2 });
    } else {
      const { createClassifier } = await import('/pkg/index.js');
      const c = await createClassifier();
      const image = await bytes('/data/samples/lesion_7_2.png');
      const t1 = performance.now(); await c.classifyBytes(image); const t2 = performance.now();
      c.forgetImages();
      await c.classifyBytes(image); const t3 = performance.now();
      const marks = Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name.replace('vibe-opsy:', ''), m.startTime - t0]));
      postMessage({ cold: t2 - t0, first: t2 - t1, second: t3 - t2, marks, load: c.loadTimings, engine: c.engine });
    }
  } catch (e) {
    postMessage({ error: String(e && e.stack || e) });
  }
};`;

const page = `<!doctype html><meta charset="utf-8"><script type="module">
window.cold = (config) => new Promise((resolve, reject) => {
  const w = new Worker('/worker.js', { type: 'module' });
  w.onmessage = ({ data }) => { w.terminate(); data.error ? reject(new Error(data.error)) : resolve(data); };
  w.postMessage(config);
});
</script>`;

const ms = (x) => (x === undefined ? '—' : `${Math.round(x)}`);
const server = await serveIsolated(page, worker);
const browser = await launchChromium();
const rows = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    const round = {};
    for (const engine of ['ours', 'ort']) {
      const context = await browser.newContext();
      const tab = await context.newPage();
      await tab.goto(server.url);
      round[engine] = await within(120_000, `${engine} cold start`, tab.evaluate((c) => window.cold(c), { engine }));
      await context.close();
    }
    rows.push(round);
    console.error(`round ${r + 1}/${ROUNDS} done`);
  }
} finally {
  await browser.close();
  server.close();
}

console.log(`Chromium, cross-origin isolated, ${N} cores, ${ROUNDS} rounds (ms from the worker's start; ours: ${JSON.stringify(rows[0].ours.engine)}).\n`);
console.log('| round | ours: engine ready | model downloaded | warm-up rounds | parse | optimise | model loaded | pool wait | first | second | **cold** | ort: download | session | first | second | **cold** | cold ratio |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
rows.forEach(({ ours, ort }, i) => {
  const m = ours.marks;
  const l = ours.load;
  console.log(`| ${i + 1} | ${ms(m['engine-ready'])} | ${ms(m['model-downloaded'])} | ${l.warmUpRounds} | ${ms(l.parseMs)} | ${ms(l.optimizeMs)} | ${ms(m['model-loaded'])} | ${ms(l.poolWaitMs)} | ${ms(ours.first)} | ${ms(ours.second)} | **${ms(ours.cold)}** | ${ms(ort.download)} | ${ms(ort.session)} | ${ms(ort.first)} | ${ms(ort.second)} | **${ms(ort.cold)}** | ${(ours.cold / ort.cold).toFixed(2)} |`);
});
console.log(`\nmedian cold: ours ${ms(median(rows.map((r) => r.ours.cold)))} ms, onnxruntime-web ${ms(median(rows.map((r) => r.ort.cold)))} ms; median of the per-round ratios ${median(rows.map((r) => r.ours.cold / r.ort.cold)).toFixed(2)}`);
