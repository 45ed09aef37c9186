import { useEffect, useRef } from 'react';

/** Asked the first time an image would leave the device. */
export function ConsentDialog({ open, onAnswer }: { open: boolean; onAnswer: (yes: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={dialog} className="consent" aria-labelledby="consent-title" onCancel={() => onAnswer(false)} data-testid="consent">
      <h2 id="consent-title">Send this image to the cloud?</h2>
      <p>
        This device cannot run the classifier itself, or you chose the cloud engine. The image will be uploaded to the vibe-opsy
        API, classified in memory and not stored.
      </p>
      <div className="actions">
        <button type="button" onClick={() => onAnswer(false)}>
          Keep it on this device
        </button>
        <button type="button" className="primary" onClick={() => onAnswer(true)} data-testid="consent-yes">
          Send it
        </button>
      </div>
    </dialog>
  );
}
