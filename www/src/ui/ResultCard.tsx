import type { Answer } from '../engine/useClassifier';
import { ProbabilityBars } from './ProbabilityBars';

export function ResultCard({ answer }: { answer: Answer }) {
  const { prediction: p, engine, build, ms, reason } = answer;
  const where = engine === 'local' ? `Answered on this device (WebAssembly${build === 'relaxed-simd' ? ', relaxed SIMD' : ''})` : 'Answered by the cloud API';
  return (
    <section className="result" aria-live="polite" data-testid="result" data-class={p.class} data-engine={engine} data-build={build}>
      <h2>
        <span data-testid="result-label">{p.label}</span> <code data-testid="result-class">{p.class}</code>
      </h2>
      <p className="confidence">
        Confidence <strong data-testid="result-confidence">{(p.confidence * 100).toFixed(1)}%</strong>
      </p>
      <p className={`cancer-flag ${p.is_cancer ? 'is-cancer' : 'not-cancer'}`} data-testid="cancer-flag">
        {p.is_cancer ? 'This class is a cancer.' : 'This class is not a cancer.'}
      </p>
      {p.warnings.length > 0 && (
        <ul className="warnings" data-testid="warnings">
          {p.warnings.map((w) => (
            <li key={w.code}>⚠ {w.message}</li>
          ))}
        </ul>
      )}
      <ProbabilityBars prediction={p} />
      <p className="engine" data-testid="engine">
        {where} in {ms.toFixed(0)} ms
        — {reason}. Model {p.model.name} {p.model.version}.
      </p>
    </section>
  );
}
