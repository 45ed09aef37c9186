// The UI's single entry point for classification: the worker bridge, the cloud client and the
// flow between them (ClassificationRunner), as React state.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { PatientMetadata } from 'vibe-opsy';
import { ClassificationRunner, type Status } from './classificationRunner';
import { chooseEngine, detectCapabilities, type EnginePreference } from './choose';
import { classifyInCloud } from './cloud';
import { ASSET_CACHE } from '../worker/assetCache';
import { WorkerBridge } from './workerBridge';

export type { Answer, Status } from './classificationRunner';

export interface ModelProgress {
  loaded: number;
  total?: number;
  /** 0 for the first try; more after a dropped connection. */
  attempt: number;
  /** Time since this try started, in ms (for the time left). */
  elapsedMs: number;
  fromCache: boolean;
}

export interface Settings {
  engine: EnginePreference;
  apiBase: string;
  scene3d: boolean;
}

const SETTINGS_KEY = 'vibe-opsy.settings';
const CONSENT_KEY = 'vibe-opsy.cloud-consent';

export function loadSettings(): Settings {
  const defaults: Settings = { engine: 'auto', apiBase: '', scene3d: true };
  try {
    return { ...defaults, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') };
  } catch {
    return defaults;
  }
}

export function saveSettings(settings: Settings) {
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
}

export function useClassifier(settings: Settings, askConsent: () => Promise<boolean>) {
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [progress, setProgress] = useState<ModelProgress | undefined>();
  // Whether the engine and model are on the device, and then loading at once (a second visit):
  // CPU-bound work that the 3D scene's start must not slow down.
  const [deviceLoad, setDeviceLoad] = useState<'checking' | 'loading' | 'settled'>('checking');
  const caps = useMemo(() => detectCapabilities(), []);
  const startsAtOnce = canStartAtOnce(settings, caps);
  const warmingUp = startsAtOnce && deviceLoad !== 'settled';
  const bridge = useMemo(
    () =>
      new WorkerBridge(
        () => new Worker(new URL('../worker/classifier.worker.ts', import.meta.url), { type: 'module' }),
        (what, loaded, total, details = {}) => {
          if (what !== 'model') return;
          const { attempt = 0, fromCache = false, elapsedMs = 0 } = details;
          setProgress({ loaded, total, attempt, fromCache, elapsedMs });
        },
      ),
    [],
  );
  useEffect(() => () => bridge.terminate(), [bridge]);
  // Start the engine and model download as soon as the page is idle, before a file is picked,
  // where the device engine would answer (not on Save-Data connections); at once when both are
  // already on the device (a second visit: no network, and the first answer comes sooner).
  useEffect(() => {
    if (chooseEngine(settings.engine, caps).engine !== 'local') return;
    if (saveData()) return;
    let cancelled = false;
    let cancelIdle = () => {};
    const start = () => {
      if (!cancelled) void bridge.load().catch(() => undefined);
    };
    const whenIdle = () => {
      if (typeof requestIdleCallback === 'function') {
        const id = requestIdleCallback(start, { timeout: 3000 });
        cancelIdle = () => cancelIdleCallback(id);
      } else {
        const id = setTimeout(start, 1500);
        cancelIdle = () => clearTimeout(id);
      }
    };
    const notCached = () => {
      setDeviceLoad('settled');
      whenIdle();
    };
    if (typeof caches === 'undefined') whenIdle();
    else
      caches
        .open(ASSET_CACHE)
        .then((cache) => cache.keys())
        .then((keys) => {
          if (!keys.some((k) => k.url.endsWith('.onnx'))) return notCached();
          if (cancelled) return;
          setDeviceLoad('loading');
          void bridge
            .load()
            .catch(() => undefined)
            .finally(() => setDeviceLoad('settled'));
        })
        .catch(notCached);
    return () => {
      cancelled = true;
      cancelIdle();
    };
  }, [bridge, caps, settings.engine]);
  const runner = useMemo(
    () =>
      new ClassificationRunner({
        local: bridge,
        cloud: classifyInCloud,
        askConsent,
        settings: { engine: 'auto', apiBase: '' },
        caps,
        onStatus: setStatus,
      }),
    [bridge, caps, askConsent],
  );
  useEffect(() => runner.configure({ engine: settings.engine, apiBase: settings.apiBase }), [runner, settings.engine, settings.apiBase]);
  const classify = useCallback((file: Blob, metadata?: PatientMetadata) => runner.classify(file, metadata), [runner]);
  const cancel = useCallback(() => runner.cancel(), [runner]);
  const answer = useCallback(
    (file: Blob, metadata: PatientMetadata | undefined, signal: AbortSignal) => runner.answer(file, metadata, { signal }),
    [runner],
  );
  return { status, progress, warmingUp, classify, cancel, answer, caps };
}

function saveData(): boolean {
  return !!(navigator as Navigator & { connection?: { saveData?: boolean } }).connection?.saveData;
}

/** Whether the engine loads as soon as the page opens when it is already on the device. */
function canStartAtOnce(settings: Settings, caps: ReturnType<typeof detectCapabilities>): boolean {
  return chooseEngine(settings.engine, caps).engine === 'local' && !saveData() && typeof caches !== 'undefined';
}

export function hasCloudConsent(): boolean {
  return localStorage.getItem(CONSENT_KEY) === 'yes';
}

export function rememberCloudConsent() {
  localStorage.setItem(CONSENT_KEY, 'yes');
}
