// The JSON contract (Prediction, Manifest, error and warning codes) is generated from schemas/ by
// scripts/gen-types.mjs: one source for Rust, the HTTP API and this package.
import type { ErrorCode, Manifest, Prediction } from './contract';
export type * from './contract';

export class ClassifyError extends Error {
  readonly code: ErrorCode;
  constructor(message: string, code: ErrorCode);
}

/** Optional patient metadata; anything left out is "unknown". */
export interface PatientMetadata {
  age?: number;
  /** "female" | "male" for the bundled model (see the manifest). */
  sex?: string;
  /** "arm" | "head_neck" | "leg_genital" | "trunk", or a HAM10000 localization such as "back". */
  site?: string;
}

export type Source = Uint8Array | ArrayBuffer | ArrayBufferView | Blob | URL | string;

export interface Progress {
  what: 'engine' | 'model' | 'manifest' | 'image';
  loaded: number;
  total?: number;
}

export interface ClassifierOptions {
  /** ONNX model: bytes, or a URL/path to fetch. Default: the bundled sklesion model. */
  model?: Source;
  /** Its manifest: an object, JSON text, or a URL/path. Required with a custom model. */
  manifest?: Manifest | Source;
  /** The .wasm engine: bytes or URL. Default: the build beside this file that suits this engine (`defaultEngine()`). */
  wasm?: Source;
  /** Download progress of the engine, model and manifest. */
  onProgress?: (progress: Progress) => void;
  /** fetch to use for the engine, the model and the manifest (default: globalThis.fetch); e.g. one that reads a cache. */
  fetch?: typeof fetch;
  /**
   * Threads for one inference: `'auto'` (default: `defaultThreads()`), 1 (the single-threaded
   * builds), or a number; ignored with a custom `wasm`. The threaded build needs a
   * cross-origin-isolated page and must run in a worker; where it cannot start the classifier falls
   * back to one thread (see `EngineInfo.fallbackReason`).
   */
  threads?: 'auto' | number;
  /** The threaded engine's .wasm (default: `THREADS_WASM`, beside this file). */
  threadsWasm?: URL | string;
  /** How long the thread pool may take to start before the classifier falls back to one thread (ms, default 20000). */
  poolTimeoutMs?: number;
  /**
   * Told just before (`'pool-starting'`) and just after (`'pool-requested'`) the threaded engine
   * creates its pool's Web Workers, a synchronous step that should take milliseconds. Firefox ESR
   * sometimes never returns from it (a `new Worker` inside a worker): the thread is stuck for good
   * and only its owner can see it. The web app restarts its worker when the second call does not
   * follow the first within seconds.
   */
  onStage?: (stage: 'pool-starting' | 'pool-requested') => void;
  /**
   * While the model downloads, warm the engine up on a small model of its own so that the browser has
   * optimised its code when the model arrives (default true; nothing runs when the model is there first).
   */
  warmUp?: boolean;
}

/** Which engine runs a classifier. */
export interface EngineInfo {
  build: EngineBuild;
  /** Threads one inference uses (1 for every build but `'threads'`). */
  threads: number;
  /** Why threads were asked for (or chosen automatically) but one thread runs. */
  fallbackReason?: string;
}

export class Classifier implements Disposable {
  readonly manifest: Manifest;
  /** Which build of the engine runs this classifier, and on how many threads. */
  readonly engine: EngineInfo;
  /**
   * Where the load went, in milliseconds: the engine's download or cache read, compile and instantiate
   * (it overlaps the model's download), the model's parse and optimisation, and the wait for the
   * threaded engine's workers after the model loaded (0 without threads), and the engine's warm-up
   * on a small model of its own while the model downloaded (rounds and milliseconds; 0 when the model
   * was there first). `deferredWeights`: how many int8 weights the engine kept int8, dequantised as
   * each inference reads them, instead of folding them to float32 at load (0: all folded).
   */
  readonly loadTimings: {
    engineMs: number;
    parseMs: number;
    optimizeMs: number;
    deferredWeights: number;
    poolWaitMs: number;
    warmUpRounds: number;
    warmUpMs: number;
  };
  /** Classifies an encoded image (JPEG, PNG, GIF, WebP, BMP, TIFF). */
  classify(image: Uint8Array | ArrayBuffer | ArrayBufferView | Blob, metadata?: PatientMetadata): Promise<Prediction>;
  /** Synchronous `classify` for bytes already in memory. */
  classifyBytes(image: Uint8Array, metadata?: PatientMetadata): Prediction;
  /** Classifies RGBA pixels from an ImageData ... */
  classifyPixels(image: ImageData, metadata?: PatientMetadata): Prediction;
  /** ... or from a buffer of width * height * 4 bytes. */
  classifyPixels(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, metadata?: PatientMetadata): Prediction;
  /**
   * The classifier keeps the features of its last 16 images (keyed by a SHA-256 of the bytes, never
   * the image): the same image with new metadata re-runs only the model's head (a few ms). This
   * forgets them.
   */
  forgetImages(): void;
  /**
   * Where an inference's time goes on this device: the model run `runs` times (default 5) on an
   * encoded image, each node timed, summed by op kind (or one row per node with `byNode`), slowest
   * first. A measuring aid, not needed to classify.
   */
  profile(image: Uint8Array, options?: { runs?: number; byNode?: boolean }): OpTime[];
  /** Releases the model's memory; the classifier is unusable afterwards. */
  free(): void;
  [Symbol.dispose](): void;
}

/** Time spent in one kind of op (or one node) per run, from `LesionClassifier.profile`. */
export interface OpTime {
  op: string;
  ms_per_run: number;
  nodes: number;
}

/** Loads the engine and a model (the bundled one by default). */
export function createClassifier(options?: ClassifierOptions): Promise<Classifier>;

/** Instantiates the wasm engine ahead of time (optional; createClassifier does it). */
export function initWasm(
  wasm?: Source,
  options?: Pick<ClassifierOptions, 'onProgress' | 'fetch' | 'threads' | 'threadsWasm' | 'poolTimeoutMs'>,
): Promise<void>;

export const DEFAULT_MODEL: URL;
export const DEFAULT_MANIFEST: URL;
/** The plain WebAssembly SIMD build (runs wherever WebAssembly SIMD does). */
export const DEFAULT_WASM: URL;
/** Same as DEFAULT_WASM. */
export const SIMD128_WASM: URL;
/** The build whose matmul kernel uses relaxed-SIMD fused multiply-add (faster where supported). */
export const RELAXED_SIMD_WASM: URL;
/** Relaxed SIMD + wasm threads (shared memory, a pool of Web Workers). */
export const THREADS_WASM: URL;

/** Which build of the engine runs. */
export type EngineBuild = 'threads' | 'relaxed-simd' | 'simd128' | 'custom';
/** Whether this JavaScript engine validates relaxed SIMD (Chrome/Edge >= 114, Node >= 22, ...). */
export function supportsRelaxedSimd(): boolean;
/** The single-threaded build `initWasm` loads when threads are not used and no `wasm` is given. */
export function defaultEngine(): 'relaxed-simd' | 'simd128';
/** Why the threaded build cannot run here (undefined when it can). */
export function threadsUnavailableReason(): string | undefined;
/** Threads a classifier uses here by default (1 where threads cannot run). */
export function defaultThreads(): number;
