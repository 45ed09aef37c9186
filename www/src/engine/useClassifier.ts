// The UI's single entry point for classification: picks the engine, asks consent before an image
// leaves the device, aborts stale requests, and falls back to the cloud when the device cannot cope.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EngineBuild, PatientMetadata, Prediction } from 'vibe-opsy';
import { chooseEngine, detectCapabilities, type Engine, type EnginePreference, type LocalHistory } from './choose';
import { classifyInCloud } from './cloud';
import { EngineError, isAbort } from './errors';
import { WorkerBridge } from './workerBridge';

export interface Answer {
  prediction: Prediction;
  engine: Engine;
  /** The wasm build, when the answer came from this device. */
  build?: EngineBuild;
  ms: number;
  reason: string;
}

export interface ModelProgress {
  loaded: number;
  total?: number;
}

export type Status =
  | { kind: 'idle' }
  | { kind: 'working'; engine: Engine }
  | { kind: 'done'; answer: Answer }
  | { kind: 'error'; message: string; code: string };

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
  const history = useRef<LocalHistory>({});
  const current = useRef<AbortController | undefined>(undefined);
  const caps = useMemo(() => detectCapabilities(), []);
  const bridge = useMemo(
    () =>
      new WorkerBridge(
        () => new Worker(new URL('../worker/classifier.worker.ts', import.meta.url), { type: 'module' }),
        (what, loaded, total) => {
          if (what === 'model') setProgress({ loaded, total });
        },
      ),
    [],
  );
  useEffect(() => () => bridge.terminate(), [bridge]);

  const classify = useCallback(
    async (file: Blob, metadata?: PatientMetadata) => {
      current.current?.abort();
      const controller = new AbortController();
      current.current = controller;
      let choice = chooseEngine(settings.engine, caps, history.current);
      try {
        if (choice.engine === 'local') {
          setStatus({ kind: 'working', engine: 'local' });
          try {
            const first = history.current.firstRunMs === undefined;
            const started = performance.now();
            const { prediction, ms, build } = await bridge.classify(await file.arrayBuffer(), metadata, controller.signal);
            if (first) history.current.firstRunMs = performance.now() - started;
            setStatus({ kind: 'done', answer: { prediction, engine: 'local', build, ms, reason: choice.reason } });
            return;
          } catch (e) {
            // Bad input is the input's fault: say so. An engine failure falls back to the cloud.
            const engineBroken = e instanceof EngineError && ['engine_failed', 'model_load_failed', 'download_failed'].includes(e.code);
            if (isAbort(e) || !engineBroken || settings.engine === 'local') throw e;
            history.current.failed = true;
            choice = chooseEngine(settings.engine, caps, history.current);
          }
        }
        if (!(await askConsent())) {
          setStatus({ kind: 'error', code: 'no_consent', message: 'Nothing was sent. Allow the cloud engine, or switch to on-device in Settings.' });
          return;
        }
        setStatus({ kind: 'working', engine: 'cloud' });
        const { prediction, ms } = await classifyInCloud(settings.apiBase, file, metadata, controller.signal);
        setStatus({ kind: 'done', answer: { prediction, engine: 'cloud', ms, reason: choice.reason } });
      } catch (e) {
        if (isAbort(e) || controller.signal.aborted) return;
        const err = e as { message?: string; code?: string };
        setStatus({ kind: 'error', message: err.message ?? String(e), code: err.code ?? 'unknown' });
      }
    },
    [bridge, caps, settings.engine, settings.apiBase, askConsent],
  );

  return { status, progress, classify, caps };
}

export function hasCloudConsent(): boolean {
  return localStorage.getItem(CONSENT_KEY) === 'yes';
}

export function rememberCloudConsent() {
  localStorage.setItem(CONSENT_KEY, 'yes');
}
