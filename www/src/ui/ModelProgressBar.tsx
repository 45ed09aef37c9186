import type { ModelProgress } from '../engine/useClassifier';

const mb = (n: number) => (n / 1e6).toFixed(1);

/** Time left at the rate of this try so far, once there is a rate to go by. */
function timeLeft(p: ModelProgress): string | undefined {
  const seconds = p.elapsedMs / 1000;
  if (!p.total || p.loaded <= 0 || seconds < 0.5) return undefined;
  const left = ((p.total - p.loaded) / p.loaded) * seconds;
  return left < 1 ? 'less than a second left' : left < 90 ? `${Math.ceil(left)} s left` : `${Math.ceil(left / 60)} min left`;
}

export function ModelProgressBar({ progress }: { progress?: ModelProgress }) {
  if (!progress || progress.fromCache || (progress.total !== undefined && progress.loaded >= progress.total)) return null;
  const left = timeLeft(progress);
  return (
    <div className="model-progress" data-testid="model-progress" data-attempt={progress.attempt}>
      <label htmlFor="model-progress">
        Downloading the model {mb(progress.loaded)}
        {progress.total ? ` / ${mb(progress.total)}` : ''} MB{left ? ` · ${left}` : ''} (once; then it works offline)
        {progress.attempt > 0 && <> — the connection dropped, trying again ({progress.attempt})</>}
      </label>
      <progress id="model-progress" max={progress.total ?? undefined} value={progress.loaded} />
    </div>
  );
}
