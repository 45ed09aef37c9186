// vibe-opsy: the wasm classifier with a friendly API for bundlers (Vite), plain browser ESM and Node >= 20.
import * as singleThreadGlue from './generated/vibe_opsy.js';

// Three builds of the same engine (same exports):
//   simd128        plain WebAssembly SIMD (every engine with SIMD)
//   relaxed-simd   its matmul kernel uses relaxed-SIMD fused multiply-add (shares the glue above)
//   threads        relaxed SIMD + wasm threads: shared memory, tract's matmul spread over a pool of
//                  Web Workers (wasm-bindgen-rayon); own glue, loaded only when chosen
const SIMD128_WASM = new URL('./generated/vibe_opsy_bg.wasm', import.meta.url);
const RELAXED_SIMD_WASM = new URL('./generated/vibe_opsy_relaxed_bg.wasm', import.meta.url);
const THREADS_WASM = new URL('./generated/threads/vibe_opsy_threads_bg.wasm', import.meta.url);
/** Most threads the automatic choice asks for: the model's matmuls stop scaling well beyond it. */
const MAX_AUTO_THREADS = 8;
/** A pool that has not started by then (a worker that cannot load) is given up for one thread. */
const POOL_START_TIMEOUT_MS = 20_000;
/** The build that runs on every engine with WebAssembly SIMD. */
const DEFAULT_WASM = SIMD128_WASM;
const DEFAULT_MODEL = new URL('./model/sklesion_w8.onnx', import.meta.url);
const DEFAULT_MANIFEST = new URL('./model/sklesion.manifest.json', import.meta.url);

/** A User Timing mark (DevTools' performance panel, `performance.getEntriesByType('mark')`). */
function mark(name) {
  try {
    globalThis.performance?.mark?.(`vibe-opsy:${name}`);
  } catch {
    // marks are diagnostics only
  }
}

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

/** The single-threaded engine build for this JavaScript engine: `'relaxed-simd'` or `'simd128'`. */
export function defaultEngine() {
  return supportsRelaxedSimd() ? 'relaxed-simd' : 'simd128';
}

/** The number of logical cores (1 when unknown). */
function cores() {
  const n = globalThis.navigator?.hardwareConcurrency;
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/**
 * Why the threaded build cannot run here, or undefined when it can: it needs shared memory
 * (`crossOriginIsolated`, i.e. a page served with COOP/COEP), Web Workers for its pool, relaxed
 * SIMD, more than one core, and a thread that may block (a worker, not a page's main thread).
 */
export function threadsUnavailableReason() {
  if (isNode) return 'Node has no Web Workers for the pool';
  if (typeof SharedArrayBuffer !== 'function' || globalThis.crossOriginIsolated !== true) return 'the page is not cross-origin isolated (COOP/COEP)';
  if (typeof Worker !== 'function') return 'no Web Workers here';
  if (typeof window !== 'undefined' && globalThis === window) return "a page's main thread must not block: run the classifier in a worker";
  if (!supportsRelaxedSimd()) return 'the threaded build needs relaxed SIMD';
  if (cores() < 2) return 'one core';
  return undefined;
}

/**
 * How many threads a classifier uses here by default: every core on a machine of two, one core
 * left for the page and the browser above that, at most 8; 1 where threads cannot run.
 */
export function defaultThreads() {
  if (threadsUnavailableReason()) return 1;
  const n = cores();
  return n <= 2 ? n : Math.min(n - 1, MAX_AUTO_THREADS);
}

let wasmReady;
/** Milliseconds from asking for the engine to its instance (download or cache read, compile, instantiate). */
let engineMs;
/** @type {{ build: string, threads: number, fallbackReason?: string }} */
let loadedEngine;
/** The glue module of the build that was instantiated (its `LesionClassifier`). */
let glue;

async function fetchEngine(url, fetchImpl) {
  const response = await fetchImpl(url);
  if (!response.ok) throw new ClassifyError(`could not download the engine (${response.status} ${response.statusText})`, 'download_failed');
  return response;
}

/** What to pass as the glue's `module_or_path`: a URL compiles while it downloads in a browser. */
async function engineSource(chosen, options) {
  const isUrl = chosen instanceof URL || typeof chosen === 'string';
  // Through the caller's `fetch` when given one (e.g. a cache), else the browser's.
  if (isNode || !isUrl) return loadBytes(chosen, { ...options, what: 'engine' });
  return options.fetch ? fetchEngine(chosen, options.fetch) : chosen;
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The threaded engine's pool while it starts: resolves to undefined, or to why it did not start. */
let poolStarting;

/**
 * Loads the threaded build and starts its pool of `threads` workers. The pool's workers come up
 * while the model loads on this thread; `settlePool` waits for them after.
 */
async function startThreadedEngine(threads, options) {
  const threaded = await import('./generated/threads/vibe_opsy_threads.js');
  await threaded.default({ module_or_path: await engineSource(options.threadsWasm ?? THREADS_WASM, options) });
  let abandoned = false;
  options.onStage?.('pool-starting');
  const started = threaded.initThreadPool(threads).then(() => {
    if (!abandoned) threaded.useThreadPool();
  });
  options.onStage?.('pool-requested');
  poolStarting = {
    wait: (timeoutMs) =>
      withTimeout(started, timeoutMs, 'starting the thread pool').then(
        () => undefined,
        (e) => {
          abandoned = true;
          return e;
        },
      ),
  };
  return threaded;
}

/** Waits for the threaded engine's pool, if one is starting; without it the engine runs on one thread. */
async function settlePool(options) {
  const pool = poolStarting;
  if (!pool) return;
  poolStarting = undefined;
  const failure = await pool.wait(options.poolTimeoutMs ?? POOL_START_TIMEOUT_MS);
  if (failure) loadedEngine = { build: 'threads', threads: 1, fallbackReason: `the thread pool did not start: ${failure.message ?? failure}` };
}

/**
 * Instantiates the wasm module once; later calls reuse it. Without `wasm` it picks the build for
 * this engine: the threaded one where it can run (see `threadsUnavailableReason`) unless
 * `options.threads` is 1, else relaxed SIMD or SIMD128 (see `defaultEngine`). A threaded start that
 * fails falls back to the single-threaded build (`classifier.engine.fallbackReason` says why).
 * `wasm` may be a URL, a path (Node), bytes or a `Response` (a single-threaded build).
 */
export function initWasm(wasm, options = {}) {
  wasmReady ??= (async () => {
    const started = globalThis.performance?.now();
    try {
      await loadEngine(wasm, options);
    } finally {
      engineMs = started === undefined ? undefined : globalThis.performance.now() - started;
    }
  })().catch((e) => {
    wasmReady = undefined;
    throw wrapError(e);
  });
  return wasmReady;
}

/** Picks, downloads (or reads), compiles and instantiates the engine build; see `initWasm`. */
async function loadEngine(wasm, options) {
  const requested = options.threads ?? 'auto';
  if (requested !== 'auto' && !(Number.isInteger(requested) && requested >= 1)) {
    throw new ClassifyError(`threads must be 'auto' or a whole number ≥ 1, not ${String(requested)}`, 'invalid_options');
  }
  let fallbackReason;
  if (wasm === undefined && requested !== 1) {
    const reason = threadsUnavailableReason();
    const threads = requested === 'auto' ? defaultThreads() : requested;
    if (reason === undefined && threads > 1) {
      try {
        glue = await startThreadedEngine(threads, options);
        loadedEngine = { build: 'threads', threads };
        return;
      } catch (e) {
        fallbackReason = `the threaded engine did not start: ${e && e.message ? e.message : e}`;
      }
    } else if (requested !== 'auto') {
      fallbackReason = reason;
    }
  }
  const build = wasm === undefined ? defaultEngine() : 'custom';
  const chosen = wasm ?? (build === 'relaxed-simd' ? RELAXED_SIMD_WASM : SIMD128_WASM);
  await singleThreadGlue.default({ module_or_path: await engineSource(chosen, options) });
  glue = singleThreadGlue;
  loadedEngine = fallbackReason ? { build, threads: 1, fallbackReason } : { build, threads: 1 };
}

/** A loaded model. Reuse it for many images; call `free()` (or `using`) when done. */
export class Classifier {
  #inner;
  #manifest;
  #engineMs;
  #poolWaitMs;
  #warmUp;
  constructor(inner, { engineMs = 0, poolWaitMs = 0, warmUpRounds = 0, warmUpMs = 0 } = {}) {
    this.#inner = inner;
    this.#manifest = inner.manifest;
    this.#engineMs = engineMs;
    this.#poolWaitMs = poolWaitMs;
    this.#warmUp = { warmUpRounds, warmUpMs };
  }

  /** The model manifest: classes (code, label, malignant), inputs, thresholds. */
  get manifest() {
    return this.#manifest;
  }

  /**
   * Which engine runs: `{ build, threads }`, build `'threads'` (relaxed SIMD on a pool of `threads`
   * workers), `'relaxed-simd'`, `'simd128'` or `'custom'` (a `wasm` passed in); `fallbackReason`
   * when threads were asked for but could not be used.
   */
  get engine() {
    return { ...loadedEngine };
  }

  /**
   * Where the load went, in milliseconds: `engineMs` (the engine's download or cache read, compile and
   * instantiate; it overlaps the model's download), `parseMs` and `optimizeMs` (the model),
   * `deferredWeights` (int8 weights kept int8, dequantised as inferences read them), `poolWaitMs`
   * (waiting for the threaded engine's workers after the model loaded; 0 without threads), and the
   * warm-up while the model downloaded (`warmUpRounds`, `warmUpMs`; see `createClassifier`).
   */
  get loadTimings() {
    return { engineMs: this.#engineMs, ...this.#live().loadTimings, poolWaitMs: this.#poolWaitMs, ...this.#warmUp };
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

  /**
   * Forgets the features the classifier keeps of the last images it saw (a SHA-256 of each image,
   * never the image): the same image with other metadata then runs the whole model again.
   */
  forgetImages() {
    this.#live().forgetImages();
  }

  /**
   * Where an inference's time goes on this device: the model run `runs` times on an encoded image,
   * each node timed as it runs, summed by op kind (or one row per node with `byNode`), slowest
   * first. A measuring aid (`bench/wasm-profile.mjs`), not needed to classify.
   */
  profile(bytes, { runs = 5, byNode = false } = {}) {
    try {
      return this.#live().profile(bytes, runs >>> 0, !!byNode);
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

/** At most this many warm-up rounds: by then the engine's hot code is optimised (measured in Chromium). */
const MAX_WARM_UP_ROUNDS = 12;
const NO_WARM_UP = { warmUpRounds: 0, warmUpMs: 0 };

/**
 * While the model is still on its way, loads and runs the engine's small warm-up model, a round at a
 * time with the event loop free in between (the download's progress keeps flowing): the browser then
 * optimises the engine's code before the real load instead of during it. Stops when the model is
 * there, or after `MAX_WARM_UP_ROUNDS`. A failed round only ends the warm-up.
 */
async function warmUpUntil(modelThere) {
  const started = globalThis.performance?.now() ?? 0;
  let rounds = 0;
  while (!modelThere() && rounds < MAX_WARM_UP_ROUNDS && typeof glue.warmUp === 'function') {
    try {
      glue.warmUp();
    } catch {
      break;
    }
    rounds += 1;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (rounds) mark('warmed-up');
  return { warmUpRounds: rounds, warmUpMs: rounds ? (globalThis.performance?.now() ?? 0) - started : 0 };
}

/**
 * Creates a classifier. With no options it loads the bundled sklesion model. While the model
 * downloads, the engine warms up on a small model of its own (`warmUp: false` turns that off).
 * @param {import('./index.d.ts').ClassifierOptions} [options]
 */
export async function createClassifier(options = {}) {
  const { model = DEFAULT_MODEL, manifest = model === DEFAULT_MODEL ? DEFAULT_MANIFEST : undefined, wasm } = options;
  if (manifest === undefined) throw new ClassifyError('a custom model needs its manifest', 'invalid_manifest');
  const modelLoaded = loadBytes(model, { ...options, what: 'model' });
  let modelThere = false;
  modelLoaded.then(
    () => {
      modelThere = true;
      mark('model-downloaded');
    },
    () => (modelThere = true),
  );
  const [warmUp, modelBytes, manifestJson] = await Promise.all([
    initWasm(wasm, options).then(() => {
      mark('engine-ready');
      return options.warmUp === false ? NO_WARM_UP : warmUpUntil(() => modelThere);
    }),
    modelLoaded,
    loadManifest(manifest, options),
  ]);
  let inner;
  try {
    inner = new glue.LesionClassifier(modelBytes, manifestJson);
  } catch (e) {
    throw wrapError(e);
  }
  mark('model-loaded');
  const waitStarted = globalThis.performance?.now();
  await settlePool(options);
  const poolWaitMs = waitStarted === undefined ? 0 : globalThis.performance.now() - waitStarted;
  return new Classifier(inner, { engineMs: engineMs ?? 0, poolWaitMs, ...warmUp });
}

export { DEFAULT_MODEL, DEFAULT_MANIFEST, DEFAULT_WASM, SIMD128_WASM, RELAXED_SIMD_WASM, THREADS_WASM };
