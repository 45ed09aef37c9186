import { manifest } from '../manifest';
import { batchCsv, batchJson, type BatchOutcome } from './batchExport';
import type { BatchItem } from './useBatch';

function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function outcomes(items: BatchItem[]): BatchOutcome[] {
  return items
    .filter((i) => i.state === 'done' || i.state === 'error')
    .map((i) => ({
      file: i.file.name,
      prediction: i.answer?.prediction,
      error: i.error,
    }));
}

/** Several images: one row each, with a thumbnail, its answer or error, and its warnings. */
export function BatchList({
  items,
  running,
  onCancel,
  onClear,
}: {
  items: BatchItem[];
  running: boolean;
  onCancel: () => void;
  onClear: () => void;
}) {
  const finished = items.filter((i) => i.state === 'done' || i.state === 'error').length;
  const codes = manifest.classes.map((c) => c.code);
  return (
    <section className="batch" data-testid="batch" aria-label="Results for several images">
      <header className="batch-head">
        <progress max={items.length} value={finished} aria-label="Images classified" />
        <span data-testid="batch-progress">
          {finished} / {items.length} classified{running ? '…' : ''}
        </span>
        {running ? (
          <button type="button" onClick={onCancel} data-testid="batch-cancel">
            Cancel
          </button>
        ) : (
          <>
            <button
              type="button"
              data-testid="batch-csv"
              onClick={() => download('vibe-opsy-results.csv', 'text/csv', batchCsv(outcomes(items), codes))}
            >
              Export CSV
            </button>
            <button
              type="button"
              data-testid="batch-json"
              onClick={() => download('vibe-opsy-results.json', 'application/json', batchJson(outcomes(items)))}
            >
              Export JSON
            </button>
            <button type="button" onClick={onClear}>
              Clear
            </button>
          </>
        )}
      </header>
      <ol className="batch-list">
        {items.map((item) => {
          const p = item.answer?.prediction;
          return (
            <li
              key={item.id}
              className={`batch-item ${item.state}`}
              data-testid="batch-item"
              data-state={item.state}
              data-file={item.file.name}
            >
              <img src={item.thumbUrl} alt="" width={48} height={48} />
              <span className="batch-name">{item.file.name}</span>
              <span className="batch-answer">
                {item.state === 'queued' && 'waiting'}
                {item.state === 'working' && 'classifying…'}
                {item.state === 'cancelled' && 'not classified (cancelled)'}
                {item.state === 'error' && (
                  <span role="alert" data-testid="batch-error" data-code={item.error?.code}>
                    {item.error?.message}
                  </span>
                )}
                {p && p.in_domain && (
                  <>
                    <strong data-testid="batch-class">{p.class}</strong> {p.label} {(p.confidence * 100).toFixed(1)}% · cancer
                    classes {(p.cancer_probability * 100).toFixed(1)}%
                  </>
                )}
                {p && !p.in_domain && <span data-testid="batch-not-a-lesion">not a dermatoscopic photo: no answer</span>}
                {p && p.warnings.length > 0 && (
                  <span className="batch-warnings"> ({p.warnings.map((w) => w.code.replace(/_/g, ' ')).join(', ')})</span>
                )}
                {item.answer && (
                  <span className="batch-engine"> · {item.answer.engine === 'local' ? 'on this device' : 'cloud'}</span>
                )}
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
