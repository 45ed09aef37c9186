// Messages between the UI thread and the classifier worker.
import type { EngineBuild, Manifest, PatientMetadata, Prediction } from 'vibe-opsy';

export type ToWorker =
  /** `threads: 1`: the single-threaded build (no pool of workers to create). */
  | { type: 'load'; threads?: 1 }
  | { type: 'classify'; id: number; bytes: ArrayBuffer; metadata?: PatientMetadata };

export type FromWorker =
  | { type: 'progress'; what: string; loaded: number; total?: number; attempt?: number; fromCache?: boolean; elapsedMs?: number }
  /** The threaded engine is about to create its pool's workers, or has: see `ClassifierOptions.onStage`. */
  | { type: 'stage'; stage: 'pool-starting' | 'pool-requested' }
  | { type: 'ready'; manifest: Manifest; loadMs: number; parseMs: number; optimizeMs: number }
  | { type: 'result'; id: number; prediction: Prediction; ms: number; build: EngineBuild; threads: number }
  | { type: 'error'; id?: number; code: string; message: string };
