import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/problem';

const MAX_RETRY_DELAY_MS = 30_000;

/** Retry what may pass later (network, 429, 5xx); never a 4xx that will fail the same way. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (failureCount >= 2) return false;
  if (!(error instanceof ApiError)) return false;
  return error.status === 0 || error.status === 429 || error.status >= 500;
}

/** Honour Retry-After when the server sent one, else back off exponentially. */
export function retryDelay(failureCount: number, error: unknown): number {
  if (error instanceof ApiError && error.retryAfterSeconds !== null) {
    return Math.min(error.retryAfterSeconds * 1000, MAX_RETRY_DELAY_MS);
  }
  return Math.min(1000 * 2 ** failureCount, MAX_RETRY_DELAY_MS);
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, retryDelay, staleTime: 10_000, refetchOnWindowFocus: true },
      // Writes are not retried automatically; job submission retries itself with its key.
      mutations: { retry: false },
    },
  });
}
