// Whether the 3D Macintosh should be shown on this device.

export function webglAvailable(): boolean {
  try {
    const canvas = document.createElement('canvas');
    return !!(canvas.getContext('webgl2') ?? canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

export function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** A screen too small for the Mac to hold a legible UI. */
export function smallScreen(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(max-width: 760px), (max-height: 560px)').matches;
}

/** Devices that would struggle to render the scene and run the model at once. */
export function weakDevice(nav: Navigator & { deviceMemory?: number } = navigator): boolean {
  return (nav.deviceMemory !== undefined && nav.deviceMemory < 2) || (nav.hardwareConcurrency ?? 4) < 2;
}

export type SceneMode = { mode: '3d'; lowQuality: boolean } | { mode: '2d'; reason: string };

export function chooseScene(enabled: boolean): SceneMode {
  if (!enabled) return { mode: '2d', reason: '3D is turned off in Settings' };
  if (!webglAvailable()) return { mode: '2d', reason: 'WebGL is unavailable' };
  if (smallScreen()) return { mode: '2d', reason: 'the screen is small' };
  if (weakDevice()) return { mode: '2d', reason: 'this device is low on memory or cores' };
  const nav = navigator as Navigator & { deviceMemory?: number };
  return { mode: '3d', lowQuality: (nav.deviceMemory ?? 8) < 4 || (nav.hardwareConcurrency ?? 8) <= 2 };
}
