import { useId, type ReactNode } from 'react';
import { ResponsiveContainer } from 'recharts';

/**
 * One chart: a titled figure whose drawing is an image with a text alternative (`summary`,
 * a sentence a screen reader says instead of the SVG), and the numbers drawn, as a table
 * anyone can open. Charts take the width of their column; 260 px high.
 */
export function ChartFigure({
  title,
  summary,
  data,
  children,
  height = 260,
}: {
  title: string;
  summary: string;
  /** The numbers behind the chart, as a table (shown on demand). */
  data?: ReactNode;
  children: ReactNode;
  height?: number;
}) {
  const id = useId();
  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} className="chart-title">
        {title}
      </figcaption>
      <div role="img" aria-label={summary} className="chart-drawing">
        <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 640, height }}>
          {children}
        </ResponsiveContainer>
      </div>
      {data ? (
        <details>
          <summary className="small">The numbers</summary>
          {data}
        </details>
      ) : null}
    </figure>
  );
}

/** Axis and tooltip colours of the console (see styles.css). */
export const CHART_COLORS = {
  champion: '#1f4e79',
  challenger: '#b4531f',
  reference: '#5b6470',
  ok: '#1d6b3a',
  wait: '#7a5a00',
  fail: '#a61b1b',
  p50: '#1f4e79',
  p95: '#b4531f',
  p99: '#a61b1b',
} as const;

export function severityColor(severity: string): string {
  if (severity === 'major') return CHART_COLORS.fail;
  if (severity === 'moderate') return CHART_COLORS.wait;
  if (severity === 'none') return CHART_COLORS.ok;
  return CHART_COLORS.reference;
}

/** A time as HH:MM in the reader's zone, for time axes. */
export function clock(value: string | number): string {
  return new Date(value).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** A tooltip's label (a step's ISO time) as HH:MM. */
export function clockLabel(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? clock(value) : '';
}

/** Severities in the order bars stack, each with its colour. */
export const SEVERITIES = ['none', 'moderate', 'major', 'insufficient_data'] as const;
