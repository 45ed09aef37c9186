import { useState } from 'react';
import type { Answer } from '../engine/useClassifier';
import { ProbabilityBars } from './ProbabilityBars';
import { CancerProbability } from './CancerProbability';

function buildLabel(build: Answer['build'], threads = 1): string {
  if (build === 'threads') return `, relaxed SIMD, ${threads} threads`;
  if (build === 'relaxed-simd') return ', relaxed SIMD';
  return '';
}

export function ResultCard({ answer }: { answer: Answer }) {
  const { prediction: p, engine, build, threads, ms, reason } = answer;
  const where = engine === 'local' ? `Answered on this device (WebAssembly${buildLabel(build, threads)})` : 'Answered by the cloud API';
  return (
    <section
      className={`result${p.in_domain ? '' : ' out-of-domain'}`}
      aria-live="polite"
      data-testid="result"
      data-class={p.in_domain ? p.class : undefined}
      data-in-domain={String(p.in_domain)}
      data-engine={engine}
      data-build={build}
      data-threads={engine === 'local' ? threads : undefined}
    >
      {p.in_domain ? <Verdict answer={answer} /> : <NotALesion answer={answer} />}
      <p className="engine" data-testid="engine">
        {where} in {ms.toFixed(0)} ms
        — {reason}. Model {p.model.name} {p.model.version}.
      </p>
    </section>
  );
}

function Warnings({ answer }: { answer: Answer }) {
  const { warnings } = answer.prediction;
  if (warnings.length === 0) return null;
  return (
    <ul className="warnings" data-testid="warnings">
      {warnings.map((w) => (
        <li key={w.code} data-code={w.code}>
          ⚠ {w.message}
        </li>
      ))}
    </ul>
  );
}

/** An image the model was made for: the class, how sure, and the chance that it is a cancer class. */
function Verdict({ answer }: { answer: Answer }) {
  const p = answer.prediction;
  return (
    <>
      <h2>
        <span data-testid="result-label">{p.label}</span> <code data-testid="result-class">{p.class}</code>
      </h2>
      <p className="confidence">
        Confidence <strong data-testid="result-confidence">{(p.confidence * 100).toFixed(1)}%</strong>
      </p>
      <CancerProbability prediction={p} />
      <Warnings answer={answer} />
      <ProbabilityBars prediction={p} />
    </>
  );
}

/** Not a dermatoscopic photo: no class headline, no cancer flag; the numbers only on request. */
function NotALesion({ answer }: { answer: Answer }) {
  const p = answer.prediction;
  const [shown, setShown] = useState(false);
  return (
    <>
      <h2 data-testid="not-a-lesion">This does not look like a dermatoscopic photo of a skin lesion</h2>
      <p className="not-a-lesion-help">
        The model was made only for close-up (dermatoscopic) colour photos of a single skin lesion. It gives every
        picture a class, so on this one its answer would mean nothing. Try a sharp close-up of the lesion, filling
        most of the frame.
      </p>
      <Warnings answer={answer} />
      <button type="button" className="show-anyway" aria-expanded={shown} data-testid="show-anyway" onClick={() => setShown(!shown)}>
        {shown ? 'Hide the probabilities' : 'Show the probabilities anyway'}
      </button>
      {shown && (
        <div data-testid="out-of-domain-details">
          <p className="not-meaningful">Not meaningful for this image — shown for curiosity only.</p>
          <ProbabilityBars prediction={p} />
        </div>
      )}
    </>
  );
}
