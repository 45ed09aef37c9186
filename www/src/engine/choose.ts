// Which engine answers: on this device (wasm in a worker) or the cloud API.

export type EnginePreference = 'auto' | 'local' | 'cloud';
export type Engine = 'local' | 'cloud';

export interface Capabilities {
  webAssembly: boolean;
  simd: boolean;
  workers: boolean;
  /** navigator.deviceMemory in GB, when the browser tells. */
  deviceMemoryGb?: number;
}

export interface LocalHistory {
  /** The on-device engine failed to start (download, compile or model load). */
  failed?: boolean;
  /** Duration of the first on-device classification, including the model load. */
  firstRunMs?: number;
}

export interface Choice {
  engine: Engine;
  reason: string;
}

/** Below this much memory the model (≈22 MB file, ≈300 MB while optimising) risks the tab. */
export const MIN_DEVICE_MEMORY_GB = 2;
/** A first on-device run slower than this means the cloud is the better experience. */
export const SLOW_FIRST_RUN_MS = 15_000;

// (module (func (result v128) (v128.const i32x4 0 0 0 0)))
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 11,
]);

export function detectCapabilities(scope: typeof globalThis = globalThis): Capabilities {
  const wasm = (scope as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  const webAssembly = typeof wasm === 'object' && typeof wasm.validate === 'function';
  let simd = false;
  if (webAssembly) {
    try {
      simd = wasm.validate(SIMD_PROBE);
    } catch {
      simd = false;
    }
  }
  const nav = (scope as { navigator?: Navigator & { deviceMemory?: number } }).navigator;
  return {
    webAssembly,
    simd,
    workers: typeof (scope as { Worker?: unknown }).Worker === 'function',
    deviceMemoryGb: typeof nav?.deviceMemory === 'number' ? nav.deviceMemory : undefined,
  };
}

/** Why this device cannot run the on-device engine, or undefined when it can. */
export function localBlocker(caps: Capabilities): string | undefined {
  if (!caps.webAssembly) return 'this browser has no WebAssembly';
  if (!caps.simd) return 'this browser lacks WebAssembly SIMD';
  if (!caps.workers) return 'this browser cannot run Web Workers';
  return undefined;
}

export function chooseEngine(preference: EnginePreference, caps: Capabilities, history: LocalHistory = {}): Choice {
  if (preference === 'cloud') return { engine: 'cloud', reason: 'you chose the cloud engine' };
  const blocker = localBlocker(caps);
  if (preference === 'local') {
    return blocker
      ? { engine: 'local', reason: `you chose on-device, but ${blocker}` }
      : { engine: 'local', reason: 'you chose on-device' };
  }
  if (blocker) return { engine: 'cloud', reason: blocker };
  if (caps.deviceMemoryGb !== undefined && caps.deviceMemoryGb < MIN_DEVICE_MEMORY_GB) {
    return { engine: 'cloud', reason: `this device reports only ${caps.deviceMemoryGb} GB of memory` };
  }
  if (history.failed) return { engine: 'cloud', reason: 'the on-device engine failed to load' };
  if (history.firstRunMs !== undefined && history.firstRunMs > SLOW_FIRST_RUN_MS) {
    return { engine: 'cloud', reason: `on-device took ${(history.firstRunMs / 1000).toFixed(0)} s, too slow` };
  }
  return { engine: 'local', reason: 'runs on this device; the image never leaves it' };
}
