// The UI's single entry point for classification: the worker bridge, the cloud client and the
// flow between them (ClassificationRunner), as React state.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { PatientMetadata } from 'vibe-opsy';
import { ClassificationRunner, type Status } from './classificationRunner';
import { detectCapabilities, type EnginePreference } from './choose';
import { classifyInCloud } from './cloud';
import { WorkerBridge } from './workerBridge';

export type { Answer, Status } from './classificationRunner';

export interface ModelProgress {
  loaded: number;
  total?: number;
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
  return { status, progress, classify, cancel, caps };
}

export function hasCloudConsent(): boolean {
  return localStorage.getItem(CONSENT_KEY) === 'yes';
}

export function rememberCloudConsent() {
  localStorage.setItem(CONSENT_KEY, 'yes');
}
