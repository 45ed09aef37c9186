// The answer in a few large lines, for the Macintosh's small screen (the full result is beside it).
// Shown only on the 3D screen: the 2D layout has the full result right below.
import type { Status } from '../engine/useClassifier';
import type { BatchItem } from './batch/useBatch';

export function ScreenSummary({ status, batch }: { status: Status; batch?: BatchItem[] }) {
  if (batch && batch.length > 0) {
    const done = batch.filter((i) => i.state === 'done' || i.state === 'error').length;
    return (
      <div className="screen-summary" aria-hidden="true">
        <p className="screen-line">
          {done} / {batch.length} images — the list is beside the Mac
        </p>
      </div>
    );
  }
  // aria-hidden: the same facts are in the full result, which screen readers read once.
  switch (status.kind) {
    case 'working':
      return (
        <div className="screen-summary" aria-hidden="true">
          <p className="screen-line">Classifying {status.engine === 'local' ? 'on this device' : 'in the cloud'}…</p>
        </div>
      );
    case 'error':
      return (
        <div className="screen-summary screen-error" aria-hidden="true">
          <p className="screen-line">⚠ {status.message}</p>
        </div>
      );
    case 'done': {
      const p = status.answer.prediction;
      if (!p.in_domain) {
        return (
          <div className="screen-summary screen-out-of-domain" aria-hidden="true">
            <p className="screen-headline">Not a skin-lesion photo</p>
            <p className="screen-line">The model was not made for this image: no answer.</p>
          </div>
        );
      }
      const unsure = p.warnings.some((w) => w.code === 'low_confidence');
      return (
        <div className="screen-summary" aria-hidden="true">
          <p className="screen-headline">
            {p.label} <code>{p.class}</code>
          </p>
          <p className="screen-line">
            {(p.confidence * 100).toFixed(1)}% likely{unsure ? ' — unsure' : ''}
          </p>
          <p className={`screen-line ${p.is_cancer ? 'screen-cancer' : ''}`}>
            Cancer class: {p.is_cancer ? 'yes' : 'no'} ({(p.cancer_probability * 100).toFixed(1)}% for cancers)
          </p>
          <p className="screen-note">Not a diagnosis — details beside the Mac</p>
        </div>
      );
    }
    default:
      return null;
  }
}
