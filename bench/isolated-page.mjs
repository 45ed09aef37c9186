// A loopback server for the wasm benchmarks: one HTML page and one module worker script (both
// given as text), the package (`/pkg/`), onnxruntime-web's files (`/ort/`) and the repository
// (`/data/`), every response with the COOP/COEP headers `vibe-opsy serve` sends, so the page is
// cross-origin isolated (SharedArrayBuffer, wasm threads). Used by bench/wasm-threads.mjs and
// bench/wasm-profile.mjs.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const routes = { '/pkg/': join(ROOT, 'pkg') + '/', '/ort/': join(ROOT, 'node_modules/onnxruntime-web/dist') + '/', '/data/': ROOT + '/' };
const isolation = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Serves `page` at `/` and `worker` at `/worker.js`; resolves to `{ url, close }`. */
export async function serveIsolated(page, worker) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html', ...isolation }).end(page);
    if (path === '/worker.js') return res.writeHead(200, { 'content-type': 'text/javascript', ...isolation }).end(worker);
    const prefix = Object.keys(routes).find((p) => path.startsWith(p));
    try {
      const body = readFileSync(routes[prefix] + path.slice(prefix.length));
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream', ...isolation }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

/**
 * Worker-side source for onnxruntime-web runs of the bundled model: `ortFeeds(ort)` resolves to its
 * inputs, the sample image preprocessed as the reference did (`models/golden/tensors/`) and the
 * metadata vector of `samples/lesion_7_2.png` (age 51.9, as the manifest encodes it).
 */
export const ORT_FEEDS_JS = `
const ORT_META = [0, 0, 1, 0, 0, 0, 0, 1, 51.9 / 90, 1];
async function ortFeeds(ort) {
  const t = new Uint8Array(await (await fetch('/data/models/golden/tensors/lesion_7_2.png.f32')).arrayBuffer());
  return { input_layer_2: new ort.Tensor('float32', new Float32Array(t.buffer), [1, 254, 254, 3]),
           input_layer_3: new ort.Tensor('float32', Float32Array.from(ORT_META), [1, 10]) };
}`;

/** The middle value (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Debian's Chromium, headless, as every browser test and benchmark here runs it. */
export async function launchChromium(extraArgs = []) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', ...extraArgs] });
}

/** Fails loudly instead of waiting forever when a step stalls (a worker that never answers). */
export function within(ms, what, promise) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
