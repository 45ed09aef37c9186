import { describe, expect, it } from 'vitest';
import { chooseEngine, detectCapabilities, localBlocker, SLOW_FIRST_RUN_MS, type Capabilities } from './choose';

const capable: Capabilities = { webAssembly: true, simd: true, workers: true, deviceMemoryGb: 8 };

describe('detectCapabilities', () => {
  it('finds WebAssembly SIMD in Node', () => {
    const caps = detectCapabilities();
    expect(caps.webAssembly).toBe(true);
    expect(caps.simd).toBe(true);
  });

  it('reports a browser without WebAssembly', () => {
    const caps = detectCapabilities({ navigator: { deviceMemory: 1 } } as unknown as typeof globalThis);
    expect(caps).toEqual({ webAssembly: false, simd: false, workers: false, deviceMemoryGb: 1 });
  });

  it('reports a WebAssembly without SIMD', () => {
    const scope = { WebAssembly: { validate: () => false }, Worker: function () {} } as unknown as typeof globalThis;
    expect(detectCapabilities(scope)).toMatchObject({ webAssembly: true, simd: false, workers: true });
  });
});

describe('chooseEngine', () => {
  it('runs locally on a capable device', () => {
    expect(chooseEngine('auto', capable).engine).toBe('local');
  });

  it('falls back to the cloud without WebAssembly, SIMD or workers', () => {
    for (const missing of ['webAssembly', 'simd', 'workers'] as const) {
      const choice = chooseEngine('auto', { ...capable, [missing]: false });
      expect(choice.engine).toBe('cloud');
      expect(choice.reason).toBe(localBlocker({ ...capable, [missing]: false }));
    }
  });

  it('falls back on low memory, a failed load or a slow first run', () => {
    expect(chooseEngine('auto', { ...capable, deviceMemoryGb: 1 }).engine).toBe('cloud');
    expect(chooseEngine('auto', { ...capable, deviceMemoryGb: undefined }).engine).toBe('local');
    expect(chooseEngine('auto', capable, { failed: true }).engine).toBe('cloud');
    expect(chooseEngine('auto', capable, { firstRunMs: SLOW_FIRST_RUN_MS + 1 }).engine).toBe('cloud');
    expect(chooseEngine('auto', capable, { firstRunMs: 900 }).engine).toBe('local');
  });

  it('obeys a forced choice', () => {
    expect(chooseEngine('cloud', capable).engine).toBe('cloud');
    expect(chooseEngine('local', { ...capable, deviceMemoryGb: 1 }, { failed: true }).engine).toBe('local');
    const impossible = chooseEngine('local', { ...capable, webAssembly: false });
    expect(impossible.engine).toBe('local');
    expect(impossible.reason).toMatch(/no WebAssembly/);
  });
});
