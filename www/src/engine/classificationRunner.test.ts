import { describe, expect, it } from 'vitest';
import type { PatientMetadata, Prediction } from 'vibe-opsy';
import { ClassificationRunner, type RunnerDeps, type Status } from './classificationRunner';
import type { EnginePreference } from './choose';
import { abortError, EngineError } from './errors';
import type { LocalResult } from './workerBridge';

const CAPS = { webAssembly: true, simd: true, workers: true, deviceMemoryGb: 8 };

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function prediction(cls: string): Prediction {
  return { class: cls } as Prediction;
}

/** A fake device engine whose calls the test settles one by one, and a fake cloud. */
function setup(preference: EnginePreference = 'auto', consent: () => Promise<boolean> = async () => true) {
  const local: { metadata?: PatientMetadata; answer: ReturnType<typeof deferred<LocalResult>> }[] = [];
  const cloudCalls: { metadata?: PatientMetadata; signal: AbortSignal }[] = [];
  const statuses: Status[] = [];
  let terminated = 0;
  let consentAsked = 0;
  const deps: RunnerDeps = {
    local: {
      classify(_bytes, metadata) {
        const answer = deferred<LocalResult>();
        local.push({ metadata, answer });
        return answer.promise;
      },
      terminate() {
        terminated++;
      },
    },
    cloud: async (_apiBase, _file, metadata, signal) => {
      cloudCalls.push({ metadata, signal });
      return { prediction: prediction('cloud'), ms: 5 };
    },
    askConsent: () => {
      consentAsked++;
      return consent();
    },
    settings: { engine: preference, apiBase: '' },
    caps: CAPS,
    onStatus: (s) => statuses.push(s),
    now: () => 0,
  };
  const runner = new ClassificationRunner(deps);
  return {
    runner,
    local,
    cloudCalls,
    statuses,
    last: () => statuses[statuses.length - 1],
    terminated: () => terminated,
    consentAsked: () => consentAsked,
  };
}

const file = new Blob([new Uint8Array([1, 2, 3])]);
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ClassificationRunner', () => {
  it('answers on the device', async () => {
    const t = setup();
    const run = t.runner.classify(file, { age: 40 });
    await tick();
    expect(t.last()).toEqual({ kind: 'working', engine: 'local' });
    t.local[0].answer.resolve({ prediction: prediction('nv'), ms: 3, build: 'simd128', threads: 1 });
    await run;
    expect(t.last()).toMatchObject({ kind: 'done', answer: { engine: 'local', build: 'simd128', prediction: { class: 'nv' } } });
    expect(t.local[0].metadata).toEqual({ age: 40 });
  });

  it('a newer request supersedes an older one without killing the worker', async () => {
    const t = setup();
    const first = t.runner.classify(file, { age: 6 });
    await tick();
    const second = t.runner.classify(file, { age: 65 });
    await tick();
    // the second answers first, then the first arrives late: it must not overwrite the second
    t.local[1].answer.resolve({ prediction: prediction('age65'), ms: 3, build: 'simd128', threads: 1 });
    await second;
    t.local[0].answer.resolve({ prediction: prediction('age6'), ms: 3, build: 'simd128', threads: 1 });
    await first;
    expect(t.terminated()).toBe(0);
    expect(t.last()).toMatchObject({ kind: 'done', answer: { prediction: { class: 'age65' } } });
    expect(t.statuses.filter((s) => s.kind === 'done')).toHaveLength(1);
  });

  it('a late error of a superseded request is not shown', async () => {
    const t = setup();
    const first = t.runner.classify(file);
    await tick();
    const second = t.runner.classify(file);
    await tick();
    t.local[0].answer.reject(new EngineError('the file is empty', 'empty_file'));
    await first;
    t.local[1].answer.resolve({ prediction: prediction('nv'), ms: 3, build: 'simd128', threads: 1 });
    await second;
    expect(t.statuses.some((s) => s.kind === 'error')).toBe(false);
    expect(t.last()).toMatchObject({ kind: 'done' });
  });

  it('bad input is reported as such and never sent to the cloud', async () => {
    const t = setup();
    const run = t.runner.classify(file);
    await tick();
    t.local[0].answer.reject(new EngineError('the file is empty', 'empty_file'));
    await run;
    expect(t.last()).toEqual({ kind: 'error', code: 'empty_file', message: 'the file is empty' });
    expect(t.consentAsked()).toBe(0);
    expect(t.cloudCalls).toHaveLength(0);
  });

  it('a broken device engine falls back to the cloud, after consent', async () => {
    const t = setup();
    const run = t.runner.classify(file, { sex: 'male' });
    await tick();
    t.local[0].answer.reject(new EngineError('no model', 'model_load_failed'));
    await run;
    expect(t.consentAsked()).toBe(1);
    expect(t.cloudCalls).toHaveLength(1);
    expect(t.cloudCalls[0].metadata).toEqual({ sex: 'male' });
    expect(t.last()).toMatchObject({ kind: 'done', answer: { engine: 'cloud' } });
    expect(t.runner.history.failed).toBe(true);
    // and the next request goes straight to the cloud
    await t.runner.classify(file);
    expect(t.local).toHaveLength(1);
    expect(t.cloudCalls).toHaveLength(2);
  });

  it('without consent nothing is sent', async () => {
    const t = setup('cloud', async () => false);
    await t.runner.classify(file);
    expect(t.cloudCalls).toHaveLength(0);
    expect(t.last()).toMatchObject({ kind: 'error', code: 'no_consent' });
  });

  it('with the device engine forced, a broken engine is an error, not a cloud call', async () => {
    const t = setup('local');
    const run = t.runner.classify(file);
    await tick();
    t.local[0].answer.reject(new EngineError('no model', 'model_load_failed'));
    await run;
    expect(t.consentAsked()).toBe(0);
    expect(t.last()).toMatchObject({ kind: 'error', code: 'model_load_failed' });
  });

  it('a request superseded while consent is asked sends nothing and reports nothing', async () => {
    const answers = [deferred<boolean>(), deferred<boolean>()];
    let asked = 0;
    const t = setup('cloud', () => answers[asked++].promise);
    const first = t.runner.classify(file, { age: 1 });
    await tick();
    const second = t.runner.classify(file, { age: 2 });
    await tick();
    answers[0].resolve(false); // what App does with a superseded question
    answers[1].resolve(true);
    await Promise.all([first, second]);
    expect(t.cloudCalls.map((c) => c.metadata)).toEqual([{ age: 2 }]);
    expect(t.statuses.some((s) => s.kind === 'error')).toBe(false);
    expect(t.last()).toMatchObject({ kind: 'done', answer: { engine: 'cloud' } });
  });

  it('a newer request aborts the cloud request in flight', async () => {
    const t = setup('cloud');
    const signals: AbortSignal[] = [];
    const gate = deferred<void>();
    const runner = new ClassificationRunner({
      local: { classify: () => Promise.reject(new Error('unused')), terminate: () => undefined },
      cloud: async (_a, _f, _m, signal) => {
        signals.push(signal);
        await gate.promise;
        if (signal.aborted) throw abortError();
        return { prediction: prediction('cloud'), ms: 1 };
      },
      askConsent: async () => true,
      settings: { engine: 'cloud', apiBase: '' },
      caps: CAPS,
      onStatus: (s) => t.statuses.push(s),
    });
    const first = runner.classify(file);
    await tick();
    const second = runner.classify(file);
    await tick();
    expect(signals[0].aborted).toBe(true);
    expect(signals[1].aborted).toBe(false);
    gate.resolve();
    await Promise.all([first, second]);
    expect(t.statuses.filter((s) => s.kind === 'done')).toHaveLength(1);
  });

  it('an explicit cancel stops the worker and drops the pending result', async () => {
    const t = setup();
    const run = t.runner.classify(file);
    await tick();
    t.runner.cancel();
    expect(t.terminated()).toBe(1);
    t.local[0].answer.reject(abortError());
    await run;
    expect(t.last()).toEqual({ kind: 'idle' });
  });
});
