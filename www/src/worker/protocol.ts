// Messages between the UI thread and the classifier worker.
import type { EngineBuild, Manifest, PatientMetadata, Prediction } from 'vibe-opsy';

export type ToWorker =
  | { type: 'load' }
  | { type: 'classify'; id: number; bytes: ArrayBuffer; metadata?: PatientMetadata };

export type FromWorker =
  | { type: 'progress'; what: string; loaded: number; total?: number; attempt?: number; fromCache?: boolean; elapsedMs?: number }
  | { type: 'ready'; manifest: Manifest; loadMs: number; parseMs: number; optimizeMs: number }
  | { type: 'result'; id: number; prediction: Prediction; ms: number; build: EngineBuild; threads: number }
  | { type: 'error'; id?: number; code: string; message: string };
