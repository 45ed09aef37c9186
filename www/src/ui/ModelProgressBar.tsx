import type { ModelProgress } from '../engine/useClassifier';

export function ModelProgressBar({ progress }: { progress?: ModelProgress }) {
  if (!progress || (progress.total !== undefined && progress.loaded >= progress.total)) return null;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return (
    <div className="model-progress">
      <label htmlFor="model-progress">
        Downloading the model {mb(progress.loaded)}
        {progress.total ? ` / ${mb(progress.total)}` : ''} MB (once; then it works offline)
      </label>
      <progress id="model-progress" max={progress.total ?? undefined} value={progress.loaded} />
    </div>
  );
}
