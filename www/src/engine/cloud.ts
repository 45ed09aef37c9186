// The cloud fallback: POST /inference on the API server (same origin by default).
import type { PatientMetadata, Prediction } from 'vibe-opsy';
import { EngineError } from './errors';

export async function classifyInCloud(
  apiBase: string,
  file: Blob,
  metadata: PatientMetadata | undefined,
  signal?: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<{ prediction: Prediction; ms: number }> {
  const form = new FormData();
  form.append('file', file, 'image');
  if (metadata?.age !== undefined) form.append('age', String(metadata.age));
  if (metadata?.sex) form.append('sex', metadata.sex);
  if (metadata?.site) form.append('site', metadata.site);
  const started = performance.now();
  let response: Response;
  try {
    response = await fetchImpl(`${apiBase.replace(/\/$/, '')}/inference`, { method: 'POST', body: form, signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new EngineError('the cloud service cannot be reached (offline?)', 'cloud_unreachable');
  }
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = body?.error;
    throw new EngineError(error?.message ?? `the cloud service answered ${response.status}`, error?.code ?? `http_${response.status}`);
  }
  return { prediction: body as Prediction, ms: performance.now() - started };
}
