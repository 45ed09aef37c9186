// The whole classifier UI: drop zone, preview, result, metadata, settings. Rendered flat (2D) or on
// the 3D Macintosh's screen.
import type { PatientMetadata } from 'vibe-opsy';
import type { ModelProgress, Settings, Status } from '../engine/useClassifier';
import { DropZone } from './DropZone';
import { MetadataForm } from './MetadataForm';
import { ModelProgressBar } from './ModelProgressBar';
import { ResultCard } from './ResultCard';
import { SettingsPanel } from './SettingsPanel';

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
  onFile: (file: File) => void;
  onMetadata: (m: PatientMetadata) => void;
  onSettings: (s: Settings) => void;
}

export function Workspace(props: WorkspaceProps) {
  const { file, previewUrl: preview, status, progress, dragging, metadata, settings } = props;
  return (
    <div className="workspace">
      <DropZone onFile={props.onFile} dragging={dragging} busy={status.kind === 'working'} />
      <ModelProgressBar progress={progress} />
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
      <MetadataForm value={metadata} onChange={props.onMetadata} />
      <SettingsPanel settings={settings} onChange={props.onSettings} localNote={props.localNote} />
    </div>
  );
}
