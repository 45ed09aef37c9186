// The classification flow behind the UI, without React: picks the engine, asks consent before an
// image leaves the device, falls back to the cloud when the device engine breaks, and lets only
// the latest request report. A superseded on-device request is dropped, not aborted: aborting
// terminates the worker and throws the loaded model away (issue: typing an age re-loaded 22 MB).
import type { EngineBuild, PatientMetadata, Prediction } from 'vibe-opsy';
import { chooseEngine, type Capabilities, type Engine, type EnginePreference, type LocalHistory } from './choose';
import { abortError, EngineError, isAbort } from './errors';
import type { LocalResult } from './workerBridge';

export interface Answer {
  prediction: Prediction;
  engine: Engine;
  /** The wasm build, when the answer came from this device. */
  build?: EngineBuild;
  /** Threads one on-device inference used. */
  threads?: number;
  ms: number;
  reason: string;
}

export type Status =
  | { kind: 'idle' }
  | { kind: 'working'; engine: Engine }
  | { kind: 'done'; answer: Answer }
  | { kind: 'error'; message: string; code: string };

export interface RunnerDeps {
  /** The on-device engine (the worker bridge). */
  local: {
    classify(bytes: ArrayBuffer, metadata?: PatientMetadata, signal?: AbortSignal): Promise<LocalResult>;
    terminate(): void;
  };
  cloud: (
    apiBase: string,
    file: Blob,
    metadata: PatientMetadata | undefined,
    signal: AbortSignal,
  ) => Promise<{ prediction: Prediction; ms: number }>;
  /** Resolves true when the person allows the cloud (false, also when the question is superseded). */
  askConsent: () => Promise<boolean>;
  /** Which engine the person prefers and where the cloud API is (changed later by `configure`). */
  settings: RunnerSettings;
  caps: Capabilities;
  onStatus: (status: Status) => void;
  now?: () => number;
}

export interface RunnerSettings {
  engine: EnginePreference;
  apiBase: string;
}

/** Codes that mean the device engine is broken (not the image): the cloud may answer instead. */
const ENGINE_BROKEN = ['engine_failed', 'model_load_failed', 'download_failed'];

export class ClassificationRunner {
  readonly history: LocalHistory = {};
  #latest = 0;
  #cloud?: AbortController;
  readonly #deps: RunnerDeps;
  #settings: RunnerSettings;

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
    this.#settings = deps.settings;
  }

  /** New settings apply from the next request on. */
  configure(settings: RunnerSettings): void {
    this.#settings = settings;
  }

  /** Classifies `file`; superseded by the next call (its result is then dropped). */
  async classify(file: Blob, metadata?: PatientMetadata): Promise<void> {
    const id = ++this.#latest;
    this.#cloud?.abort();
    const controller = new AbortController();
    this.#cloud = controller;
    const current = () => id === this.#latest;
    const report = (status: Status) => {
      if (current()) this.#deps.onStatus(status);
    };
    try {
      const answer = await this.answer(file, metadata, {
        signal: controller.signal,
        stillWanted: current,
        onEngine: (engine) => report({ kind: 'working', engine }),
      });
      report({ kind: 'done', answer });
    } catch (e) {
      if (isAbort(e) || controller.signal.aborted || !current()) return;
      const err = e as { message?: string; code?: string };
      report({
        kind: 'error',
        message: err.message ?? String(e),
        code: err.code ?? 'unknown',
      });
    }
  }

  /**
   * One answer for `file`, without touching the status (the batch list uses it too): on this device
   * when it can, else in the cloud after consent. Throws the classifier's error, `no_consent`, or an
   * AbortError when `signal` aborts or `stillWanted` says the answer is no longer wanted.
   */
  async answer(
    file: Blob,
    metadata?: PatientMetadata,
    options: {
      signal?: AbortSignal;
      stillWanted?: () => boolean;
      onEngine?: (engine: Engine) => void;
    } = {},
  ): Promise<Answer> {
    const { signal, stillWanted = () => true, onEngine } = options;
    const deps = this.#deps;
    const settings = this.#settings;
    const now = deps.now ?? (() => performance.now());
    let choice = chooseEngine(settings.engine, deps.caps, this.history);
    if (choice.engine === 'local') {
      onEngine?.('local');
      try {
        const first = this.history.firstRunMs === undefined;
        const started = now();
        const { prediction, ms, build, threads } = await deps.local.classify(await file.arrayBuffer(), metadata);
        if (first) this.history.firstRunMs = now() - started;
        return {
          prediction,
          engine: 'local',
          build,
          threads,
          ms,
          reason: choice.reason,
        };
      } catch (e) {
        // Bad input is the input's fault: say so. An engine failure falls back to the cloud.
        const broken = e instanceof EngineError && ENGINE_BROKEN.includes(e.code);
        if (isAbort(e) || !broken || settings.engine === 'local') throw e;
        this.history.failed = true;
        choice = chooseEngine(settings.engine, deps.caps, this.history);
        if (choice.engine === 'local') throw e;
      }
    }
    if (!stillWanted() || signal?.aborted) throw abortError();
    if (!(await deps.askConsent())) {
      throw new EngineError('Nothing was sent. Allow the cloud engine, or switch to on-device in Settings.', 'no_consent');
    }
    if (!stillWanted() || signal?.aborted) throw abortError();
    onEngine?.('cloud');
    const { prediction, ms } = await deps.cloud(settings.apiBase, file, metadata, signal ?? new AbortController().signal);
    return { prediction, engine: 'cloud', ms, reason: choice.reason };
  }

  /** Explicit cancel: stops the cloud request and the worker (the next call starts a fresh one). */
  cancel(): void {
    this.#latest++;
    this.#cloud?.abort();
    this.#deps.local.terminate();
    this.#deps.onStatus({ kind: 'idle' });
  }
}
