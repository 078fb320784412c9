/**
 * The monitoring answers drawn: drift per feature, the reliability diagram, quality over
 * windows with its intervals, traffic (rate, latency percentiles, who answered). Each
 * chart has axes with units and a sentence saying what it shows (ChartFigure).
 */
import {
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  ErrorBar,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  Scatter,
  Tooltip,
  XAxis,
  YAxis,
  Area,
  AreaChart,
} from 'recharts';
import type { Calibration, FeatureDrift, QualityHistory, Traffic } from '../../api/types';
import {
  CHART_COLORS,
  ChartFigure,
  clock,
  clockLabel,
  SEVERITIES,
  severityColor,
} from '../../components/charts/ChartFigure';
import { formatNumber } from './format';

/** PSI of each feature, coloured by severity: how far its distribution moved. */
export function DriftChart({ features }: { features: FeatureDrift[] }) {
  // One bar per feature, in the series of its severity (so its colour says the verdict).
  const rows = features.map((f) => ({
    feature: f.feature,
    ...Object.fromEntries(SEVERITIES.map((s) => [s, f.severity === s ? (f.psi ?? 0) : null])),
  }));
  const shown = SEVERITIES.filter((s) => features.some((f) => f.severity === s));
  const worst = [...features].sort((a, b) => (b.psi ?? 0) - (a.psi ?? 0))[0];
  const summary = worst
    ? `Population stability index by feature. Highest: ${worst.feature}, PSI ${formatNumber(
        worst.psi,
      )}, severity ${worst.severity}. ` +
      features.map((f) => `${f.feature} ${formatNumber(f.psi)} (${f.severity})`).join('; ')
    : 'No features.';
  return (
    <ChartFigure title="Drift by feature (PSI; 0.1 moderate, 0.25 major)" summary={summary}>
      <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          dataKey="feature"
          label={{ value: 'feature', position: 'insideBottom', offset: -16 }}
        />
        <YAxis label={{ value: 'PSI (unitless)', angle: -90, position: 'insideLeft' }} />
        <Tooltip />
        <ReferenceLine y={0.1} stroke={CHART_COLORS.wait} strokeDasharray="4 4" />
        <ReferenceLine y={0.25} stroke={CHART_COLORS.fail} strokeDasharray="4 4" />
        {shown.map((severity) => (
          <Bar
            key={severity}
            dataKey={severity}
            name={`PSI, ${severity.replace('_', ' ')}`}
            stackId="psi"
            fill={severityColor(severity)}
            isAnimationActive={false}
          />
        ))}
      </BarChart>
    </ChartFigure>
  );
}

/** Reliability diagram: accuracy against confidence per bin, with the perfect diagonal. */
export function ReliabilityChart({ calibration }: { calibration: Calibration }) {
  const points = calibration.bins
    .filter((bin) => bin.confidence !== null && bin.accuracy !== null && bin.count > 0)
    .map((bin) => ({ confidence: bin.confidence, accuracy: bin.accuracy, count: bin.count }));
  const summary =
    `Reliability diagram, expected calibration error ${formatNumber(
      calibration.expected_calibration_error,
    )}. ` +
    points
      .map(
        (p) =>
          `confidence ${formatNumber(p.confidence)}: accuracy ${formatNumber(p.accuracy)} (${p.count} predictions)`,
      )
      .join('; ');
  return (
    <ChartFigure title="Reliability diagram (diagonal: perfectly calibrated)" summary={summary}>
      <ComposedChart data={points} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          type="number"
          dataKey="confidence"
          domain={[0, 1]}
          label={{ value: 'mean confidence (share)', position: 'insideBottom', offset: -16 }}
        />
        <YAxis
          type="number"
          domain={[0, 1]}
          label={{ value: 'accuracy (share)', angle: -90, position: 'insideLeft' }}
        />
        <Tooltip />
        <ReferenceLine
          segment={[
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ]}
          stroke={CHART_COLORS.reference}
          strokeDasharray="4 4"
          ifOverflow="extendDomain"
        />
        <Line
          dataKey="accuracy"
          name="accuracy"
          stroke={CHART_COLORS.champion}
          isAnimationActive={false}
        />
        <Scatter dataKey="accuracy" fill={CHART_COLORS.champion} isAnimationActive={false} />
      </ComposedChart>
    </ChartFigure>
  );
}

const QUALITY_METRICS = ['accuracy', 'precision', 'recall'] as const;

/** Quality from feedback over successive windows, each point with its interval. */
export function QualityHistoryChart({ history }: { history: QualityHistory }) {
  const rows = history.points.map((point) => {
    const row: Record<string, unknown> = { time: point.window_end, labelled: point.labelled };
    for (const metric of QUALITY_METRICS) {
      const interval = point[metric];
      row[metric] = interval?.value ?? null;
      row[`${metric}Error`] =
        interval && interval.low !== null && interval.high !== null
          ? [interval.value - interval.low, interval.high - interval.value]
          : [0, 0];
    }
    return row;
  });
  const last = history.points.at(-1);
  const level = Math.round(history.confidence_level * 100);
  const summary = last
    ? `Quality of version ${history.version} over ${history.points.length} windows, with ${level} % intervals. Latest: accuracy ${formatNumber(
        last.accuracy?.value,
      )}, precision ${formatNumber(last.precision?.value)}, recall ${formatNumber(
        last.recall?.value,
      )} from ${last.labelled} labelled predictions${last.below_gate ? ', below a gate' : ''}.`
    : `No quality check of version ${history.version} is stored yet.`;
  const colors = [CHART_COLORS.champion, CHART_COLORS.challenger, CHART_COLORS.ok];
  if (history.points.length === 0) return <p className="muted">{summary}</p>;
  return (
    <ChartFigure title={`Quality over windows (${level} % intervals)`} summary={summary}>
      <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          dataKey="time"
          tickFormatter={clock}
          label={{ value: 'window end (time)', position: 'insideBottom', offset: -16 }}
        />
        <YAxis domain={[0, 1]} label={{ value: 'share', angle: -90, position: 'insideLeft' }} />
        <Tooltip labelFormatter={clockLabel} />
        <Legend wrapperStyle={{ paddingTop: 24 }} />
        {QUALITY_METRICS.flatMap((metric) =>
          history.gates[metric] === undefined
            ? []
            : [
                <ReferenceLine
                  key={`${metric}-gate`}
                  y={history.gates[metric]}
                  stroke={CHART_COLORS.fail}
                  strokeDasharray="4 4"
                  label={{ value: `${metric} gate`, position: 'insideBottomRight', fontSize: 11 }}
                />,
              ],
        )}
        {QUALITY_METRICS.map((metric, index) => (
          <Line
            key={metric}
            dataKey={metric}
            name={metric}
            stroke={colors[index]}
            isAnimationActive={false}
            connectNulls
          >
            <ErrorBar dataKey={`${metric}Error`} width={4} stroke={colors[index]} />
          </Line>
        ))}
      </LineChart>
    </ChartFigure>
  );
}

/** Answers per minute, stacked by version (who answered), over the window. */
export function TrafficChart({ traffic, roles }: { traffic: Traffic; roles: Map<number, string> }) {
  const versions = [...new Set(traffic.steps.flatMap((s) => s.versions.map((v) => v.version)))];
  const perMinute = 60 / traffic.step_s;
  const rows = traffic.steps.map((step) => {
    const row: Record<string, number | string> = { time: step.start };
    for (const version of versions) {
      const count = step.versions.find((v) => v.version === version)?.predictions ?? 0;
      row[`v${version}`] = Number((count * perMinute).toFixed(2));
    }
    return row;
  });
  const total = traffic.steps.reduce((sum, s) => sum + s.predictions, 0);
  const shares = versions
    .map((version) => {
      const count = traffic.steps.reduce(
        (sum, s) => sum + (s.versions.find((v) => v.version === version)?.predictions ?? 0),
        0,
      );
      return `version ${version}${roles.has(version) ? ` (${roles.get(version)})` : ''} ${Math.round((count / Math.max(total, 1)) * 100)} %`;
    })
    .join(', ');
  const summary = `${total} predictions answered in the window, peak ${formatNumber(
    Math.max(0, ...traffic.steps.map((s) => s.per_minute)),
  )} per minute${shares ? `; share: ${shares}` : ''}.`;
  const name = (version: number) =>
    `v${version}${roles.has(version) ? ` ${roles.get(version)}` : ''}`;
  return (
    <ChartFigure title="Predictions per minute, by version" summary={summary}>
      <AreaChart data={rows} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          dataKey="time"
          tickFormatter={clock}
          minTickGap={24}
          label={{ value: 'time', position: 'insideBottom', offset: -16 }}
        />
        <YAxis
          allowDecimals={false}
          label={{ value: 'predictions / min', angle: -90, position: 'insideLeft' }}
        />
        <Tooltip labelFormatter={clockLabel} />
        <Legend wrapperStyle={{ paddingTop: 24 }} />
        {versions.map((version) => (
          <Area
            key={version}
            type="stepAfter"
            dataKey={`v${version}`}
            name={name(version)}
            stackId="versions"
            stroke={
              roles.get(version) === 'challenger' ? CHART_COLORS.challenger : CHART_COLORS.champion
            }
            fill={
              roles.get(version) === 'challenger' ? CHART_COLORS.challenger : CHART_COLORS.champion
            }
            fillOpacity={0.35}
            isAnimationActive={false}
          />
        ))}
      </AreaChart>
    </ChartFigure>
  );
}

/** Latency percentiles per step, in milliseconds. */
export function LatencyChart({ traffic }: { traffic: Traffic }) {
  const rows = traffic.steps.map((step) => ({
    time: step.start,
    p50: step.latency_ms?.p50 ?? null,
    p95: step.latency_ms?.p95 ?? null,
    p99: step.latency_ms?.p99 ?? null,
  }));
  const p99s = traffic.steps.flatMap((s) => (s.latency_ms ? [s.latency_ms.p99] : []));
  const summary = p99s.length
    ? `Latency percentiles per ${traffic.step_s} s step; the highest p99 is ${formatNumber(Math.max(...p99s))} ms.`
    : 'No predictions in the window: no latency to show.';
  return (
    <ChartFigure title="Latency percentiles (ms)" summary={summary}>
      <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          dataKey="time"
          tickFormatter={clock}
          minTickGap={24}
          label={{ value: 'time', position: 'insideBottom', offset: -16 }}
        />
        <YAxis label={{ value: 'latency (ms)', angle: -90, position: 'insideLeft' }} />
        <Tooltip labelFormatter={clockLabel} />
        <Legend wrapperStyle={{ paddingTop: 24 }} />
        {(['p50', 'p95', 'p99'] as const).map((key) => (
          <Line
            key={key}
            dataKey={key}
            name={key}
            stroke={CHART_COLORS[key]}
            dot={{ r: 2 }}
            connectNulls={false}
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ChartFigure>
  );
}

/** One feature's reference and window distributions, bin by bin, with its PSI and verdict. */
export function DistributionChart({ feature }: { feature: FeatureDrift }) {
  const bins = feature.bins ?? [];
  const moved = [...bins].sort(
    (a, b) => Math.abs(b.window - b.reference) - Math.abs(a.window - a.reference),
  )[0];
  const summary =
    `${feature.feature}: reference and window distributions over ${bins.length} bins, PSI ${formatNumber(
      feature.psi,
    )}, severity ${feature.severity}.` +
    (moved
      ? ` Largest change in ${moved.label}: ${Math.round(moved.reference * 100)} % of the reference, ${Math.round(
          moved.window * 100,
        )} % of the window.`
      : '');
  return (
    <ChartFigure
      title={`${feature.feature.replace(/_/g, ' ')}: PSI ${formatNumber(feature.psi)} (${feature.severity.replace('_', ' ')})`}
      summary={summary}
      height={220}
    >
      <BarChart data={bins} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          dataKey="label"
          interval="preserveStartEnd"
          label={{ value: 'bin', position: 'insideBottom', offset: -16 }}
        />
        <YAxis
          domain={[0, 'auto']}
          tickFormatter={(value: number) => `${Math.round(value * 100)} %`}
          label={{ value: 'share (%)', angle: -90, position: 'insideLeft' }}
        />
        <Tooltip />
        <Legend wrapperStyle={{ paddingTop: 24 }} />
        <Bar
          dataKey="reference"
          name="reference"
          fill={CHART_COLORS.reference}
          isAnimationActive={false}
        />
        <Bar
          dataKey="window"
          name="window"
          fill={severityColor(feature.severity)}
          isAnimationActive={false}
        />
      </BarChart>
    </ChartFigure>
  );
}
