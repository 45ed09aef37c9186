import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FromWorker, ToWorker } from '../worker/protocol';
import { isAbort } from './errors';
import { WorkerBridge, type BridgeTimings, type WorkerLike } from './workerBridge';

/** An in-memory worker that answers like the real one after a tick. */
class FakeWorker implements WorkerLike {
  onmessage: ((event: MessageEvent<FromWorker>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  received: ToWorker[] = [];
  terminated = false;
  constructor(private readonly behaviour: { failLoad?: boolean; hang?: boolean; poolHang?: boolean; silent?: boolean; loadProgressEveryMs?: number; loadSteps?: number } = {}) {}
  #stuck = false;

  postMessage(message: ToWorker) {
    this.received.push(message);
    setTimeout(() => this.answer(message), 1);
  }

  private emit(data: FromWorker) {
    if (!this.terminated) this.onmessage?.({ data } as MessageEvent<FromWorker>);
  }

  private answer(message: ToWorker) {
    // a worker stuck creating its pool (the threaded build: not asked for one thread) answers nothing more
    if (this.#stuck || this.behaviour.silent) return;
    if (message.type === 'load') {
      if (this.behaviour.poolHang && message.threads !== 1) {
        this.emit({ type: 'stage', stage: 'pool-starting' });
        this.#stuck = true;
        return;
      }
      const { loadProgressEveryMs, loadSteps = 0 } = this.behaviour;
      if (loadProgressEveryMs !== undefined) {
        // a long download: progress every `loadProgressEveryMs`, then ready
        for (let step = 1; step <= loadSteps; step++) {
          setTimeout(() => this.emit({ type: 'progress', what: 'model', loaded: step, total: loadSteps }), step * loadProgressEveryMs);
        }
        setTimeout(() => this.emit({ type: 'ready', manifest: { name: 'm' } as never, loadMs: 3, parseMs: 1, optimizeMs: 2 }), (loadSteps + 1) * loadProgressEveryMs);
        return;
      }
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

function bridgeWith(make: () => FakeWorker, timings: BridgeTimings = {}) {
  const workers: FakeWorker[] = [];
  const progress: number[] = [];
  const bridge = new WorkerBridge(
    () => {
      const w = make();
      workers.push(w);
      return w;
    },
    (_what, loaded) => progress.push(loaded),
    timings,
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

  describe('a worker that stops answering', () => {
    afterEach(() => {
      vi.useRealTimers();
      vi.restoreAllMocks();
    });

    it('stuck creating its pool: a fresh worker after poolStartMs, the waiting image sent again; the third try on one thread answers', async () => {
      vi.useFakeTimers();
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const { bridge, workers } = bridgeWith(() => new FakeWorker({ poolHang: true }), { stallMs: 60_000, poolStartMs: 1_000 });
      const pending = bridge.classify(new ArrayBuffer(3));
      await vi.advanceTimersByTimeAsync(1_000);
      expect(workers).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(2);
      expect(workers).toHaveLength(2);
      expect(workers[0].terminated).toBe(true);
      // the second worker got the load and the image again
      expect(workers[1].received.map((m) => m.type)).toEqual(['load', 'classify']);
      expect((workers[1].received[1] as { bytes: ArrayBuffer }).bytes.byteLength).toBe(3);
      await vi.advanceTimersByTimeAsync(1_002);
      expect(workers).toHaveLength(3);
      expect(workers[2].received[0]).toEqual({ type: 'load', threads: 1 });
      await vi.advanceTimersByTimeAsync(2);
      expect((await pending).prediction.class).toBe('size3');
      expect((await bridge.load()).restarts).toBe(2);
      expect(warn.mock.calls.map(([m]) => String(m).match(/try \d of 3/)?.[0])).toEqual(['try 2 of 3', 'try 3 of 3']);
    });

    it('every try silent: engine_failed after the last, every worker stopped', async () => {
      vi.useFakeTimers();
      vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const { bridge, workers } = bridgeWith(() => new FakeWorker({ silent: true }), { stallMs: 1_000 });
      const pending = bridge.classify(new ArrayBuffer(3));
      const failed = expect(pending).rejects.toMatchObject({ code: 'engine_failed', message: expect.stringMatching(/stopped answering \(nothing for 1 s\)/) });
      await vi.advanceTimersByTimeAsync(3_010);
      await failed;
      expect(workers).toHaveLength(3);
      expect(workers.every((w) => w.terminated)).toBe(true);
      expect(bridge.started).toBe(false);
    });

    it('a restarted worker that loads answers the waiting classification, and says how many restarts it took', async () => {
      vi.useFakeTimers();
      vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const { bridge, workers } = bridgeWith(() => new FakeWorker({ poolHang: workers.length === 0 }), { poolStartMs: 1_000 });
      const pending = bridge.classify(new ArrayBuffer(5));
      await vi.advanceTimersByTimeAsync(1_010);
      expect((await pending).prediction.class).toBe('size5');
      expect((await bridge.load()).restarts).toBe(1);
      expect(workers).toHaveLength(2);
      expect(workers[1].received[0]).toEqual({ type: 'load' });
    });

    it('a silent load gets the general stallMs, not poolStartMs; progress keeps a long load alive', async () => {
      vi.useFakeTimers();
      const { bridge, workers } = bridgeWith(() => new FakeWorker({ loadProgressEveryMs: 600, loadSteps: 5 }), { stallMs: 1_000, poolStartMs: 100 });
      const pending = bridge.classify(new ArrayBuffer(7));
      await vi.advanceTimersByTimeAsync(3_700);
      expect((await pending).prediction.class).toBe('size7');
      expect(workers).toHaveLength(1);
      expect(workers[0].terminated).toBe(false);
    });

    it('a classification with no answer for stallMs fails and stops the worker (no retry); an idle loaded worker is never timed out', async () => {
      vi.useFakeTimers();
      const { bridge, workers } = bridgeWith(() => new FakeWorker({ hang: true }), { stallMs: 1_000 });
      const loaded = bridge.load();
      await vi.advanceTimersByTimeAsync(2);
      await loaded;
      await vi.advanceTimersByTimeAsync(10_000);
      expect(workers[0].terminated).toBe(false);
      const pending = bridge.classify(new ArrayBuffer(3));
      const failed = expect(pending).rejects.toMatchObject({ code: 'engine_failed' });
      await vi.advanceTimersByTimeAsync(1_001);
      await failed;
      expect(workers).toHaveLength(1);
      expect(workers[0].terminated).toBe(true);
    });
  });
});
