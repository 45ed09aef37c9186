import { describe, expect, it } from 'vitest';
import type { FromWorker, ToWorker } from '../worker/protocol';
import { isAbort } from './errors';
import { WorkerBridge, type WorkerLike } from './workerBridge';

/** An in-memory worker that answers like the real one after a tick. */
class FakeWorker implements WorkerLike {
  onmessage: ((event: MessageEvent<FromWorker>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  received: ToWorker[] = [];
  terminated = false;
  constructor(private readonly behaviour: { failLoad?: boolean; hang?: boolean } = {}) {}

  postMessage(message: ToWorker) {
    this.received.push(message);
    setTimeout(() => this.answer(message), 1);
  }

  private emit(data: FromWorker) {
    if (!this.terminated) this.onmessage?.({ data } as MessageEvent<FromWorker>);
  }

  private answer(message: ToWorker) {
    if (message.type === 'load') {
      if (this.behaviour.failLoad) return this.emit({ type: 'error', code: 'model_load_failed', message: 'no model' });
      this.emit({ type: 'progress', what: 'model', loaded: 5, total: 10 });
      this.emit({ type: 'ready', manifest: { name: 'm' } as never, loadMs: 3, parseMs: 1, optimizeMs: 2 });
    } else if (!this.behaviour.hang) {
      const size = message.bytes.byteLength;
      if (size === 0) return this.emit({ type: 'error', id: message.id, code: 'empty_file', message: 'the file is empty' });
      this.emit({ type: 'result', id: message.id, prediction: { class: `size${size}` } as never, ms: 7, build: 'simd128', threads: 1 });
    }
  }

  terminate() {
    this.terminated = true;
  }
}

function bridgeWith(make: () => FakeWorker) {
  const workers: FakeWorker[] = [];
  const progress: number[] = [];
  const bridge = new WorkerBridge(
    () => {
      const w = make();
      workers.push(w);
      return w;
    },
    (_what, loaded) => progress.push(loaded),
  );
  return { bridge, workers, progress };
}

describe('WorkerBridge', () => {
  it('starts lazily, loads once and classifies', async () => {
    const { bridge, workers, progress } = bridgeWith(() => new FakeWorker());
    expect(workers).toHaveLength(0);
    expect(bridge.started).toBe(false);
    const a = await bridge.classify(new ArrayBuffer(3));
    const b = await bridge.classify(new ArrayBuffer(4));
    expect([a.prediction.class, b.prediction.class]).toEqual(['size3', 'size4']);
    expect(workers).toHaveLength(1);
    expect(workers[0].received.filter((m) => m.type === 'load')).toHaveLength(1);
    expect(progress).toEqual([5]);
    expect((await bridge.load()).manifest.name).toBe('m');
  });

  it('passes engine errors through with their code and keeps working', async () => {
    const { bridge, workers } = bridgeWith(() => new FakeWorker());
    await expect(bridge.classify(new ArrayBuffer(0))).rejects.toMatchObject({ code: 'empty_file' });
    expect((await bridge.classify(new ArrayBuffer(2))).prediction.class).toBe('size2');
    expect(workers).toHaveLength(1);
  });

  it('abort terminates the worker and the next call starts a fresh one', async () => {
    const { bridge, workers } = bridgeWith(() => new FakeWorker({ hang: workers.length === 0 }));
    const controller = new AbortController();
    const pending = bridge.classify(new ArrayBuffer(5), undefined, controller.signal);
    await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await expect(pending).rejects.toSatisfy(isAbort);
    expect(workers[0].terminated).toBe(true);
    expect(bridge.started).toBe(false);
    const next = await bridge.classify(new ArrayBuffer(6));
    expect(next.prediction.class).toBe('size6');
    expect(workers).toHaveLength(2);
  });

  it('an already-aborted signal never starts the worker', async () => {
    const { bridge, workers } = bridgeWith(() => new FakeWorker());
    const controller = new AbortController();
    controller.abort();
    await expect(bridge.classify(new ArrayBuffer(1), undefined, controller.signal)).rejects.toSatisfy(isAbort);
    expect(workers).toHaveLength(0);
  });

  it('a failed model load rejects pending calls and allows a retry', async () => {
    let fail = true;
    const { bridge, workers } = bridgeWith(() => new FakeWorker({ failLoad: fail }));
    await expect(bridge.classify(new ArrayBuffer(1))).rejects.toMatchObject({ code: 'model_load_failed' });
    expect(workers[0].terminated).toBe(true);
    fail = false;
    expect((await bridge.classify(new ArrayBuffer(2))).prediction.class).toBe('size2');
  });
});
