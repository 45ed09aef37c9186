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
