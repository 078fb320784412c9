import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import type { GateResult } from '../../api/types';
import { CHART_COLORS, ChartFigure } from '../../components/charts/ChartFigure';

/** A training run's gates: each value (green passed, red failed) beside its threshold. */
export function GateChart({ gates }: { gates: GateResult[] }) {
  const rows = gates.map((gate) => ({
    gate: gate.name,
    // The value in the series that says passed or failed, so its colour does too.
    passed: gate.passed ? (gate.value ?? 0) : null,
    failed: gate.passed ? null : (gate.value ?? 0),
    threshold: gate.threshold,
  }));
  const failed = gates.filter((gate) => !gate.passed).map((gate) => gate.name);
  const summary =
    `${gates.length - failed.length} of ${gates.length} gates passed` +
    (failed.length ? `; failed: ${failed.join(', ')}` : '') +
    '. ' +
    gates
      .map(
        (gate) =>
          `${gate.name} ${gate.value === null ? 'no value' : gate.value.toFixed(3)} against ${gate.threshold}`,
      )
      .join('; ');
  return (
    <ChartFigure
      title="Gates: value against threshold"
      summary={summary}
      height={Math.max(160, 44 * rows.length + 60)}
    >
      <BarChart data={rows} layout="vertical" margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          type="number"
          label={{
            value: 'metric value (share, unless the gate says)',
            position: 'insideBottom',
            offset: -16,
          }}
        />
        <YAxis type="category" dataKey="gate" width={150} />
        <Tooltip />
        <Legend wrapperStyle={{ paddingTop: 24 }} />
        <Bar
          dataKey="passed"
          name="value, passed"
          stackId="value"
          fill={CHART_COLORS.ok}
          isAnimationActive={false}
        />
        <Bar
          dataKey="failed"
          name="value, failed"
          stackId="value"
          fill={CHART_COLORS.fail}
          isAnimationActive={false}
        />
        <Bar
          dataKey="threshold"
          name="threshold"
          fill={CHART_COLORS.reference}
          isAnimationActive={false}
        />
      </BarChart>
    </ChartFigure>
  );
}
