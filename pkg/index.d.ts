/** Stable error codes (the message is the human-readable sentence). */
export type ErrorCode =
  | 'empty_file'
  | 'unsupported_format'
  | 'not_an_image'
  | 'corrupt_image'
  | 'image_too_large'
  | 'zero_sized_image'
  | 'invalid_pixels'
  | 'invalid_metadata'
  | 'invalid_manifest'
  | 'model_load_failed'
  | 'inference_failed'
  | 'download_failed'
  | 'freed'
  | 'internal';

export class ClassifyError extends Error {
  readonly code: ErrorCode;
  constructor(message: string, code: ErrorCode);
}

export type WarningCode = 'low_confidence' | 'small_image' | 'grayscale' | 'not_dermatoscopic';

/** The same JSON as `vibe-opsy classify --json` and `POST /inference` (schemas/prediction.schema.json). */
export interface Prediction {
  /** Code of the most probable class, e.g. "nv". */
  class: string;
  /** Its display name, e.g. "Melanocytic nevus". */
  label: string;
  /** Its probability (0..1). */
  confidence: number;
  /** Whether that class is a cancer. Meaningless when `in_domain` is false; prefer `cancer_probability`. */
  is_cancer: boolean;
  /** Sum of the probabilities of the cancer classes (0..1). */
  cancer_probability: number;
  /**
   * False when the image does not look like a dermatoscopic or close-up colour photo of a skin lesion:
   * then no class is an answer (a `not_dermatoscopic` or `grayscale` warning says why).
   */
  in_domain: boolean;
  /** Score of the out-of-domain check (higher: more lesion-like); null when the model has none. */
  domain_score: number | null;
  /** Probability of every class, by code. */
  probabilities: Record<string, number>;
  model: { name: string; version: string; sha256: string };
  image: { width: number; height: number; format: 'JPEG' | 'PNG' | 'GIF' | 'WebP' | 'BMP' | 'TIFF' | 'pixels' };
  warnings: { code: WarningCode; message: string }[];
}

/** Optional patient metadata; anything left out is "unknown". */
export interface PatientMetadata {
  age?: number;
  /** "female" | "male" for the bundled model (see the manifest). */
  sex?: string;
  /** "arm" | "head_neck" | "leg_genital" | "trunk", or a HAM10000 localization such as "back". */
  site?: string;
}

export interface ClassInfo {
  code: string;
  label: string;
  malignant: boolean;
}

/** models/*.manifest.json */
export interface Manifest {
  name: string;
  version: string;
  description: string;
  model_file: string;
  sha256: string;
  classes: ClassInfo[];
  image_input: {
    name: string;
    layout: 'NHWC' | 'NCHW';
    width: number;
    height: number;
    resize: 'bilinear_half_pixel';
    value_scale: number;
    mean: [number, number, number];
    std: [number, number, number];
  };
  metadata_input?: {
    name: string;
    features: (
      | { kind: 'one_hot'; field: string; values: string[]; unknown: string; aliases?: Record<string, string> }
      | { kind: 'scaled'; field: string; divisor: number; missing: number; min: number; max: number }
      | { kind: 'missing_flag'; field: string }
    )[];
  } | null;
  output: { name: string; kind: 'probabilities' | 'logits' };
  warnings: { low_confidence_below: number; small_image_below: number };
  /** The out-of-domain check (src/core/domain.rs), fitted by models/domain/train.py. */
  domain_check?: {
    description?: string;
    feature_output: string;
    image_stats: string[];
    weights: number[];
    bias: number;
    threshold: number;
  } | null;
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
  /** fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
}

export class Classifier implements Disposable {
  readonly manifest: Manifest;
  /** Which build of the engine runs this classifier. */
  readonly engine: EngineBuild;
  /** Milliseconds spent parsing and optimising the model. */
  readonly loadTimings: { parseMs: number; optimizeMs: number };
  /** Classifies an encoded image (JPEG, PNG, GIF, WebP, BMP, TIFF). */
  classify(image: Uint8Array | ArrayBuffer | ArrayBufferView | Blob, metadata?: PatientMetadata): Promise<Prediction>;
  /** Synchronous `classify` for bytes already in memory. */
  classifyBytes(image: Uint8Array, metadata?: PatientMetadata): Prediction;
  /** Classifies RGBA pixels from an ImageData ... */
  classifyPixels(image: ImageData, metadata?: PatientMetadata): Prediction;
  /** ... or from a buffer of width * height * 4 bytes. */
  classifyPixels(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, metadata?: PatientMetadata): Prediction;
  /** Releases the model's memory; the classifier is unusable afterwards. */
  free(): void;
  [Symbol.dispose](): void;
}

/** Loads the engine and a model (the bundled one by default). */
export function createClassifier(options?: ClassifierOptions): Promise<Classifier>;

/** Instantiates the wasm engine ahead of time (optional; createClassifier does it). */
export function initWasm(wasm?: Source, options?: Pick<ClassifierOptions, 'onProgress' | 'fetch'>): Promise<void>;

export const DEFAULT_MODEL: URL;
export const DEFAULT_MANIFEST: URL;
/** The plain WebAssembly SIMD build (runs wherever WebAssembly SIMD does). */
export const DEFAULT_WASM: URL;
/** Same as DEFAULT_WASM. */
export const SIMD128_WASM: URL;
/** The build whose matmul kernel uses relaxed-SIMD fused multiply-add (faster where supported). */
export const RELAXED_SIMD_WASM: URL;

/** Which build of the engine runs. */
export type EngineBuild = 'relaxed-simd' | 'simd128' | 'custom';
/** Whether this JavaScript engine validates relaxed SIMD (Chrome/Edge >= 114, Node >= 22, ...). */
export function supportsRelaxedSimd(): boolean;
/** The build `initWasm` loads when given no `wasm`. */
export function defaultEngine(): Exclude<EngineBuild, 'custom'>;
