/**
 * Errors from the API as values the UI can show: RFC 9457 problem details
 * (`type`, `title`, `status`, `detail`, `request_id`, and `errors` on a 422).
 */

export interface FieldError {
  /** Dotted location without the leading `body`/`query` part, e.g. `texts.0`. */
  field: string;
  message: string;
}

export interface ProblemInit {
  status: number;
  title: string;
  detail: string;
  type?: string;
  requestId?: string | null;
  fieldErrors?: FieldError[];
  retryAfterSeconds?: number | null;
}

/** Every failed call rejects with this: a problem from the server, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly requestId: string | null;
  readonly fieldErrors: FieldError[];
  /** Seconds the server asked us to wait (429/503 `Retry-After`), if it said. */
  readonly retryAfterSeconds: number | null;

  constructor(init: ProblemInit) {
    super(init.detail || init.title);
    this.name = 'ApiError';
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.type = init.type ?? 'about:blank';
    this.requestId = init.requestId ?? null;
    this.fieldErrors = init.fieldErrors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }

  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

const LOCATION_ROOTS = new Set(['body', 'query', 'path', 'header']);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldErrorsOf(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((item) => {
    const loc = Array.isArray(item.loc) ? item.loc.map(String) : [];
    const parts = loc.length > 1 && LOCATION_ROOTS.has(loc[0] ?? '') ? loc.slice(1) : loc;
    return {
      field: parts.join('.') || 'request',
      message: typeof item.msg === 'string' ? item.msg : 'is invalid',
    };
  });
}

/**
 * `Retry-After` is either delta-seconds or an HTTP-date (RFC 9110 10.2.3).
 * Returns whole seconds from `now`, never negative, or null when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  // An HTTP-date names its weekday and month; Date.parse alone would accept "-5" as a year.
  if (!/^[A-Za-z]{3}, /.test(value)) return null;
  const when = Date.parse(value);
  if (Number.isNaN(when)) return null;
  return Math.max(0, Math.ceil((when - now) / 1000));
}

/** Turn any non-2xx response into an ApiError, reading problem+json when the body is one. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const retryAfterSeconds = parseRetryAfter(response.headers.get('Retry-After'));
  const fallbackTitle = response.statusText || `HTTP ${response.status}`;
  let body: unknown = null;
  const text = await response.text().catch(() => '');
  if (text) {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = null;
    }
  }
  if (isRecord(body)) {
    return errorFromProblem(body, {
      status: response.status,
      title: fallbackTitle,
      requestId: response.headers.get('X-Request-ID'),
      retryAfterSeconds,
    });
  }
  return new ApiError({
    status: response.status,
    title: fallbackTitle,
    // A proxy's HTML error page is not shown: it could be long and is not for people.
    detail: `The server answered ${response.status} ${fallbackTitle}.`,
    requestId: response.headers.get('X-Request-ID'),
    retryAfterSeconds,
  });
}

/**
 * A problem details object as an ApiError: from an error response's body, or sent inside a
 * stream (the drafts stream's `error` event); `fallback` fills what the object lacks.
 */
export function errorFromProblem(
  body: Record<string, unknown>,
  fallback: {
    status: number;
    title: string;
    requestId?: string | null;
    retryAfterSeconds?: number | null;
  },
): ApiError {
  const title = typeof body.title === 'string' ? body.title : fallback.title;
  const detail = typeof body.detail === 'string' ? body.detail : title;
  return new ApiError({
    status: typeof body.status === 'number' ? body.status : fallback.status,
    title,
    detail,
    type: typeof body.type === 'string' ? body.type : undefined,
    requestId: typeof body.request_id === 'string' ? body.request_id : (fallback.requestId ?? null),
    fieldErrors: fieldErrorsOf(body.errors),
    retryAfterSeconds: fallback.retryAfterSeconds ?? null,
  });
}

export function networkError(cause: unknown): ApiError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ApiError({
    status: 0,
    title: 'Network error',
    detail: `Could not reach the server (${reason}). Check your connection and try again.`,
  });
}

/** A short sentence for people, used by ErrorNotice and toasts. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429) {
      const wait = error.retryAfterSeconds;
      return wait === null
        ? `${error.detail} Please wait a moment before trying again.`
        : `${error.detail} Try again in ${wait} second${wait === 1 ? '' : 's'}.`;
    }
    return error.detail;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
