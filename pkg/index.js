// vibe-opsy: the wasm classifier with a friendly API for bundlers (Vite), plain browser ESM and Node >= 20.
import init, { LesionClassifier } from './generated/vibe_opsy.js';

// Two builds of the same engine (same exports, one glue file): plain WebAssembly SIMD, and one whose
// matmul kernel uses relaxed-SIMD fused multiply-add. The second is used where the engine has it.
const SIMD128_WASM = new URL('./generated/vibe_opsy_bg.wasm', import.meta.url);
const RELAXED_SIMD_WASM = new URL('./generated/vibe_opsy_relaxed_bg.wasm', import.meta.url);
/** The build that runs on every engine with WebAssembly SIMD. */
const DEFAULT_WASM = SIMD128_WASM;
const DEFAULT_MODEL = new URL('./model/sklesion_w8.onnx', import.meta.url);
const DEFAULT_MANIFEST = new URL('./model/sklesion.manifest.json', import.meta.url);

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/** An error from the classifier; `code` is stable (see README), `message` is meant for people. */
export class ClassifyError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'ClassifyError';
    this.code = code;
  }
}

function wrapError(e) {
  if (e instanceof ClassifyError) return e;
  const message = e && typeof e.message === 'string' ? e.message : String(e);
  const code = e && typeof e.code === 'string' ? e.code : 'internal';
  return new ClassifyError(message, code);
}

async function readFileUrl(url) {
  const { readFile } = await import(/* @vite-ignore */ 'node:fs/promises');
  return new Uint8Array(await readFile(url));
}

/**
 * Loads bytes from bytes, a Blob, a URL or a string URL/path, reporting progress when it downloads.
 * @returns {Promise<Uint8Array>}
 */
async function loadBytes(source, { onProgress, fetch: fetchImpl = globalThis.fetch, what }) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  let url = source;
  if (typeof source === 'string') {
    url = isNode && !/^[a-z][a-z0-9+.-]*:/i.test(source) ? new URL(source, `file://${process.cwd()}/`) : new URL(source, globalThis.location?.href);
  }
  if (isNode && url.protocol === 'file:') return readFileUrl(url);
  const response = await fetchImpl(url);
  if (!response.ok) throw new ClassifyError(`could not download the ${what} (${response.status} ${response.statusText})`, 'download_failed');
  const total = Number(response.headers.get('content-length')) || undefined;
  if (!onProgress || !response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  onProgress({ what, loaded, total });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress({ what, loaded, total });
  }
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

async function loadManifest(source, options) {
  if (source && typeof source === 'object' && !(source instanceof URL) && 'classes' in source) return JSON.stringify(source);
  if (typeof source === 'string' && source.trimStart().startsWith('{')) return source;
  return new TextDecoder().decode(await loadBytes(source, { ...options, what: 'manifest' }));
}

// A module with one function using f32x4.relaxed_madd: it validates only where relaxed SIMD is on.
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 1, 253, 15, 65, 1, 253, 15,
  65, 1, 253, 15, 253, 133, 2, 11,
]);

/** Whether this JavaScript engine runs relaxed SIMD (Chrome/Edge ≥ 114, Node ≥ 22, ...). */
export function supportsRelaxedSimd() {
  try {
    return WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

/** The engine build `initWasm` loads by default here: `'relaxed-simd'` or `'simd128'`. */
export function defaultEngine() {
  return supportsRelaxedSimd() ? 'relaxed-simd' : 'simd128';
}

let wasmReady;
let loadedEngine;

async function fetchEngine(url, fetchImpl) {
  const response = await fetchImpl(url);
  if (!response.ok) throw new ClassifyError(`could not download the engine (${response.status} ${response.statusText})`, 'download_failed');
  return response;
}

/**
 * Instantiates the wasm module once; later calls reuse it. Without `wasm` it picks the build for
 * this engine (see `defaultEngine`); `wasm` may be a URL, a path (Node), bytes or a `Response`.
 */
export function initWasm(wasm, options = {}) {
  wasmReady ??= (async () => {
    const engine = wasm === undefined ? defaultEngine() : 'custom';
    const chosen = wasm ?? (engine === 'relaxed-simd' ? RELAXED_SIMD_WASM : SIMD128_WASM);
    const isUrl = chosen instanceof URL || typeof chosen === 'string';
    // A URL in a browser compiles while it downloads; through the caller's `fetch` when given one
    // (e.g. a cache), else the browser's.
    const source = isNode || !isUrl ? await loadBytes(chosen, { ...options, what: 'engine' }) : options.fetch ? await fetchEngine(chosen, options.fetch) : chosen;
    await init({ module_or_path: source });
    loadedEngine = engine;
  })().catch((e) => {
    wasmReady = undefined;
    throw wrapError(e);
  });
  return wasmReady;
}

/** A loaded model. Reuse it for many images; call `free()` (or `using`) when done. */
export class Classifier {
  #inner;
  #manifest;
  constructor(inner) {
    this.#inner = inner;
    this.#manifest = inner.manifest;
  }

  /** The model manifest: classes (code, label, malignant), inputs, thresholds. */
  get manifest() {
    return this.#manifest;
  }

  /** Which engine build runs: `'relaxed-simd'`, `'simd128'`, or `'custom'` (a `wasm` passed in). */
  get engine() {
    return loadedEngine;
  }

  /** Milliseconds spent parsing and optimising the model. */
  get loadTimings() {
    return this.#live().loadTimings;
  }

  #live() {
    if (!this.#inner) throw new ClassifyError('the classifier was freed', 'freed');
    return this.#inner;
  }

  /** Classifies an encoded image (JPEG, PNG, GIF, WebP, BMP, TIFF) from bytes or a Blob/File. */
  async classify(image, metadata) {
    const bytes = await loadBytes(image, { what: 'image' });
    return this.classifyBytes(bytes, metadata);
  }

  /** Synchronous variant of `classify` for bytes already in memory. */
  classifyBytes(bytes, metadata) {
    try {
      return this.#live().classify(bytes, metadata ?? undefined);
    } catch (e) {
      throw wrapError(e);
    }
  }

  /** Classifies RGBA pixels: an `ImageData`, or a buffer with its width and height. */
  classifyPixels(pixels, width, height, metadata) {
    let data = pixels;
    if (pixels && typeof pixels === 'object' && 'data' in pixels && 'width' in pixels) {
      metadata = width && typeof width === 'object' ? width : metadata;
      ({ data, width, height } = pixels);
    }
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    try {
      return this.#live().classifyPixels(bytes, width >>> 0, height >>> 0, metadata ?? undefined);
    } catch (e) {
      throw wrapError(e);
    }
  }

  /** Releases the model's memory. */
  free() {
    this.#inner?.free();
    this.#inner = undefined;
  }

  [Symbol.dispose ?? Symbol.for('Symbol.dispose')]() {
    this.free();
  }
}

/**
 * Creates a classifier. With no options it loads the bundled sklesion model.
 * @param {import('./index.d.ts').ClassifierOptions} [options]
 */
export async function createClassifier(options = {}) {
  const { model = DEFAULT_MODEL, manifest = model === DEFAULT_MODEL ? DEFAULT_MANIFEST : undefined, wasm } = options;
  if (manifest === undefined) throw new ClassifyError('a custom model needs its manifest', 'invalid_manifest');
  const [, modelBytes, manifestJson] = await Promise.all([
    initWasm(wasm, options),
    loadBytes(model, { ...options, what: 'model' }),
    loadManifest(manifest, options),
  ]);
  try {
    return new Classifier(new LesionClassifier(modelBytes, manifestJson));
  } catch (e) {
    throw wrapError(e);
  }
}

export { DEFAULT_MODEL, DEFAULT_MANIFEST, DEFAULT_WASM, SIMD128_WASM, RELAXED_SIMD_WASM };
