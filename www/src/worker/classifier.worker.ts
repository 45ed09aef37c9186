// Module worker: loads the wasm engine and the model once, then classifies images off the UI thread.
import { createClassifier, type Classifier } from 'vibe-opsy';
import type { FromWorker, ToWorker } from './protocol';

let classifier: Promise<Classifier> | undefined;

function post(message: FromWorker) {
  (self as unknown as Worker).postMessage(message);
}

function load(): Promise<Classifier> {
  classifier ??= (async () => {
    const started = performance.now();
    const c = await createClassifier({
      onProgress: ({ what, loaded, total }) => post({ type: 'progress', what, loaded, total }),
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
    post({ type: 'result', id: message.id, prediction, ms: performance.now() - started, build: c.engine });
  } catch (e) {
    post({ type: 'error', id: message.id, ...describe(e) });
  }
};
