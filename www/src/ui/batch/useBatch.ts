// Several files at once: a list classified one after another (on this device unless the person chose
// the cloud), with progress, cancel, and each item's answer or error.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { PatientMetadata } from 'vibe-opsy';
import type { Answer } from '../../engine/classificationRunner';
import { isAbort } from '../../engine/errors';

export interface BatchItem {
  id: number;
  file: File;
  thumbUrl: string;
  state: 'queued' | 'working' | 'done' | 'error' | 'cancelled';
  answer?: Answer;
  error?: { code: string; message: string };
}

type AnswerFn = (file: Blob, metadata: PatientMetadata | undefined, signal: AbortSignal) => Promise<Answer>;

export function useBatch(answer: AnswerFn) {
  const [items, setItems] = useState<BatchItem[]>([]);
  const [running, setRunning] = useState(false);
  const run = useRef<AbortController | undefined>(undefined);
  const urls = useRef<string[]>([]);

  const revoke = () => {
    for (const u of urls.current) URL.revokeObjectURL(u);
    urls.current = [];
  };
  useEffect(() => () => revoke(), []);

  const update = (id: number, patch: Partial<BatchItem>) =>
    setItems((list) => list.map((item) => (item.id === id ? { ...item, ...patch } : item)));

  const start = useCallback(
    async (files: File[], metadata: PatientMetadata) => {
      run.current?.abort();
      revoke();
      const controller = new AbortController();
      run.current = controller;
      const list: BatchItem[] = files.map((file, id) => {
        const thumbUrl = URL.createObjectURL(file);
        urls.current.push(thumbUrl);
        return { id, file, thumbUrl, state: 'queued' };
      });
      setItems(list);
      setRunning(true);
      for (const item of list) {
        if (controller.signal.aborted) break;
        update(item.id, { state: 'working' });
        try {
          const a = await answer(item.file, metadata, controller.signal);
          if (controller.signal.aborted) break;
          update(item.id, { state: 'done', answer: a });
        } catch (e) {
          if (isAbort(e) || controller.signal.aborted) break;
          const err = e as { code?: string; message?: string };
          update(item.id, {
            state: 'error',
            error: {
              code: err.code ?? 'unknown',
              message: err.message ?? String(e),
            },
          });
        }
      }
      if (controller.signal.aborted) {
        setItems((all) => all.map((i) => (i.state === 'queued' || i.state === 'working' ? { ...i, state: 'cancelled' } : i)));
      }
      if (run.current === controller) setRunning(false);
    },
    [answer],
  );

  /** Stops after the image being classified (its result is dropped); the rest stays unclassified. */
  const cancel = useCallback(() => {
    run.current?.abort();
    setRunning(false);
  }, []);

  const clear = useCallback(() => {
    run.current?.abort();
    revoke();
    setItems([]);
    setRunning(false);
  }, []);

  return { items, running, start, cancel, clear };
}
