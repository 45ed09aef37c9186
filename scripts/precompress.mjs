// Writes NAME.br and NAME.gz beside every compressible file of a built folder (default www/dist), so that
// `vibe-opsy serve --static` (tower-http ServeDir, precompressed_br/gzip) and any CDN in front of it send
// them with Content-Encoding instead of the raw bytes. Runs after `vite build` (the service worker's
// precache list is already written by then, so it lists the originals only).
//   node scripts/precompress.mjs [DIR]
import { readdirSync, readFileSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { join, extname } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const dir = process.argv[2] ?? 'www/dist';
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg', '.wasm', '.onnx', '.txt', '.md', '.xml', '.ico']);
const MIN_BYTES = 512;

function* files(d) {
  for (const entry of readdirSync(d, { withFileTypes: true })) {
    const path = join(d, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (COMPRESSIBLE.has(extname(entry.name))) yield path;
  }
}

const started = Date.now();
let raw = 0, br = 0, gz = 0;
for (const path of files(dir)) {
  const bytes = readFileSync(path);
  if (bytes.length < MIN_BYTES) continue;
  // Brotli's best quality (11) costs seconds per MB but takes the engine 2.63 -> 2.26 MB for every visitor;
  // the int8 model barely compresses (21.8 -> 19.1 MB) whatever the quality, so it gets 9.
  const b = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: extname(path) === '.onnx' ? 9 : 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      [constants.BROTLI_PARAM_LGWIN]: 24,
    },
  });
  const g = gzipSync(bytes, { level: 9 });
  for (const [ext, out] of [['.br', b], ['.gz', g]]) {
    // Only where it pays; a stale one from an earlier build must not be served for new content.
    if (out.length < bytes.length * 0.95) writeFileSync(path + ext, out);
    else if (statSync(path + ext, { throwIfNoEntry: false })) unlinkSync(path + ext);
  }
  raw += bytes.length; br += Math.min(b.length, bytes.length); gz += Math.min(g.length, bytes.length);
}
const mb = (n) => (n / 1e6).toFixed(2);
console.log(`precompressed ${dir}: ${mb(raw)} MB raw -> ${mb(br)} MB brotli, ${mb(gz)} MB gzip (${((Date.now() - started) / 1000).toFixed(1)} s)`);
