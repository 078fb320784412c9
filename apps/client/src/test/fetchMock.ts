/**
 * A fake network boundary: stubs the global fetch, routes requests by method and path to
 * handlers, and records every call. Unmatched requests answer a 404 problem, so a test
 * that forgot a route fails loudly instead of hanging.
 */
import { vi } from 'vitest';

export interface RecordedCall {
  method: string;
  url: URL;
  path: string;
  headers: Headers;
  /** The raw body given to fetch (string, URLSearchParams, FormData...). */
  body: unknown;
  /** The body parsed as JSON when it was a JSON string. */
  json: unknown;
}

export type Handler = (call: RecordedCall) => Response | Promise<Response>;

interface Route {
  method: string;
  path: string | RegExp;
  handler: Handler;
  once: boolean;
  used: boolean;
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

export function problemResponse(
  status: number,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return new Response(
    JSON.stringify({
      type: 'about:blank',
      title: `Status ${status}`,
      status,
      detail,
      instance: '/api',
      request_id: 'req-123',
      ...extra,
    }),
    { status, headers: { 'Content-Type': 'application/problem+json', ...headers } },
  );
}

function matches(route: Route, method: string, path: string): boolean {
  if (route.method !== method) return false;
  return typeof route.path === 'string' ? route.path === path : route.path.test(path);
}

export function mockFetch() {
  const routes: Route[] = [];
  const calls: RecordedCall[] = [];

  const fetchFn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    await Promise.resolve();
    const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(raw, 'http://localhost');
    const method = (init.method ?? 'GET').toUpperCase();
    let json: unknown = undefined;
    if (typeof init.body === 'string') {
      try {
        json = JSON.parse(init.body);
      } catch {
        json = undefined;
      }
    }
    const call: RecordedCall = {
      method,
      url,
      path: url.pathname,
      headers: new Headers(init.headers),
      body: init.body,
      json,
    };
    calls.push(call);
    const route =
      routes.find((r) => r.once && !r.used && matches(r, method, url.pathname)) ??
      routes.find((r) => !r.once && matches(r, method, url.pathname));
    if (!route) return problemResponse(404, `No mock for ${method} ${url.pathname}`);
    route.used = true;
    return route.handler(call);
  });
  vi.stubGlobal('fetch', fetchFn);

  const add =
    (once: boolean) =>
    (method: string, path: string | RegExp, handler: Handler | object | null, status = 200) => {
      const fn: Handler =
        typeof handler === 'function' ? (handler as Handler) : () => jsonResponse(handler, status);
      routes.push({ method, path, handler: fn, once, used: false });
    };

  return {
    fetch: fetchFn,
    calls,
    /** Answer every matching request. `handler` may be a body to send as JSON. */
    on: add(false),
    /** Answer the next matching request only (takes precedence over `on`). */
    once: add(true),
    callsTo: (method: string, path: string) =>
      calls.filter((c) => c.method === method && c.path === path),
  };
}

export type FetchMock = ReturnType<typeof mockFetch>;

/** One server-sent event as the drafts stream writes it: a name and one-line JSON data. */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A `text/event-stream` body the test writes into while the page reads it: `send` a piece
 * of text (cut anywhere), `close` to end it; `cancelled` tells whether the reader let go.
 */
export function eventStream() {
  const encoder = new TextEncoder();
  let sink: ReadableStreamDefaultController<Uint8Array> | null = null;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      sink = controller;
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    response: () =>
      new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    send: (text: string) => {
      sink?.enqueue(encoder.encode(text));
    },
    close: () => {
      sink?.close();
    },
    get cancelled() {
      return cancelled;
    },
  };
}
