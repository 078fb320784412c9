import { percent } from '../lib/format';

/**
 * Progress as a share done, 0 to 1, whatever scale the API uses (jobs count percent,
 * training runs a fraction): one bar and one number in every place of the console.
 */
export function Progress({ done, label }: { done: number; label: string }) {
  const share = Math.max(0, Math.min(1, done));
  const text = percent(share, 0);
  return (
    <span className="progress">
      <progress max={1} value={share} aria-label={`${label}: ${text}`} />{' '}
      <span className="small">{text}</span>
    </span>
  );
}

/** A job's `progress` is a percent of items scored. */
export const jobShare = (progress: number) => progress / 100;
