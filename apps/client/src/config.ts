/**
 * Settings the console is built with: Vite inlines `VITE_*` variables at build time
 * (apps/client/.env.example lists them). Each is parsed once, here, with its default.
 */

/** A share strictly between 0 and 1, or the fallback when the value is missing or not one. */
export function shareSetting(raw: unknown, fallback: number): number {
  if (typeof raw !== 'string' || raw.trim() === '') return fallback;
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 && value < 1 ? value : fallback;
}

/** Predictions whose top probability is below this are flagged "low confidence". */
export const LOW_CONFIDENCE_BELOW = shareSetting(import.meta.env.VITE_LOW_CONFIDENCE_BELOW, 0.6);
