// The whole classifier UI: drop zone, preview, result, metadata, settings. Rendered flat (2D) or on
// the 3D Macintosh's screen.
import type { PatientMetadata } from 'vibe-opsy';
import type { ModelProgress, Settings, Status } from '../engine/useClassifier';
import { DropZone } from './DropZone';
import { MetadataForm } from './MetadataForm';
import { ModelProgressBar } from './ModelProgressBar';
import { ResultCard } from './ResultCard';
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

export function Workspace(props: WorkspaceProps) {
  const { file, previewUrl: preview, status, progress, dragging, metadata, settings } = props;
  return (
    <div className="workspace">
      <DropZone onFiles={props.onFiles} dragging={dragging} busy={status.kind === 'working' || !!props.batch?.running} />
      <ModelProgressBar progress={progress} />
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
