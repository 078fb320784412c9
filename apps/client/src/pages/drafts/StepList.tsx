import type { StepView } from './draftStream';
import { summarize } from './summary';

const STATE_BADGE: Record<StepView['state'], { className: string; text: string }> = {
  running: { className: 'badge badge-run', text: 'running' },
  ok: { className: 'badge badge-ok', text: 'ok' },
  error: { className: 'badge badge-fail', text: 'error' },
};

/** The steps of a draft (tool calls, and model calls in a stored trace), in order. */
export function StepList({ steps, label = 'Tool steps' }: { steps: StepView[]; label?: string }) {
  if (steps.length === 0) return <p className="muted small">No tool steps yet.</p>;
  return (
    <ol className="steps" aria-label={label}>
      {steps.map((step) => {
        const badge = STATE_BADGE[step.state];
        return (
          <li key={`${step.kind}-${step.index}`} className="step">
            <div>
              <code>{step.name}</code>{' '}
              {step.kind === 'model' ? <span className="muted small">(model) </span> : null}
              <span className={badge.className}>{badge.text}</span>
              {step.durationMs !== null ? (
                <span className="muted small">{Math.round(step.durationMs)} ms</span>
              ) : null}
            </div>
            {step.state === 'error' ? (
              <div className="small">{step.error ?? 'failed'}</div>
            ) : step.state === 'ok' ? (
              <div className="small">{summarize(step.result)}</div>
            ) : null}
            <details className="small">
              <summary>Arguments and result</summary>
              <pre>
                {JSON.stringify({ arguments: step.arguments, result: step.result }, null, 2)}
              </pre>
            </details>
          </li>
        );
      })}
    </ol>
  );
}
