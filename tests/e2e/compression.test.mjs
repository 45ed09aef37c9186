// The built app served by `vibe-opsy serve --static www/dist`: every compressible asset has brotli and gzip
// files beside it (scripts/precompress.mjs) and goes out brotli-encoded to a client that accepts it, the
// original bytes to one that does not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join, extname, relative } from 'node:path';
import { ROOT } from '../node/helpers.mjs';
import { startServer } from './server.mjs';

const DIST = join(ROOT, 'www/dist');
let server;
before(async () => {
  server = await startServer();
});
after(() => server?.stop());

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (!/\.(br|gz)$/.test(entry.name)) yield path;
  }
}

/** GET with an explicit Accept-Encoding; resolves to the status, headers and the byte count on the wire. */
function get(url, acceptEncoding) {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding ? { 'accept-encoding': acceptEncoding } : {};
    request(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes }));
    })
      .on('error', reject)
      .end();
  });
}

test('every static asset: brotli to a client that accepts it, identity to one that does not', async () => {
  const compressible = new Set(['.html', '.js', '.css', '.json', '.webmanifest', '.svg', '.wasm', '.onnx']);
  let checked = 0;
  let raw = 0;
  let wire = 0;
  for (const path of files(DIST)) {
    const url = `${server.url}/${relative(DIST, path)}`;
    const size = statSync(path).size;
    const br = statSync(`${path}.br`, { throwIfNoEntry: false });
    if (compressible.has(extname(path)) && size >= 512) assert.ok(br, `${path} has no .br beside it`);
    const plain = await get(url);
    assert.equal(plain.status, 200, url);
    assert.equal(plain.headers['content-encoding'], undefined, url);
    assert.equal(plain.bytes, size, url);
    if (!br) continue;
    const encoded = await get(url, 'gzip, deflate, br');
    assert.equal(encoded.headers['content-encoding'], 'br', url);
    assert.equal(encoded.bytes, br.size, url);
    assert.match(encoded.headers.vary ?? '', /accept-encoding/i, url);
    const gzip = await get(url, 'gzip');
    assert.equal(gzip.headers['content-encoding'], 'gzip', url);
    checked += 1;
    raw += size;
    wire += br.size;
  }
  // The SPA fallback (a client-side route answers with index.html) is compressed too.
  const fallback = await get(`${server.url}/some/client/route`, 'br');
  assert.equal(fallback.headers['content-encoding'], 'br');
  assert.ok(checked >= 5, `only ${checked} assets checked`);
  console.log(`${checked} assets: ${(raw / 1e6).toFixed(2)} MB raw, ${(wire / 1e6).toFixed(2)} MB brotli on the wire`);
});
