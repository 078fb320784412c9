import { percent } from '../lib/format';

/** Each label's probability as a bar plus its number (the bar is decoration only). */
export function ProbabilityBars({
  probabilities,
  predicted,
}: {
  probabilities: Record<string, number>;
  predicted: string;
}) {
  const rows = Object.entries(probabilities).sort(([, a], [, b]) => b - a);
  return (
    <ul className="bars" aria-label="Probabilities">
      {rows.map(([label, value]) => (
        <li key={label} className={label === predicted ? 'bar bar-top' : 'bar'}>
          <span className="bar-label">{label}</span>
          <span className="bar-track" aria-hidden="true">
            <span
              className="bar-fill"
              style={{ width: `${Math.max(0, Math.min(1, value)) * 100}%` }}
            />
          </span>
          <span className="bar-value">{percent(value)}</span>
        </li>
      ))}
    </ul>
  );
}
