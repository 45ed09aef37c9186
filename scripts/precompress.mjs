// Writes NAME.br and NAME.gz beside every compressible file of a built folder (default www/dist), so that
// `vibe-opsy serve --static` (tower-http ServeDir, precompressed_br/gzip) and any CDN in front of it send
// them with Content-Encoding instead of the raw bytes. Runs after `vite build` (the service worker's
// precache list is already written by then, so it lists the originals only).
//   node scripts/precompress.mjs [DIR]
// Files compress in parallel (zlib's thread pool), and each result is kept in a cache outside the
// clone keyed by the content's SHA-256 ($VIBE_OPSY_PRECOMPRESS_CACHE, default
// ${VIBE_OPSY_CACHE:-~/.cache/vibe-opsy}/precompress; entries unused for 14 days are removed): an
// unchanged engine or model is not compressed again (brotli 11 on the three engine builds is most of
// the ≈ 2.5 min this takes from nothing on 2 cores).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, unlinkSync, utimesSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, extname } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants } from 'node:zlib';

const dir = process.argv[2] ?? 'www/dist';
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg', '.wasm', '.onnx', '.txt', '.md', '.xml', '.ico']);
const MIN_BYTES = 512;
const CACHE =
  process.env.VIBE_OPSY_PRECOMPRESS_CACHE ?? join(process.env.VIBE_OPSY_CACHE ?? join(homedir(), '.cache', 'vibe-opsy'), 'precompress');
const CACHE_DAYS = 14;

function* files(d) {
  for (const entry of readdirSync(d, { withFileTypes: true })) {
    const path = join(d, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (COMPRESSIBLE.has(extname(entry.name))) yield path;
  }
}

function cacheable() {
  try {
    mkdirSync(CACHE, { recursive: true });
    return true;
  } catch {
    return false;
  }
}
const useCache = cacheable();
let fromCache = 0;

/** `compress(bytes)`, or its result from the cache under `key`. */
async function cached(key, compress) {
  const file = join(CACHE, key);
  if (useCache) {
    try {
      const out = readFileSync(file);
      const now = new Date();
      utimesSync(file, now, now);
      fromCache += 1;
      return out;
    } catch {
      // not cached yet
    }
  }
  const out = await compress();
  if (useCache) {
    try {
      writeFileSync(`${file}.tmp`, out);
      renameSync(`${file}.tmp`, file); // whole or nothing, should two builds share the cache
    } catch {
      // a read-only cache only costs time
    }
  }
  return out;
}

async function precompress(path) {
  const bytes = readFileSync(path);
  if (bytes.length < MIN_BYTES) return [0, 0, 0];
  // Brotli's best quality (11) costs seconds per MB but takes the engine 2.63 -> 2.26 MB for every visitor;
  // the int8 model barely compresses (21.8 -> 19.1 MB) whatever the quality, so it gets 9.
  const quality = extname(path) === '.onnx' ? 9 : 11;
  const digest = createHash('sha256').update(bytes).digest('hex');
  const [b, g] = await Promise.all([
    cached(`${digest}.q${quality}.br`, () =>
      promisify(brotliCompress)(bytes, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: quality,
          [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
          [constants.BROTLI_PARAM_LGWIN]: 24,
        },
      }),
    ),
    cached(`${digest}.9.gz`, () => promisify(gzip)(bytes, { level: 9 })),
  ]);
  for (const [ext, out] of [['.br', b], ['.gz', g]]) {
    // Only where it pays; a stale one from an earlier build must not be served for new content.
    if (out.length < bytes.length * 0.95) writeFileSync(path + ext, out);
    else if (statSync(path + ext, { throwIfNoEntry: false })) unlinkSync(path + ext);
  }
  return [bytes.length, Math.min(b.length, bytes.length), Math.min(g.length, bytes.length)];
}

function pruneCache() {
  if (!useCache) return;
  const cutoff = Date.now() - CACHE_DAYS * 86_400_000;
  for (const name of readdirSync(CACHE)) {
    const file = join(CACHE, name);
    try {
      if (statSync(file).mtimeMs < cutoff) unlinkSync(file);
    } catch {
      // gone already
    }
  }
}

const started = Date.now();
// Largest first, so that the long brotli runs start together on zlib's threads.
const paths = [...files(dir)].sort((a, b) => statSync(b).size - statSync(a).size);
const sizes = await Promise.all(paths.map(precompress));
pruneCache();
const [raw, br, gz] = sizes.reduce((t, s) => t.map((v, i) => v + s[i]), [0, 0, 0]);
const mb = (n) => (n / 1e6).toFixed(2);
console.log(
  `precompressed ${dir}: ${mb(raw)} MB raw -> ${mb(br)} MB brotli, ${mb(gz)} MB gzip ` +
    `(${((Date.now() - started) / 1000).toFixed(1)} s; ${fromCache} of ${2 * paths.length} from ${useCache ? CACHE : 'no cache'})`,
);
