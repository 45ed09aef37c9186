// The batch list as files to download: JSON (one object per file: the CLI's `classify --json` line,
// the Prediction plus `file`, or `{file, error: {code, message}}`) and CSV (one row per file).
import type { Prediction } from 'vibe-opsy';

export interface BatchOutcome {
  file: string;
  prediction?: Prediction;
  error?: { code: string; message: string };
}

export function batchJson(items: BatchOutcome[]): string {
  const rows = items.map((i) => (i.prediction ? { ...i.prediction, file: i.file } : { error: i.error, file: i.file }));
  return JSON.stringify(rows, null, 2) + '\n';
}

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `classes`: class codes in the manifest's order (one probability column each). */
export function batchCsv(items: BatchOutcome[], classes: string[]): string {
  const header = [
    'file',
    'class',
    'label',
    'confidence',
    'is_cancer',
    'cancer_probability',
    'in_domain',
    ...classes.map((c) => `p_${c}`),
    'warnings',
    'error_code',
    'error_message',
  ];
  const lines = [header.join(',')];
  for (const i of items) {
    const p = i.prediction;
    // Out of domain, no class is an answer: the class columns stay empty, the probabilities are kept.
    const answer = p && p.in_domain;
    lines.push(
      [
        i.file,
        answer ? p.class : '',
        answer ? p.label : '',
        answer ? p.confidence : '',
        answer ? p.is_cancer : '',
        p?.cancer_probability,
        p?.in_domain,
        ...classes.map((c) => p?.probabilities[c]),
        p?.warnings.map((w) => w.code).join(' '),
        i.error?.code,
        i.error?.message,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
