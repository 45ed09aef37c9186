import { useCallback, useEffect, useRef, useState } from 'react';
import type { PatientMetadata } from 'vibe-opsy';
import { localBlocker } from '../engine/choose';
import {
  hasCloudConsent,
  loadSettings,
  rememberCloudConsent,
  saveSettings,
  useClassifier,
  type Settings,
} from '../engine/useClassifier';
import { ConsentDialog } from './ConsentDialog';
import { UpdateBanner } from './UpdateBanner';
import { WorkspaceScreen, WorkspaceSide, type WorkspaceProps } from './Workspace';
import { useWindowDrop } from './useWindowDrop';
import { useBatch } from './batch/useBatch';
import { SceneSwitch } from '../scene/SceneSwitch';

const METADATA_DEBOUNCE_MS = 350;

export function App() {
  const [settings, setSettings] = useState<Settings>(loadSettings);
  const [file, setFile] = useState<File>();
  const [previewUrl, setPreviewUrl] = useState<string>();
  const previewRef = useRef<string>(undefined);
  const [metadata, setMetadata] = useState<PatientMetadata>({});
  const [consentOpen, setConsentOpen] = useState(false);
  const consentAnswer = useRef<(yes: boolean) => void>(undefined);

  const askConsent = useCallback(() => {
    if (hasCloudConsent()) return Promise.resolve(true);
    // A question still open belongs to a superseded request: settle it (nothing is sent).
    consentAnswer.current?.(false);
    setConsentOpen(true);
    return new Promise<boolean>((resolve) => (consentAnswer.current = resolve));
  }, []);
  const answerConsent = (yes: boolean) => {
    if (yes) rememberCloudConsent();
    setConsentOpen(false);
    consentAnswer.current?.(yes);
    consentAnswer.current = undefined;
  };

  const { status, progress, warmingUp, classify, answer, caps } = useClassifier(settings, askConsent);
  const batch = useBatch(answer);

  const onFile = useCallback(
    (f: File) => {
      if (previewRef.current) URL.revokeObjectURL(previewRef.current);
      previewRef.current = URL.createObjectURL(f);
      setPreviewUrl(previewRef.current);
      setFile(f);
      void classify(f, metadata);
    },
    [classify, metadata],
  );
  const { start: startBatch, clear: clearBatch } = batch;
  const onFiles = useCallback(
    (files: File[]) => {
      if (files.length === 1) {
        clearBatch();
        onFile(files[0]);
      } else void startBatch(files, metadata);
    },
    [onFile, startBatch, clearBatch, metadata],
  );
  // Typing an age re-runs the prediction once the typing pauses, not at every keystroke (a choice in a
  // list re-runs at once); either way the worker and its loaded model stay.
  const metadataTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(metadataTimer.current), []);
  const onMetadata = (m: PatientMetadata) => {
    const typed = m.age !== metadata.age;
    setMetadata(m);
    clearTimeout(metadataTimer.current);
    if (!file) return;
    if (typed) metadataTimer.current = setTimeout(() => void classify(file, m), METADATA_DEBOUNCE_MS);
    else void classify(file, m);
  };
  const onSettings = (s: Settings) => {
    setSettings(s);
    saveSettings(s);
  };
  const dragging = useWindowDrop(onFiles);

  useEffect(() => {
    document.title = status.kind === 'done' ? `${status.answer.prediction.class} — vibe-opsy` : 'vibe-opsy';
  }, [status]);

  const workspaceProps: WorkspaceProps = {
    file,
    previewUrl,
    status,
    progress,
    dragging,
    metadata,
    settings,
    localNote: localBlocker(caps),
    onFiles,
    batch: { items: batch.items, running: batch.running, onCancel: batch.cancel, onClear: batch.clear },
    onMetadata,
    onSettings,
  };

  return (
    <>
      <header className="masthead">
        <h1>vibe-opsy</h1>
        <p>Which of seven common skin-lesion types does a dermatoscopic photo most resemble? It runs on your device.</p>
      </header>
      <main>
        <SceneSwitch
          enabled={settings.scene3d}
          dragging={dragging}
          thinking={status.kind === 'working'}
          busy={warmingUp}
          screen={<WorkspaceScreen {...workspaceProps} />}
          side={<WorkspaceSide {...workspaceProps} />}
        />
      </main>
      <footer className="disclaimer">
        <strong>Not a diagnosis — see a doctor.</strong> This is a research and education tool, not a medical device. It misses
        about 4 in 10 melanomas and will label any photo. Anything new, changing, bleeding or itching should be examined by a
        doctor, whatever this page says.
      </footer>
      <ConsentDialog open={consentOpen} onAnswer={answerConsent} />
      <UpdateBanner />
    </>
  );
}
