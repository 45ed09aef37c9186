import type { Prediction } from 'vibe-opsy';
import { manifest } from './manifest';

export function ProbabilityBars({ prediction }: { prediction: Prediction }) {
  return (
    <ul className="bars" aria-label="Probability of each class">
      {manifest.classes.map((c) => {
        const p = prediction.probabilities[c.code] ?? 0;
        const percent = (p * 100).toFixed(1);
        return (
          <li key={c.code} className={c.code === prediction.class ? 'top' : undefined} data-testid={`bar-${c.code}`}>
            <span className="bar-label">
              <abbr title={c.label}>{c.code}</abbr> {c.label}
              {c.malignant && <span className="malignant-tag"> cancer class</span>}
            </span>
            <span className="bar-track" aria-hidden="true">
              <span className={`bar-fill${c.malignant ? ' malignant' : ''}`} style={{ width: `${Math.max(p * 100, 0.5)}%` }} />
            </span>
            <span className="bar-value" data-testid={`prob-${c.code}`}>
              {percent}%
            </span>
          </li>
        );
      })}
    </ul>
  );
}
