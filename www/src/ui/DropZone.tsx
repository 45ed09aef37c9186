import { useRef, type KeyboardEvent } from 'react';

export function DropZone({ onFiles, dragging, busy }: { onFiles: (files: File[]) => void; dragging: boolean; busy: boolean }) {
  const picker = useRef<HTMLInputElement>(null);
  const camera = useRef<HTMLInputElement>(null);
  const open = () => picker.current?.click();
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open();
    }
  };
  const take = (input: HTMLInputElement | null) => {
    const files = Array.from(input?.files ?? []);
    if (files.length > 0) onFiles(files);
    if (input) input.value = '';
  };
  return (
    <div className="dropzone-wrap">
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        role="button"
        tabIndex={0}
        aria-busy={busy}
        data-testid="dropzone"
        onClick={open}
        onKeyDown={onKey}
      >
        <strong>Drop a dermatoscopic photo</strong>
        <span>anywhere on the page, paste it, or press Enter to choose a file (several at once make a list)</span>
      </div>
      <div className="pickers">
        <button type="button" onClick={open}>
          Choose file…
        </button>
        <button type="button" onClick={() => camera.current?.click()}>
          Take photo
        </button>
      </div>
      <input ref={picker} type="file" accept="image/*" multiple hidden data-testid="file-input" onChange={(e) => take(e.currentTarget)} />
      <input ref={camera} type="file" accept="image/*" capture="environment" hidden onChange={(e) => take(e.currentTarget)} />
    </div>
  );
}
