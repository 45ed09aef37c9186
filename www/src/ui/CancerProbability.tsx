import type { Prediction } from 'vibe-opsy';
import { manifest } from './manifest';

/** The summed probability of the cancer classes, rather than a bare yes/no, with the caveat when unsure. */
export function CancerProbability({ prediction: p }: { prediction: Prediction }) {
  const percent = (p.cancer_probability * 100).toFixed(1);
  const cancerCodes = manifest.classes.filter((c) => c.malignant).map((c) => c.code).join(', ');
  const unsure = p.warnings.some((w) => w.code === 'low_confidence');
  const level = p.cancer_probability >= 0.5 ? 'is-cancer' : p.cancer_probability >= 0.2 ? 'maybe-cancer' : 'not-cancer';
  return (
    <p className={`cancer-flag ${level}`} data-testid="cancer-flag" data-cancer-class={String(p.is_cancer)}>
      Probability of a cancer class ({cancerCodes}): <strong data-testid="cancer-probability">{percent}%</strong>.{' '}
      {p.is_cancer ? 'The most likely class is a cancer.' : 'The most likely class is not a cancer.'}
      {unsure && <> The model is unsure about this image: do not read the class alone.</>}
    </p>
  );
}
