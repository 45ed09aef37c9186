// The whole classifier UI in two parts: the screen (drop zone, download, the answer in large type) and
// the rest (preview, full result, metadata, settings). Flat (2D) one above the other; in 3D the first
// on the Macintosh's screen and the second beside it.
import type { PatientMetadata } from 'vibe-opsy';
import type { ModelProgress, Settings, Status } from '../engine/useClassifier';
import { DropZone } from './DropZone';
import { MetadataForm } from './MetadataForm';
import { ModelProgressBar } from './ModelProgressBar';
import { ResultCard } from './ResultCard';
import { ScreenSummary } from './ScreenSummary';
import { SettingsPanel } from './SettingsPanel';
import { BatchList } from './batch/BatchList';
import type { BatchItem } from './batch/useBatch';

export interface WorkspaceProps {
  file?: File;
  /** Object URL of `file`, owned by the caller. */
  previewUrl?: string;
  status: Status;
  progress?: ModelProgress;
  dragging: boolean;
  metadata: PatientMetadata;
  settings: Settings;
  localNote?: string;
  onFiles: (files: File[]) => void;
  /** Several images at once: the list replaces the single preview and result. */
  batch?: {
    items: BatchItem[];
    running: boolean;
    onCancel: () => void;
    onClear: () => void;
  };
  onMetadata: (m: PatientMetadata) => void;
  onSettings: (s: Settings) => void;
}

/**
 * What the Mac's screen shows (and what comes first in the 2D layout): where to drop a photo, the
 * model download, and the answer in large type. On the small CRT nothing here needs scrolling.
 */
export function WorkspaceScreen(props: WorkspaceProps) {
  const { status, progress, dragging } = props;
  return (
    <div className="workspace workspace-screen">
      <DropZone onFiles={props.onFiles} dragging={dragging} busy={status.kind === 'working' || !!props.batch?.running} />
      <ModelProgressBar progress={progress} />
      <ScreenSummary status={status} batch={props.batch?.items} />
    </div>
  );
}

/**
 * Everything else (beside the Mac in 3D, below the drop zone in 2D): the preview and the full result
 * (every probability, warnings, engine), or the list of several images; the patient; settings.
 */
export function WorkspaceSide(props: WorkspaceProps) {
  const { file, previewUrl: preview, status, metadata, settings } = props;
  return (
    <div className="workspace workspace-side">
      {props.batch && props.batch.items.length > 0 ? (
        <BatchList {...props.batch} />
      ) : (
        <div className="panes">
          {preview && (
            <figure className="preview">
              <img src={preview} alt={`Preview of ${file?.name ?? 'the chosen image'}`} />
              <figcaption>{file?.name}</figcaption>
            </figure>
          )}
          <div className="outcome">
            {status.kind === 'working' && (
              <p className="working" role="status" data-testid="working">
                Classifying {status.engine === 'local' ? 'on this device' : 'in the cloud'}…
              </p>
            )}
            {status.kind === 'error' && (
              <p className="error" role="alert" data-testid="error" data-code={status.code}>
                {status.message}
              </p>
            )}
            {status.kind === 'done' && <ResultCard answer={status.answer} />}
          </div>
        </div>
      )}
      <MetadataForm value={metadata} onChange={props.onMetadata} />
      <SettingsPanel settings={settings} onChange={props.onSettings} localNote={props.localNote} />
    </div>
  );
}
