// First visit over a shaped link, side by side in one run: the built app (`vibe-opsy serve --static
// www/dist`, precompressed assets) vs a minimal page on onnxruntime-web's engine served the same way
// (brotli, same model), both behind one TCP proxy that paces every byte to the server's side at
// LINK_MBIT (default 20 Mbit/s, a phone on 4G) and counts them (page, worker and service worker).
// Fresh Chromium profile each round; a lesion image is picked at once.
//   node bench/first-visit.mjs [ROUNDS] [LINK_MBIT]
// Prints: time to the first result, MB over the wire until the first result and until the app is
// ready offline (service worker active, engine and model in the cache), then a second visit: online
// (bytes moved) and offline (time to the result).
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, REFERENCE, ROOT } from '../tests/node/helpers.mjs';
import { startServer } from '../tests/e2e/server.mjs';

const ROUNDS = Number(process.argv[2] ?? 2);
const LINK_MBIT = Number(process.argv[3] ?? 20);
const IMAGE = join(REFERENCE, 'images', 'lesion_7_2.png');
const ORT_DIST = join(ROOT, 'node_modules/onnxruntime-web/dist');
const MODEL = join(ROOT, 'models/sklesion_w8.onnx');
const TENSOR = join(REFERENCE, 'tensors', 'lesion_7_2.png.f32');
const mb = (n) => (n / 1e6).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A TCP proxy whose server-to-browser direction shares one paced link; counts bytes both ways. */
async function shapedProxy(target, mbit) {
  const bytesPerMs = (mbit * 1e6) / 8 / 1000;
  let nextFree = 0; // when the link is free again (ms)
  const counters = { down: 0, up: 0 };
  const pace = async (n) => {
    const now = performance.now();
    const start = Math.max(now, nextFree);
    nextFree = start + n / bytesPerMs;
    const wait = nextFree - now;
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  };
  const server = createTcpServer((client) => {
    const upstream = connect(target.port, target.host);
    let queue = Promise.resolve();
    client.on('data', (d) => {
      counters.up += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      upstream.pause();
      queue = queue.then(async () => {
        for (let i = 0; i < d.length; i += 16384) {
          const part = d.subarray(i, i + 16384);
          await pace(part.length);
          counters.down += part.length;
          if (!client.destroyed) client.write(part);
        }
        upstream.resume();
      });
    });
    const close = () => {
      queue.then(() => {
        client.destroy();
        upstream.destroy();
      });
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('end', close);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, counters, close: () => server.close() };
}

/** The onnxruntime-web page: its engine and the model, brotli like ours, one inference. */
function ortSite() {
  const brotli = new Map();
  const files = {
    '/ort/ort.wasm.min.mjs': join(ORT_DIST, 'ort.wasm.min.mjs'),
    '/ort/ort-wasm-simd-threaded.mjs': join(ORT_DIST, 'ort-wasm-simd-threaded.mjs'),
    '/ort/ort-wasm-simd-threaded.wasm': join(ORT_DIST, 'ort-wasm-simd-threaded.wasm'),
    '/model.onnx': MODEL,
    '/tensor.f32': TENSOR,
  };
  const page = `<!doctype html><meta charset="utf-8"><title>ort</title><script type="module">
    const t0 = performance.now();
    const ort = await import('/ort/ort.wasm.min.mjs');
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.wasm.numThreads = 1;
    const [model, tensor] = await Promise.all(['/model.onnx', '/tensor.f32'].map((u) => fetch(u).then((r) => r.arrayBuffer())));
    const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(tensor), [1, 254, 254, 3]) };
    if (session.inputNames[1]) feeds[session.inputNames[1]] = new ort.Tensor('float32', new Float32Array([0,0,1,0,0,0,0,1,51.9/90,1]), [1, 10]);
    await session.run(feeds);
    document.title = 'done ' + (performance.now() - t0).toFixed(0);
  </script>`;
  const types = {
    '.mjs': 'text/javascript',
    '.wasm': 'application/wasm',
    '.onnx': 'application/octet-stream',
    '.f32': 'application/octet-stream',
  };
  const server = createHttpServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      return;
    }
    const file = files[path];
    if (!file) return res.writeHead(404).end();
    if (!brotli.has(file)) {
      const raw = readFileSync(file);
      const quality = extname(file) === '.onnx' ? 9 : 11;
      brotli.set(
        file,
        brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_LGWIN]: 24 } }),
      );
    }
    const body = brotli.get(file);
    res
      .writeHead(200, { 'content-type': types[extname(file)], 'content-encoding': 'br', 'content-length': body.length })
      .end(body);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ port: server.address().port, close: () => server.close() })));
}

/** Runs `visit(context, page)` in a fresh Chromium profile, removed afterwards. */
async function inFreshProfile(visit) {
  const profile = mkdtempSync(join(tmpdir(), 'first-visit-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    return await visit(context, context.pages()[0] ?? (await context.newPage()));
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The classifier worker's timeline (the package's User Timing marks, ms since the page's start). */
async function workerMarks(page) {
  const worker = page.workers().find((w) => w.url().includes('classifier.worker'));
  if (!worker) return {};
  const pageOrigin = await page.evaluate(() => performance.timeOrigin);
  const { origin, marks } = await worker.evaluate(() => ({
    origin: performance.timeOrigin,
    marks: performance.getEntriesByType('mark').map((m) => [m.name.replace('vibe-opsy:', ''), m.startTime]),
  }));
  return Object.fromEntries([['worker-start', 0], ...marks].map(([name, t]) => [name, Math.round(origin - pageOrigin + t)]));
}

function ours(origin, proxy) {
  return inFreshProfile(async (context, page) => {
    const base = proxy.counters.down + proxy.counters.up;
    const started = Date.now();
    await page.goto(origin);
    await page.locator('[data-testid=file-input]').setInputFiles(IMAGE);
    await page.locator('[data-testid=result]').waitFor({ timeout: 600_000 });
    const firstResultS = (Date.now() - started) / 1000;
    const firstVisitMarks = await workerMarks(page);
    const atResult = proxy.counters.down + proxy.counters.up - base;
    // Ready offline: the service worker is active and the engine and model are in the cache.
    await page.waitForFunction(
      async () => {
        const reg = await navigator.serviceWorker.getRegistration();
        if (!reg?.active) return false;
        const cache = await caches.open('vibe-opsy-assets-v1');
        const keys = (await cache.keys()).map((r) => r.url);
        return keys.some((u) => u.endsWith('.onnx')) && keys.some((u) => u.endsWith('.wasm'));
      },
      null,
      { timeout: 600_000, polling: 500 },
    );
    const readyOffline = proxy.counters.down + proxy.counters.up - base;
    const readyS = (Date.now() - started) / 1000;
    // Second visit, online: what moves.
    const before2 = proxy.counters.down + proxy.counters.up;
    const t2 = Date.now();
    await page.reload();
    await page.locator('[data-testid=file-input]').setInputFiles(IMAGE);
    await page.locator('[data-testid=result]').waitFor({ timeout: 120_000 });
    const secondOnlineS = (Date.now() - t2) / 1000;
    const secondBytes = proxy.counters.down + proxy.counters.up - before2;
    // Second visit, offline.
    await context.setOffline(true);
    const t3 = Date.now();
    await page.reload();
    await page.locator('[data-testid=file-input]').setInputFiles(IMAGE);
    await page.locator('[data-testid=result]').waitFor({ timeout: 120_000 });
    const secondOfflineS = (Date.now() - t3) / 1000;
    const secondVisitMarks = await workerMarks(page);
    return { firstResultS, atResult, readyOffline, readyS, secondOnlineS, secondBytes, secondOfflineS, firstVisitMarks, secondVisitMarks };
  });
}

function ortPage(origin, proxy) {
  return inFreshProfile(async (_context, page) => {
    const base = proxy.counters.down + proxy.counters.up;
    const started = Date.now();
    await page.goto(origin);
    await page.waitForFunction(() => document.title.startsWith('done'), null, { timeout: 600_000, polling: 200 });
    return { firstResultS: (Date.now() - started) / 1000, atResult: proxy.counters.down + proxy.counters.up - base };
  });
}

statSync(join(ROOT, 'www/dist/index.html'));
const app = await startServer();
const appProxy = await shapedProxy({ host: '127.0.0.1', port: Number(new URL(app.url).port) }, LINK_MBIT);
const ort = await ortSite();
const ortProxy = await shapedProxy({ host: '127.0.0.1', port: ort.port }, LINK_MBIT);
const rows = { ours: [], ort: [] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    rows.ours.push(await ours(`http://127.0.0.1:${appProxy.port}/`, appProxy));
    rows.ort.push(await ortPage(`http://127.0.0.1:${ortProxy.port}/`, ortProxy));
    console.error(`round ${r + 1}:`, JSON.stringify({ ours: rows.ours.at(-1), ort: rows.ort.at(-1) }));
  }
} finally {
  app.stop();
  appProxy.close();
  ort.close();
  ortProxy.close();
}
const m = (side, key) => median(rows[side].map((x) => x[key]));
console.log(`\n${LINK_MBIT} Mbit/s link, fresh Chromium profile, medians of ${ROUNDS} rounds\n`);
console.log('| | vibe-opsy (app) | onnxruntime-web (minimal page) | ratio | target |');
console.log('|---|---|---|---|---|');
console.log(
  `| first result | ${m('ours', 'firstResultS').toFixed(1)} s | ${m('ort', 'firstResultS').toFixed(1)} s | ${(m('ours', 'firstResultS') / m('ort', 'firstResultS')).toFixed(2)} | ≤ 12 s |`,
);
console.log(
  `| MB over the wire until the first result | ${mb(m('ours', 'atResult'))} | ${mb(m('ort', 'atResult'))} | ${(m('ours', 'atResult') / m('ort', 'atResult')).toFixed(2)} | |`,
);
console.log(
  `| MB over the wire until ready offline | ${mb(m('ours', 'readyOffline'))} (at ${m('ours', 'readyS').toFixed(1)} s) | (no offline) | | ≤ 24 MB |`,
);
console.log(
  `| second visit online: MB moved, time to result | ${mb(m('ours', 'secondBytes'))} MB, ${m('ours', 'secondOnlineS').toFixed(1)} s | | | no engine or model bytes |`,
);
console.log(`| second visit offline: time to result | ${m('ours', 'secondOfflineS').toFixed(1)} s | | | ≤ 2 s |`);
