import type { Interval } from '../../api/types';

/** A number as short text; absent values as a dash. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4);
}

/** A confidence interval as text, or a dash when either bound is missing. */
export function formatInterval(interval: Pick<Interval, 'low' | 'high'> | null | undefined) {
  if (!interval || interval.low === null || interval.high === null) return '—';
  return `${formatNumber(interval.low)} – ${formatNumber(interval.high)}`;
}
