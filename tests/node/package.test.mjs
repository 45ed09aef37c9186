// The packed npm package (npm pack -> npm install into a temporary project) in Node and in plain
// browser ESM (no bundler) in headless Chromium: same predictions as the native build within 1e-4,
// clear errors for bad inputs, and the classifier keeps working after them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, cpSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, extname } from 'node:path';
import { ROOT, REFERENCE, IMAGES, nativePredictions, maxDiff, CHROMIUM_ARGS } from './helpers.mjs';
import Ajv2020 from 'ajv/dist/2020.js';

let project;
let native;
let domainNative;
/** Photos and lesions for the out-of-domain check's parity (flagged and not, several sources). */
const DOMAIN_SAMPLE = [
  'tests/fixtures/domain/photos/skimage_astronaut.jpg',
  'tests/fixtures/domain/photos/skimage_coffee.jpg',
  'tests/fixtures/domain/photos/opencv_fruits.jpg',
  'tests/fixtures/domain/photos/gimp_leather.jpg',
  'tests/fixtures/domain/photos/plasma_Autumn.jpg',
  'tests/fixtures/domain/lesion_like/gen_1003.jpg',
  'tests/fixtures/reference/dermoscopy/ISIC_0025606.jpg',
  'tests/fixtures/reference/dermoscopy/ISIC_0031386.jpg',
];
const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/prediction.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true }).compile(schema);

before(() => {
  native = nativePredictions();
  domainNative = nativePredictions(DOMAIN_SAMPLE);
  project = mkdtempSync(join(tmpdir(), 'vibe-opsy-pkg-'));
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', project, join(ROOT, 'pkg')], { encoding: 'utf8' }).trim().split('\n').pop();
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--offline', join(project, tarball)], { cwd: project });
});

after(() => rmSync(project, { recursive: true, force: true }));

/** Runs a script inside the consumer project, as a user of the installed package would. */
function runInProject(source, nodeFlags = []) {
  const file = join(project, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  return JSON.parse(execFileSync(process.execPath, [...nodeFlags, file], { cwd: project, encoding: 'utf8', maxBuffer: 1 << 26 }));
}

// Node 20 has relaxed SIMD behind a flag (Node >= 22 has it on): both engine builds get checked.
for (const [build, flags] of [
  ['simd128', []],
  ['relaxed-simd', ['--experimental-wasm-relaxed-simd']],
]) {
  test(`Node (${build} build): installed tarball classifies the reference images like the native build`, () => {
    const results = runInProject(
      `
    import { createClassifier } from 'vibe-opsy';
    import { readFileSync } from 'node:fs';
    const classifier = await createClassifier();
    const out = {};
    for (const name of ${JSON.stringify(IMAGES)}) {
      out[name] = classifier.classifyBytes(readFileSync(${JSON.stringify(REFERENCE)} + '/images/' + name));
    }
    for (const path of ${JSON.stringify(DOMAIN_SAMPLE)}) {
      out[path] = classifier.classifyBytes(readFileSync(${JSON.stringify(ROOT)} + '/' + path));
    }
    out.__timings = classifier.loadTimings;
    out.__engine = classifier.engine;
    classifier.free();
    console.log(JSON.stringify(out));
  `,
      flags,
    );
    // Node has no Web Workers for the threaded build's pool: a single-threaded build, chosen silently.
    assert.deepEqual(results.__engine, { build, threads: 1 });
    for (const name of IMAGES) {
      const diff = maxDiff(results[name], native[name]);
      assert.ok(diff <= 1e-4, `${name}: max |diff| ${diff}`);
      assert.equal(results[name].class, native[name].class);
      assert.deepEqual(results[name].warnings, native[name].warnings, name);
      assert.ok(validate(results[name]), `${name}: ${JSON.stringify(validate.errors)}`);
    }
    // The out-of-domain check gives the same verdicts and scores as the native build.
    for (const path of DOMAIN_SAMPLE) {
      const name = path.split('/').pop();
      assert.equal(results[path].in_domain, domainNative[name].in_domain, path);
      assert.ok(Math.abs(results[path].domain_score - domainNative[name].domain_score) <= 1e-3, `${path}: ${results[path].domain_score} vs ${domainNative[name].domain_score}`);
      assert.ok(Math.abs(results[path].cancer_probability - domainNative[name].cancer_probability) <= 1e-4, path);
    }
    assert.ok(results.__timings.parseMs > 0);
  });
}

test('Node: while the model downloads the engine warms up on its own small model, and answers as without it', () => {
  const results = runInProject(`
    import { createClassifier } from 'vibe-opsy';
    import { readFileSync } from 'node:fs';
    const model = readFileSync(${JSON.stringify(ROOT)} + '/models/sklesion_w8.onnx');
    const manifest = readFileSync(${JSON.stringify(ROOT)} + '/models/sklesion.manifest.json', 'utf8');
    // A slow link: the model arrives after 3 s, the engine long before.
    const slowFetch = async () => { await new Promise((r) => setTimeout(r, 3000)); return new Response(model); };
    const out = {};
    for (const warmUp of [true, false]) {
      const classifier = await createClassifier({ model: 'https://cdn.example/sklesion_w8.onnx', manifest, fetch: slowFetch, warmUp });
      out[warmUp] = { timings: classifier.loadTimings, prediction: classifier.classifyBytes(readFileSync(${JSON.stringify(REFERENCE)} + '/images/lesion_7_2.png')) };
      classifier.free();
    }
    // The model in hand from the start: nothing to wait for, no warm-up.
    const direct = await createClassifier({ model, manifest });
    out.direct = direct.loadTimings;
    console.log(JSON.stringify(out));
  `);
  const warm = results.true.timings;
  assert.ok(warm.warmUpRounds >= 1 && warm.warmUpRounds <= 12, JSON.stringify(warm));
  assert.ok(warm.warmUpMs > 0 && warm.warmUpMs < 60_000, JSON.stringify(warm));
  assert.equal(results.false.timings.warmUpRounds, 0);
  assert.equal(results.direct.warmUpRounds, 0);
  for (const key of ['engineMs', 'parseMs', 'optimizeMs', 'poolWaitMs']) assert.equal(typeof warm[key], 'number', key);
  // The bundled model's pointwise weights stay int8 in the wasm engine too (0 would mean the
  // engine fell back to folding them all to float32).
  assert.ok(warm.deferredWeights > 0, JSON.stringify(warm));
  // Same answer, with or without the warm-up, as the native build.
  assert.deepEqual(results.true.prediction, results.false.prediction);
  assert.ok(maxDiff(results.true.prediction, native['lesion_7_2.png']) <= 1e-4);
});

test('Node: bad inputs throw ClassifyError with a code and the classifier keeps working', () => {
  const results = runInProject(`
    import { createClassifier, ClassifyError } from 'vibe-opsy';
    import { readFileSync } from 'node:fs';
    const good = readFileSync(${JSON.stringify(REFERENCE)} + '/images/lesion_7_2.png');
    const jpeg = readFileSync(${JSON.stringify(REFERENCE)} + '/images/lesion_7_0.jpg');
    const classifier = await createClassifier();
    const cases = {
      empty: new Uint8Array(0),
      truncated: jpeg.subarray(0, jpeg.length >> 1),
      pdf: new TextEncoder().encode('%PDF-1.4 pretend'),
      html: new TextEncoder().encode('<!DOCTYPE html><html></html>'),
      heic: new Uint8Array([0,0,0,24,...new TextEncoder().encode('ftypheic'),0,0,0,0,...new TextEncoder().encode('mif1heic')]),
    };
    const out = {};
    for (const [name, bytes] of Object.entries(cases)) {
      try { classifier.classifyBytes(bytes); out[name] = 'no error'; }
      catch (e) { out[name] = { isClassifyError: e instanceof ClassifyError, isError: e instanceof Error, code: e.code, message: e.message }; }
      out[name + '_after'] = classifier.classifyBytes(good).class;
    }
    try { classifier.classifyBytes(good, { sex: 'robot' }); } catch (e) { out.metadata = e.code; }
    try { classifier.classifyPixels(new Uint8Array(10), 2, 2); } catch (e) { out.pixels = e.code; }
    out.blob = (await classifier.classify(new Blob([good]), { age: 60, sex: 'female', site: 'trunk' })).class;
    // the image just seen, a new age: only the model's head runs, with the whole model's answer
    out.age65 = classifier.classifyBytes(good, { age: 65 });
    classifier.forgetImages();
    out.age65whole = classifier.classifyBytes(good, { age: 65 });
    try { await createClassifier({ model: new Uint8Array([1, 2, 3]) }); } catch (e) { out.customWithoutManifest = e.code; }
    try { await createClassifier({ model: new Uint8Array([1, 2, 3]), manifest: readFileSync(${JSON.stringify(ROOT)} + '/models/sklesion.manifest.json', 'utf8') }); } catch (e) { out.badModel = e.code; }
    classifier.free();
    try { classifier.classifyBytes(good); } catch (e) { out.freed = e.code; }
    console.log(JSON.stringify(out));
  `);
  const expected = { empty: 'empty_file', truncated: 'corrupt_image', pdf: 'not_an_image', html: 'not_an_image', heic: 'unsupported_format' };
  for (const [name, code] of Object.entries(expected)) {
    assert.equal(results[name].code, code, JSON.stringify(results[name]));
    assert.ok(results[name].isClassifyError && results[name].isError);
    assert.ok(results[name].message.length > 10);
    assert.equal(results[name + '_after'], 'nv', `still works after ${name}`);
  }
  assert.match(results.heic.message, /HEIC.*JPEG/);
  assert.equal(results.metadata, 'invalid_metadata');
  assert.equal(results.pixels, 'invalid_pixels');
  assert.equal(results.blob, 'nv');
  const age65 = nativePredictions(['lesion_7_2.png'], ['--age', '65'])['lesion_7_2.png'];
  for (const answer of [results.age65, results.age65whole]) assert.ok(maxDiff(answer, age65) <= 1e-4, `max |diff| ${maxDiff(answer, age65)}`);
  assert.equal(results.customWithoutManifest, 'invalid_manifest');
  assert.equal(results.badModel, 'model_load_failed');
  assert.equal(results.freed, 'freed');
});

/** Serves `site` on loopback, with the COOP/COEP headers of `vibe-opsy serve` when `isolated`. */
async function serveSite(site, { isolated }) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
  const isolation = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  const server = createServer((req, res) => {
    try {
      const body = readFileSync(join(site, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
      res.writeHead(200, { 'content-type': types[extname(req.url)] ?? 'application/octet-stream', ...isolation });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

// What the page (or its worker) runs: classify every image, a bad file, then a good one again.
const RUN = `
  import { createClassifier, defaultThreads, threadsUnavailableReason } from './vibe-opsy/index.js';
  async function run(names, options) {
    const stages = [];
    const classifier = await createClassifier({ ...options, onStage: (stage) => stages.push(stage) });
    const out = { stages };
    for (const name of names) out[name] = await classifier.classify(await (await fetch('images/' + name)).blob());
    try { classifier.classifyBytes(new Uint8Array(0)); } catch (e) { out.error = { code: e.code, message: e.message }; }
    out.after = classifier.classifyBytes(new Uint8Array(await (await fetch('images/lesion_7_2.png')).arrayBuffer())).class;
    out.engine = classifier.engine;
    out.defaultThreads = defaultThreads();
    out.reason = threadsUnavailableReason() ?? null;
    classifier.free();
    return out;
  }`;

/** The installed package copied into a static site with the reference images. */
function makeSite() {
  const site = mkdtempSync(join(tmpdir(), 'vibe-opsy-esm-'));
  cpSync(join(project, 'node_modules/vibe-opsy'), join(site, 'vibe-opsy'), { recursive: true, dereference: true });
  mkdirSync(join(site, 'images'));
  for (const name of IMAGES) cpSync(join(REFERENCE, 'images', name), join(site, 'images', name));
  writeFileSync(join(site, 'index.html'), `<!doctype html><meta charset="utf-8"><title>esm</title>
<script type="module">
  ${RUN}
  window.run = run;
  // The same in a module worker (where the threaded build may block on its pool).
  window.runInWorker = (names, options) => new Promise((resolve, reject) => {
    const worker = new Worker('worker.js', { type: 'module' });
    worker.onmessage = ({ data }) => { worker.terminate(); data.failure ? reject(new Error(data.failure)) : resolve(data.out); };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ names, options });
  });
</script>`);
  writeFileSync(join(site, 'worker.js'), `${RUN}
  onmessage = async ({ data }) => {
    try { postMessage({ out: await run(data.names, data.options) }); } catch (e) { postMessage({ failure: String(e && e.stack || e) }); }
  };`);
  return site;
}

function assertNative(results) {
  for (const name of IMAGES) {
    const diff = maxDiff(results[name], native[name]);
    assert.ok(diff <= 1e-4, `${name}: max |diff| ${diff}`);
    assert.equal(results[name].class, native[name].class, name);
  }
  assert.equal(results.error.code, 'empty_file');
  assert.equal(results.after, 'nv');
}

test('plain browser ESM (no bundler) in headless Chromium: the single-threaded build on a page that is not isolated, the threaded one in a worker of an isolated page; both give the native results', async () => {
  const { chromium } = await import('playwright-core');
  const site = makeSite();
  const plain = await serveSite(site, { isolated: false });
  const isolated = await serveSite(site, { isolated: true });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // Not cross-origin isolated: no shared memory, so one thread, relaxed SIMD (Chromium has it) —
    // on the page and in a worker alike.
    await page.goto(`http://127.0.0.1:${plain.address().port}/index.html`);
    await page.waitForFunction(() => typeof window.run === 'function');
    const onPage = await page.evaluate((names) => window.run(names), IMAGES);
    assertNative(onPage);
    assert.deepEqual(onPage.engine, { build: 'relaxed-simd', threads: 1 });
    assert.deepEqual(onPage.stages, []);
    assert.match(onPage.reason, /not cross-origin isolated/);
    const inWorker = await page.evaluate((names) => window.runInWorker(names), IMAGES);
    assert.deepEqual(inWorker.engine, { build: 'relaxed-simd', threads: 1 });
    assert.equal(inWorker.defaultThreads, 1);

    // Cross-origin isolated, in a worker: the threaded build on the default number of threads.
    await page.goto(`http://127.0.0.1:${isolated.address().port}/index.html`);
    await page.waitForFunction(() => typeof window.run === 'function');
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threaded = await page.evaluate((names) => window.runInWorker(names), IMAGES);
    assert.equal(threaded.reason, cores > 1 ? null : 'one core');
    if (cores > 1) {
      assert.deepEqual(threaded.engine, { build: 'threads', threads: threaded.defaultThreads });
      // around the pool's creation (what the web app watches for a stuck start)
      assert.deepEqual(threaded.stages, ['pool-starting', 'pool-requested']);
      assert.ok(threaded.defaultThreads >= 2, `default threads ${threaded.defaultThreads} on ${cores} cores`);
    }
    assertNative(threaded);
    // Asked for explicitly: 3 threads (more than this machine's cores still works), or none.
    const three = await page.evaluate((names) => window.runInWorker(names.slice(0, 2), { threads: 3 }), IMAGES);
    assert.deepEqual(three.engine, { build: 'threads', threads: 3 });
    for (const name of IMAGES.slice(0, 2)) assert.ok(maxDiff(three[name], native[name]) <= 1e-4, name);
    const one = await page.evaluate((names) => window.runInWorker(names.slice(0, 1), { threads: 1 }), IMAGES);
    assert.deepEqual(one.engine, { build: 'relaxed-simd', threads: 1 });
    // On the isolated page's main thread the pool could not block: one thread, and it says why.
    const main = await page.evaluate((names) => window.run(names.slice(0, 1), { threads: 2 }), IMAGES);
    assert.equal(main.engine.build, 'relaxed-simd');
    assert.match(main.engine.fallbackReason, /main thread/);
    // A pool that cannot start (its worker script missing) falls back silently to one thread.
    const broken = await page.evaluate((names) => window.runInWorker(names.slice(0, 1), { threadsWasm: 'missing.wasm' }), IMAGES);
    assert.equal(broken.engine.build, 'relaxed-simd');
    assert.match(broken.engine.fallbackReason, /threaded engine did not start/);
    assert.ok(maxDiff(broken[IMAGES[0]], native[IMAGES[0]]) <= 1e-4);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    plain.close();
    isolated.close();
    rmSync(site, { recursive: true, force: true });
  }
});
