// Squoosh-style bridge to the classifier worker: the worker starts on first use, loads the model
// once, and aborting a classification terminates it (the next call starts a fresh one).
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
}

export interface LocalResult {
  prediction: Prediction;
  ms: number;
  /** Which wasm build answered, on how many threads. */
  build: EngineBuild;
  threads: number;
}

type Pending = { resolve: (r: LocalResult) => void; reject: (e: unknown) => void };

export class WorkerBridge {
  #worker?: WorkerLike;
  #ready?: Promise<LoadInfo>;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  readonly #create: () => WorkerLike;
  readonly #onProgress?: (what: string, loaded: number, total?: number, details?: { attempt?: number; fromCache?: boolean; elapsedMs?: number }) => void;

  constructor(create: () => WorkerLike, onProgress?: (what: string, loaded: number, total?: number, details?: { attempt?: number; fromCache?: boolean; elapsedMs?: number }) => void) {
    this.#create = create;
    this.#onProgress = onProgress;
  }

  /** True while a worker is running. */
  get started(): boolean {
    return this.#worker !== undefined;
  }

  /** Starts the worker and loads the model (once); resolves when it is ready. */
  load(): Promise<LoadInfo> {
    if (this.#ready) return this.#ready;
    const worker = this.#create();
    this.#worker = worker;
    this.#ready = new Promise<LoadInfo>((resolve, reject) => {
      worker.onmessage = ({ data }) => {
        switch (data.type) {
          case 'progress':
            this.#onProgress?.(data.what, data.loaded, data.total, { attempt: data.attempt, fromCache: data.fromCache, elapsedMs: data.elapsedMs });
            break;
          case 'ready':
            resolve({ manifest: data.manifest, loadMs: data.loadMs, parseMs: data.parseMs, optimizeMs: data.optimizeMs });
            break;
          case 'result':
            this.#settle(data.id)?.resolve({ prediction: data.prediction, ms: data.ms, build: data.build, threads: data.threads });
            break;
          case 'error': {
            const error = new EngineError(data.message, data.code);
            if (data.id === undefined) {
              reject(error);
              this.#reset(error);
            } else {
              this.#settle(data.id)?.reject(error);
            }
            break;
          }
        }
      };
      worker.onerror = (event) => {
        const error = new EngineError(event.message || 'the on-device engine crashed', 'engine_failed');
        reject(error);
        this.#reset(error);
      };
    });
    worker.postMessage({ type: 'load' });
    return this.#ready;
  }

  /** Classifies `bytes` on the worker. Aborting terminates the worker. */
  async classify(bytes: ArrayBuffer, metadata?: PatientMetadata, signal?: AbortSignal): Promise<LocalResult> {
    if (signal?.aborted) throw abortError();
    // A load failure reaches this call through #reset, which rejects every pending call.
    this.load().catch(() => undefined);
    const id = this.#nextId++;
    const result = new Promise<LocalResult>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    const onAbort = () => this.#reset(abortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    // The worker queues this behind the model load.
    this.#worker?.postMessage({ type: 'classify', id, bytes, metadata }, [bytes]);
    try {
      return await result;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#pending.delete(id);
    }
  }

  /** Stops the worker; pending calls reject with `reason`. */
  terminate(reason: unknown = abortError()): void {
    this.#reset(reason);
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    return p;
  }

  #reset(reason: unknown) {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#ready = undefined;
    for (const p of this.#pending.values()) p.reject(reason);
    this.#pending.clear();
  }
}
