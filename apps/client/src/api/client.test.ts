import { describe, expect, it, vi } from 'vitest';
import { TokenStore } from '../auth/tokenStore';
import { jsonResponse, mockFetch, problemResponse } from '../test/fetchMock';
import { token } from '../test/fixtures';
import { setSessionCookie } from '../test/renderApp';
import { ApiClient, REFRESH_LOCK, REFRESH_PATH } from './client';
import { createEndpoints } from './endpoints';
import { ApiError } from './problem';

/** A client with an access token in memory and, unless `csrf` is null, a session cookie. */
function setup(access: string | null = 'access-old', csrf: string | null = 'csrf-old') {
  const api = mockFetch();
  const tokens = new TokenStore();
  if (access) tokens.set({ accessToken: access, expiresAt: 0 });
  if (csrf) setSessionCookie(csrf);
  const onSessionExpired = vi.fn();
  const client = new ApiClient({ tokens, onSessionExpired });
  return { api, tokens, client, onSessionExpired };
}

/** The Web Locks API as a browser gives it to every tab of an origin: one holder at a time. */
function installWebLocks() {
  const requested: string[] = [];
  let tail: Promise<unknown> = Promise.resolve();
  const locks = {
    request: (name: string, task: () => Promise<unknown>) => {
      requested.push(name);
      const run = tail.then(task);
      tail = run.catch(() => undefined);
      return run;
    },
  };
  Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
  return {
    requested,
    uninstall: () => Reflect.deleteProperty(navigator, 'locks'),
  };
}

describe('ApiClient', () => {
  it('sends the access token as a Bearer header and parses JSON', async () => {
    const { api, client } = setup();
    api.on('GET', '/api/v1/models', [{ name: 'ticket-triage' }]);
    await expect(client.request('/api/v1/models')).resolves.toEqual([{ name: 'ticket-triage' }]);
    expect(api.calls[0]?.headers.get('Authorization')).toBe('Bearer access-old');
  });

  it('builds the query string and skips empty values', async () => {
    const { api, client } = setup();
    api.on('GET', '/api/v1/monitoring/drift', {});
    await client.request('/api/v1/monitoring/drift', {
      query: { model: 'ticket-triage', version: null, window: '24h', empty: '' },
    });
    expect(api.calls[0]?.url.search).toBe('?model=ticket-triage&window=24h');
  });

  it('answers undefined for 204', async () => {
    const { api, client } = setup();
    api.on('DELETE', '/api/v1/api-keys/k1', () => new Response(null, { status: 204 }));
    await expect(
      client.request('/api/v1/api-keys/k1', { method: 'DELETE' }),
    ).resolves.toBeUndefined();
  });

  it('turns a problem into an ApiError with its detail and field errors', async () => {
    const { api, client } = setup();
    api.on('POST', '/api/v1/predictions', () =>
      problemResponse(422, 'texts: too short', {
        errors: [{ loc: ['body', 'texts'], msg: 'too short', type: 't' }],
      }),
    );
    const error = await client
      .request('/api/v1/predictions', { method: 'POST', json: { texts: [] } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).detail).toBe('texts: too short');
    expect((error as ApiError).fieldErrors).toEqual([{ field: 'texts', message: 'too short' }]);
    expect((error as ApiError).requestId).toBe('req-123');
  });

  it('on 401 refreshes once by cookie, keeps the new access token and retries with it', async () => {
    const { api, client, tokens, onSessionExpired } = setup();
    const fresh = token({ access_token: 'access-new' });
    api.once('GET', '/api/v1/users/me', () => problemResponse(401, 'Token expired'));
    api.on('GET', '/api/v1/users/me', { email: 'ada@example.com' });
    api.on('POST', REFRESH_PATH, fresh);

    await expect(client.request('/api/v1/users/me')).resolves.toEqual({
      email: 'ada@example.com',
    });

    const refreshCalls = api.callsTo('POST', REFRESH_PATH);
    expect(refreshCalls).toHaveLength(1);
    // The refresh token travels in its HttpOnly cookie; the page proves its origin.
    expect(refreshCalls[0]?.body).toBeUndefined();
    expect(refreshCalls[0]?.headers.get('X-CSRF-Token')).toBe('csrf-old');
    expect(refreshCalls[0]?.headers.get('Authorization')).toBeNull();
    const meCalls = api.callsTo('GET', '/api/v1/users/me');
    expect(meCalls.map((c) => c.headers.get('Authorization'))).toEqual([
      'Bearer access-old',
      'Bearer access-new',
    ]);
    expect(tokens.access).toBe('access-new');
    expect([sessionStorage.length, localStorage.length]).toEqual([0, 0]);
    expect(onSessionExpired).not.toHaveBeenCalled();
  });

  it('does not try to refresh without a session cookie', async () => {
    const { api, client } = setup(null, null);
    await expect(client.refreshSession()).resolves.toBe(false);
    expect(client.hasSession()).toBe(false);
    expect(api.calls).toHaveLength(0);
  });

  it('two tabs refreshing at once take turns under a Web Lock, so neither reuses the old cookie', async () => {
    const locks = installWebLocks();
    try {
      const { api, client: tab1 } = setup(null, 'csrf-0');
      const tab2 = new ApiClient({ tokens: new TokenStore() });
      // The server's rotation: only the current cookie works, and each use rotates it.
      let current = 0;
      api.on('POST', REFRESH_PATH, async (call) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (call.headers.get('X-CSRF-Token') !== `csrf-${current}`) {
          return problemResponse(401, 'Refresh token reused');
        }
        current += 1;
        setSessionCookie(`csrf-${current}`);
        return jsonResponse(token({ access_token: `access-${current}` }));
      });

      await expect(Promise.all([tab1.refreshSession(), tab2.refreshSession()])).resolves.toEqual([
        true,
        true,
      ]);
      expect(locks.requested).toEqual([REFRESH_LOCK, REFRESH_LOCK]);
      expect(api.callsTo('POST', REFRESH_PATH).map((c) => c.headers.get('X-CSRF-Token'))).toEqual([
        'csrf-0',
        'csrf-1',
      ]);
      expect([tab1.tokens.access, tab2.tokens.access]).toEqual(['access-1', 'access-2']);
    } finally {
      locks.uninstall();
    }
  });

  it('shares one refresh between calls that fail together (rotation-safe)', async () => {
    const { api, client } = setup();
    let refreshes = 0;
    api.on('POST', REFRESH_PATH, async () => {
      refreshes += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return jsonResponse(token({ access_token: 'access-new' }));
    });
    api.on('GET', /^\/api\/v1\/(jobs|models)$/, (call) =>
      call.headers.get('Authorization') === 'Bearer access-new'
        ? jsonResponse({ ok: call.path })
        : problemResponse(401, 'expired'),
    );
    const results = await Promise.all([
      client.request('/api/v1/jobs'),
      client.request('/api/v1/models'),
      client.request('/api/v1/jobs'),
    ]);
    expect(results).toEqual([
      { ok: '/api/v1/jobs' },
      { ok: '/api/v1/models' },
      { ok: '/api/v1/jobs' },
    ]);
    expect(refreshes).toBe(1);
  });

  it('logs out when the refresh is refused, and does not retry the call', async () => {
    const { api, client, tokens, onSessionExpired } = setup();
    api.on('GET', '/api/v1/jobs', () => problemResponse(401, 'Token expired'));
    api.on('POST', REFRESH_PATH, () => problemResponse(401, 'Refresh token reused'));

    const error = await client.request('/api/v1/jobs').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(api.callsTo('GET', '/api/v1/jobs')).toHaveLength(1);
    expect(api.callsTo('POST', REFRESH_PATH)).toHaveLength(1);
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
    expect(tokens.access).toBeNull();
  });

  it('refreshes only once: a second 401 after the retry ends the session', async () => {
    const { api, client, onSessionExpired } = setup();
    api.on('GET', '/api/v1/jobs', () => problemResponse(401, 'Still not allowed'));
    api.on('POST', REFRESH_PATH, token());
    await expect(client.request('/api/v1/jobs')).rejects.toMatchObject({ status: 401 });
    expect(api.callsTo('GET', '/api/v1/jobs')).toHaveLength(2);
    expect(api.callsTo('POST', REFRESH_PATH)).toHaveLength(1);
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });

  it('does not refresh for unauthenticated calls (bad credentials stay a 401)', async () => {
    const { api, client, onSessionExpired } = setup(null, null);
    api.on('POST', '/api/v1/auth/token', () => problemResponse(401, 'Incorrect email or password'));
    const endpoints = createEndpoints(client);
    await expect(endpoints.login('ada@example.com', 'nope')).rejects.toMatchObject({
      status: 401,
      detail: 'Incorrect email or password',
    });
    expect(api.callsTo('POST', REFRESH_PATH)).toHaveLength(0);
    expect(onSessionExpired).not.toHaveBeenCalled();
  });

  it('sends the login form-encoded with the optional scope, asking for the refresh cookie', async () => {
    const { api, client } = setup(null, null);
    api.on('POST', '/api/v1/auth/token', token());
    await createEndpoints(client).login('ada@example.com', 's3cret', 'predict jobs');
    expect(api.calls[0]?.headers.get('X-Refresh-Token-Transport')).toBe('cookie');
    const body = api.calls[0]?.body;
    expect(body).toBeInstanceOf(URLSearchParams);
    expect(Object.fromEntries(body as URLSearchParams)).toEqual({
      username: 'ada@example.com',
      password: 's3cret',
      scope: 'predict jobs',
    });
  });

  it('exposes Retry-After of a 429 and does not refresh', async () => {
    const { api, client } = setup();
    api.on('POST', '/api/v1/predictions', () =>
      problemResponse(429, 'Rate limit exceeded.', {}, { 'Retry-After': '7' }),
    );
    const error = await client
      .request('/api/v1/predictions', { method: 'POST', json: { texts: ['x'] } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 7 });
    expect(api.callsTo('POST', REFRESH_PATH)).toHaveLength(0);
  });

  it('maps a network failure to status 0 and keeps the session for a later refresh', async () => {
    const { api, client } = setup(null, 'csrf-old');
    const offline = vi.fn().mockRejectedValue(new TypeError('Failed to fetch'));
    vi.stubGlobal('fetch', offline);
    await expect(client.request('/api/v1/jobs')).rejects.toMatchObject({
      status: 0,
      title: 'Network error',
    });
    await expect(client.refreshSession()).resolves.toBe(false);
    expect(client.hasSession()).toBe(true);

    vi.stubGlobal('fetch', api.fetch);
    api.on('POST', REFRESH_PATH, token({ access_token: 'access-back' }));
    await expect(client.refreshSession()).resolves.toBe(true);
    expect(client.tokens.access).toBe('access-back');
  });

  it('sends the Idempotency-Key and multipart body of a file job', async () => {
    const { api, client } = setup();
    api.on('POST', '/api/v1/jobs', { id: 'j1' }, 202);
    const file = new File(['text\nhello\n'], 'tickets.csv', { type: 'text/csv' });
    await createEndpoints(client).submitJobFile(file, 'key-1');
    const call = api.calls[0];
    expect(call?.headers.get('Idempotency-Key')).toBe('key-1');
    expect(call?.headers.get('Content-Type')).toBeNull();
    expect(call?.body).toBeInstanceOf(FormData);
    expect(((call?.body as FormData).get('file') as File).name).toBe('tickets.csv');
  });
});
