// Squoosh-style bridge to the classifier worker: the worker starts on first use, loads the model
// once, and aborting a classification terminates it (the next call starts a fresh one).
//
// A worker that owes an answer and says nothing for a while is taken as hung (a stuck thread cannot
// say so itself). While it loads, the bridge starts a fresh worker instead, the classifications
// waiting for it are sent again, and the last try runs on one thread (no pool to create); after
// that, or when a classification hangs, the calls fail with `engine_failed` (the runner then
// offers the cloud): never "Classifying…" forever.
import type { EngineBuild, Manifest, PatientMetadata, Prediction } from 'vibe-opsy';
import type { FromWorker, ToWorker } from '../worker/protocol';
import { abortError, EngineError } from './errors';

export interface WorkerLike {
  postMessage(message: ToWorker, transfer?: Transferable[]): void;
  terminate(): void;
  onmessage: ((event: MessageEvent<FromWorker>) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
}

export interface LoadInfo {
  manifest: Manifest;
  loadMs: number;
  parseMs: number;
  optimizeMs: number;
  /** Workers started before this one loaded (each after the one before stopped answering). */
  restarts: number;
}

export interface LocalResult {
  prediction: Prediction;
  ms: number;
  /** Which wasm build answered, on how many threads. */
  build: EngineBuild;
  threads: number;
}

type ClassifyMessage = Extract<ToWorker, { type: 'classify' }>;
type Pending = { resolve: (r: LocalResult) => void; reject: (e: unknown) => void; message: ClassifyMessage };
type ProgressListener = (what: string, loaded: number, total?: number, details?: { attempt?: number; fromCache?: boolean; elapsedMs?: number }) => void;

/**
 * How long a worker that owes an answer may stay silent. Its longest silent step is one
 * synchronous stretch of the load (compiling the engine, then parsing and optimising the model:
 * a few seconds, ≈ 20 s on a slow phone); downloads report progress all along.
 */
export const STALL_MS = 60_000;

/**
 * How long the threaded engine may take to create its pool's Web Workers (between its stages
 * `pool-starting` and `pool-requested`: milliseconds). Firefox ESR sometimes never returns from
 * it, about one load in seven in tests/e2e/firefox.test.mjs.
 */
export const POOL_START_STALL_MS = 10_000;

/** The loads a bridge tries, in order, each after the one before stopped answering. */
const LOAD_ATTEMPTS: ToWorker[] = [{ type: 'load' }, { type: 'load' }, { type: 'load', threads: 1 }];

export interface BridgeTimings {
  stallMs?: number;
  poolStartMs?: number;
}

export class WorkerBridge {
  #worker?: WorkerLike;
  #ready?: Promise<LoadInfo>;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #loaded = false;
  /** The worker's last stage message, until its next message of any kind. */
  #stage?: string;
  #stallTimer?: ReturnType<typeof setTimeout>;
  /** What a silent worker leads to (set while a worker runs). */
  #onStall?: () => void;
  readonly #create: () => WorkerLike;
  readonly #onProgress?: ProgressListener;
  readonly #stallMs: number;
  readonly #poolStartMs: number;

  constructor(create: () => WorkerLike, onProgress?: ProgressListener, { stallMs = STALL_MS, poolStartMs = POOL_START_STALL_MS }: BridgeTimings = {}) {
    this.#create = create;
    this.#onProgress = onProgress;
    this.#stallMs = stallMs;
    this.#poolStartMs = poolStartMs;
  }

  /** True while a worker is running. */
  get started(): boolean {
    return this.#worker !== undefined;
  }

  /** Starts the worker and loads the model (once); resolves when it is ready. */
  load(): Promise<LoadInfo> {
    if (this.#ready) return this.#ready;
    this.#ready = new Promise<LoadInfo>((resolve, reject) => {
      let attempt = 0;
      const fail = (error: EngineError) => {
        reject(error);
        this.#reset(error);
      };
      const start = () => {
        const worker = this.#create();
        this.#worker = worker;
        this.#loaded = false;
        this.#stage = undefined;
        worker.onmessage = ({ data }) => {
          if (worker !== this.#worker) return;
          this.#stage = data.type === 'stage' ? data.stage : undefined;
          switch (data.type) {
            case 'progress':
              this.#onProgress?.(data.what, data.loaded, data.total, { attempt: data.attempt, fromCache: data.fromCache, elapsedMs: data.elapsedMs });
              break;
            case 'ready':
              this.#loaded = true;
              resolve({ manifest: data.manifest, loadMs: data.loadMs, parseMs: data.parseMs, optimizeMs: data.optimizeMs, restarts: attempt });
              break;
            case 'result':
              this.#settle(data.id)?.resolve({ prediction: data.prediction, ms: data.ms, build: data.build, threads: data.threads });
              break;
            case 'error': {
              const error = new EngineError(data.message, data.code);
              if (data.id === undefined) fail(error);
              else this.#settle(data.id)?.reject(error);
              break;
            }
          }
          this.#watch();
        };
        worker.onerror = (event) => {
          if (worker === this.#worker) fail(new EngineError(event.message || 'the on-device engine crashed', 'engine_failed'));
        };
        worker.postMessage(LOAD_ATTEMPTS[attempt]);
        for (const p of this.#pending.values()) this.#send(p.message);
        this.#watch();
      };
      this.#onStall = () => {
        const seconds = Math.round((this.#stage === 'pool-starting' ? this.#poolStartMs : this.#stallMs) / 1000);
        if (!this.#loaded && attempt + 1 < LOAD_ATTEMPTS.length) {
          attempt += 1;
          console.warn(`vibe-opsy: the on-device engine stopped answering while it loaded (nothing for ${seconds} s); starting it again (try ${attempt + 1} of ${LOAD_ATTEMPTS.length})`);
          this.#worker?.terminate();
          start();
          return;
        }
        fail(new EngineError(`the on-device engine stopped answering (nothing for ${seconds} s): it was stopped`, 'engine_failed'));
      };
      start();
    });
    return this.#ready;
  }

  /** Classifies `bytes` on the worker. Aborting terminates the worker. */
  async classify(bytes: ArrayBuffer, metadata?: PatientMetadata, signal?: AbortSignal): Promise<LocalResult> {
    if (signal?.aborted) throw abortError();
    // A load failure reaches this call through #reset, which rejects every pending call.
    this.load().catch(() => undefined);
    const id = this.#nextId++;
    const message: ClassifyMessage = { type: 'classify', id, bytes, metadata };
    const result = new Promise<LocalResult>((resolve, reject) => this.#pending.set(id, { resolve, reject, message }));
    const onAbort = () => this.#reset(abortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    // The worker queues this behind the model load.
    this.#send(message);
    this.#watch();
    try {
      return await result;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#pending.delete(id);
      this.#watch();
    }
  }

  /** Stops the worker; pending calls reject with `reason`. */
  terminate(reason: unknown = abortError()): void {
    this.#reset(reason);
  }

  /** Posts a copy of the image (transferred): the original stays here for a restarted worker. */
  #send(message: ClassifyMessage) {
    const bytes = message.bytes.slice(0);
    this.#worker?.postMessage({ ...message, bytes }, [bytes]);
  }

  /** (Re)starts the stall timer while the worker owes an answer (the load, or a classification); stops it otherwise. */
  #watch() {
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    const owes = this.#worker !== undefined && (!this.#loaded || this.#pending.size > 0);
    if (owes && this.#onStall) this.#stallTimer = setTimeout(this.#onStall, this.#stage === 'pool-starting' ? this.#poolStartMs : this.#stallMs);
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    return p;
  }

  #reset(reason: unknown) {
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    this.#onStall = undefined;
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#ready = undefined;
    for (const p of this.#pending.values()) p.reject(reason);
    this.#pending.clear();
  }
}
