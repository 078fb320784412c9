/**
 * The one way the app talks to the API: a small typed wrapper over fetch that
 * - sends `Authorization: Bearer <access>` on every authenticated call,
 * - on a 401 refreshes once (one refresh shared by every call that failed at the same time,
 *   and, across tabs, one at a time under a Web Lock: refresh tokens rotate and a second use
 *   of the old one revokes the session), retries the call once, and ends the session when
 *   the refresh fails,
 * - never sees the refresh token: the API keeps it in an HttpOnly cookie, and the refresh
 *   proves its origin with the CSRF cookie's value in `X-CSRF-Token`,
 * - turns every non-2xx answer into an `ApiError` (problem+json parsed, Retry-After read).
 */
import type { TokenResponse } from './types';
import { ApiError, errorFromResponse, networkError } from './problem';
import { CSRF_HEADER, readCsrfToken } from '../auth/sessionCookie';
import type { TokenStore } from '../auth/tokenStore';

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Sent as multipart/form-data (the browser sets the boundary). */
  formData?: FormData;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** The `Accept` header; JSON or a problem by default (`text/event-stream` for a stream). */
  accept?: string;
  /** False for the token endpoints themselves. */
  auth?: boolean;
  /** False where a 401 must not trigger a refresh (logout). */
  refreshOn401?: boolean;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  tokens: TokenStore;
  /** Called once when the session cannot be renewed: the app logs out. */
  onSessionExpired?: () => void;
  baseUrl?: string;
  fetch?: typeof fetch;
}

export const REFRESH_PATH = '/api/v1/auth/refresh';
/** The Web Lock under which the tabs of this origin refresh one at a time. */
export const REFRESH_LOCK = 'ticket-triage.refresh';

export class ApiClient {
  readonly tokens: TokenStore;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private onSessionExpired: (() => void) | undefined;
  private refreshing: Promise<boolean> | null = null;

  constructor(options: ApiClientOptions) {
    this.tokens = options.tokens;
    this.baseUrl = options.baseUrl ?? '';
    // Resolved at call time so tests can stub the global fetch after construction.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.onSessionExpired = options.onSessionExpired;
  }

  setSessionExpiredHandler(handler: (() => void) | undefined): void {
    this.onSessionExpired = handler;
  }

  /** JSON in, JSON out; `undefined` for 204. */
  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(path, options);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** For downloads and streams: the successful Response itself (errors still become ApiError). */
  async raw(path: string, options: RequestOptions = {}): Promise<Response> {
    return this.send(path, options);
  }

  /** Whether this browser holds a session the refresh cookie may restore. */
  hasSession(): boolean {
    return readCsrfToken() !== null;
  }

  /**
   * Exchange the refresh cookie for a new access token (and a rotated cookie). Concurrent
   * callers in this tab share one request; tabs take turns under a Web Lock, so each reads
   * the cookie the previous one rotated instead of reusing the old one. Resolves false
   * (access token cleared) when there is no session or the server refuses it.
   */
  refreshSession(): Promise<boolean> {
    this.refreshing ??= withRefreshLock(() => this.doRefresh()).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  storeTokens(token: TokenResponse): void {
    this.tokens.set({
      accessToken: token.access_token,
      expiresAt: Date.now() + token.expires_in * 1000,
    });
  }

  private async doRefresh(): Promise<boolean> {
    // Read inside the lock: another tab may just have rotated the cookies.
    const csrf = readCsrfToken();
    if (!csrf) return false;
    try {
      const token = await this.request<TokenResponse>(REFRESH_PATH, {
        method: 'POST',
        headers: { [CSRF_HEADER]: csrf },
        auth: false,
      });
      this.storeTokens(token);
      return true;
    } catch (error) {
      // A network failure keeps the session: the cookies are untouched, a later call may
      // succeed. A refusal made the server clear them.
      if (error instanceof ApiError && error.isNetworkError) return false;
      this.tokens.clear();
      return false;
    }
  }

  private async send(path: string, options: RequestOptions): Promise<Response> {
    const auth = options.auth ?? true;
    const accessUsed = this.tokens.access;
    let response = await this.fetchOnce(path, options, auth);
    if (response.status === 401 && auth && (options.refreshOn401 ?? true)) {
      // Another call may have refreshed while this one was in flight: reuse its token.
      const renewed =
        this.tokens.access !== null && this.tokens.access !== accessUsed
          ? true
          : await this.refreshSession();
      if (!renewed) {
        this.expireSession();
        throw await errorFromResponse(response);
      }
      response = await this.fetchOnce(path, options, auth);
      if (response.status === 401) {
        this.expireSession();
      }
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  private expireSession(): void {
    this.tokens.clear();
    this.onSessionExpired?.();
  }

  private async fetchOnce(path: string, options: RequestOptions, auth: boolean): Promise<Response> {
    const headers = new Headers(options.headers);
    headers.set('Accept', options.accept ?? 'application/json, application/problem+json');
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers.set('Content-Type', 'application/json');
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = new URLSearchParams(options.form);
    } else if (options.formData) {
      body = options.formData;
    }
    const access = this.tokens.access;
    if (auth && access) headers.set('Authorization', `Bearer ${access}`);
    try {
      return await this.fetchImpl(this.url(path, options.query), {
        method: options.method ?? 'GET',
        headers,
        body,
        signal: options.signal,
        credentials: 'same-origin',
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw networkError(error);
    }
  }

  private url(path: string, query?: Record<string, QueryValue>): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }
}

/** Run `task` holding the origin-wide refresh lock where the browser has Web Locks. */
async function withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
  if (typeof navigator !== 'undefined' && 'locks' in navigator) {
    return await navigator.locks.request(REFRESH_LOCK, task);
  }
  return await task();
}
