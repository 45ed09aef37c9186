// Module worker: loads the wasm engine and the model once, then classifies images off the UI thread.
import { createClassifier, type Classifier } from 'vibe-opsy';
import { cachedFetch } from './assetCache';
import type { FromWorker, ToWorker } from './protocol';

// Uncompressed sizes of the engine builds and the model (vite.config.ts), for progress when the
// server sends them brotli-compressed (the length header then counts compressed bytes).
declare const __ASSET_SIZES__: Record<string, number>;

let classifier: Promise<Classifier> | undefined;
/** 1 when the UI asked for the single-threaded build (a restart after a stuck threaded start). */
let threads: 1 | undefined;

function post(message: FromWorker) {
  (self as unknown as Worker).postMessage(message);
}

function load(): Promise<Classifier> {
  classifier ??= (async () => {
    const started = performance.now();
    const c = await createClassifier({
      threads: threads ?? 'auto',
      onStage: (stage) => post({ type: 'stage', stage }),
      fetch: cachedFetch({
        sizes: typeof __ASSET_SIZES__ === 'object' ? __ASSET_SIZES__ : {},
        onProgress: (p) => post({ type: 'progress', ...p }),
      }),
    });
    const { parseMs, optimizeMs } = c.loadTimings;
    post({ type: 'ready', manifest: c.manifest, loadMs: performance.now() - started, parseMs, optimizeMs });
    return c;
  })();
  classifier.catch(() => (classifier = undefined));
  return classifier;
}

function describe(e: unknown): { code: string; message: string } {
  const err = e as { code?: unknown; message?: unknown };
  return {
    code: typeof err?.code === 'string' ? err.code : 'engine_failed',
    message: typeof err?.message === 'string' ? err.message : String(e),
  };
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'load') {
    threads = message.threads;
    try {
      await load();
    } catch (e) {
      post({ type: 'error', ...describe(e) });
    }
    return;
  }
  try {
    const c = await load();
    const started = performance.now();
    const prediction = c.classifyBytes(new Uint8Array(message.bytes), message.metadata);
    const { build, threads } = c.engine;
    post({ type: 'result', id: message.id, prediction, ms: performance.now() - started, build, threads });
  } catch (e) {
    post({ type: 'error', id: message.id, ...describe(e) });
  }
};
