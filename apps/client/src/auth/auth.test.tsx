import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { REFRESH_PATH } from '../api/client';
import { mockFetch, problemResponse } from '../test/fetchMock';
import { token, user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';

describe('auth flow', () => {
  it('signs in, keeps the access token in memory only and the refresh token out of reach', async () => {
    const api = mockFetch();
    api.on('POST', '/api/v1/auth/token', token({ access_token: 'access-login' }));
    api.on('GET', '/api/v1/users/me', user(['predict']));
    const { user: ui, client } = renderApp('/predict');

    await ui.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await ui.type(screen.getByLabelText('Password'), 'correct horse');
    await ui.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Predict' })).toBeInTheDocument();
    expect(client.tokens.access).toBe('access-login');
    // The API sets the refresh token as an HttpOnly cookie: nothing of it reaches storage.
    const signIn = api.callsTo('POST', '/api/v1/auth/token')[0];
    expect(signIn?.headers.get('X-Refresh-Token-Transport')).toBe('cookie');
    expect(sessionStorage).toHaveLength(0);
    expect(localStorage).toHaveLength(0);
    expect(api.callsTo('GET', '/api/v1/users/me')[0]?.headers.get('Authorization')).toBe(
      'Bearer access-login',
    );
  });

  it('shows the detail of a refused sign-in', async () => {
    const api = mockFetch();
    api.on('POST', '/api/v1/auth/token', () =>
      problemResponse(401, 'Incorrect email or password.'),
    );
    const { user: ui } = renderApp('/login');
    await ui.type(screen.getByLabelText('Email'), 'ada@example.com');
    await ui.type(screen.getByLabelText('Password'), 'wrong');
    await ui.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Incorrect email or password.');
    expect(screen.getByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('says how long to wait when sign-in is rate limited', async () => {
    const api = mockFetch();
    api.on('POST', '/api/v1/auth/token', () =>
      problemResponse(429, 'Too many attempts.', {}, { 'Retry-After': '60' }),
    );
    const { user: ui } = renderApp('/login');
    await ui.type(screen.getByLabelText('Email'), 'ada@example.com');
    await ui.type(screen.getByLabelText('Password'), 'x');
    await ui.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Too many attempts. Try again in 60 seconds.',
    );
  });

  it('restores the session after a reload through the refresh cookie', async () => {
    const api = mockFetch();
    signIn(api, user(['jobs']));
    api.on('GET', '/api/v1/jobs', { items: [], total: 0 });
    renderApp('/');
    expect(await screen.findByRole('heading', { level: 1, name: 'Jobs' })).toBeInTheDocument();
    const refreshes = api.callsTo('POST', REFRESH_PATH);
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]?.body).toBeUndefined();
    expect(refreshes[0]?.headers.get('X-CSRF-Token')).toBe('csrf-stored');
  });

  it('shows only the pages the scopes allow', async () => {
    const api = mockFetch();
    signIn(api, user(['predict', 'monitoring:read']));
    renderApp('/predict');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const links = within(nav)
      .getAllByRole('link')
      .map((link) => link.textContent);
    expect(links).toEqual(['Predict', 'Monitoring', 'API keys']);
  });

  it('a superuser sees every page', async () => {
    const api = mockFetch();
    signIn(api, user([], { is_superuser: true }));
    renderApp('/api-keys');
    api.on('GET', '/api/v1/api-keys', { items: [], total: 0 });
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const links = within(nav)
      .getAllByRole('link')
      .map((link) => link.textContent);
    expect(links).toEqual(['Predict', 'Jobs', 'Draft a reply', 'Models', 'Monitoring', 'API keys']);
  });

  it('explains a page opened without its scope instead of calling the API', async () => {
    const api = mockFetch();
    signIn(api, user(['predict']));
    renderApp('/models');
    expect(await screen.findByRole('heading', { name: 'Not allowed' })).toBeInTheDocument();
    expect(api.callsTo('GET', '/api/v1/models')).toHaveLength(0);
  });

  it('sends anonymous visitors to sign in, without trying a refresh', async () => {
    const api = mockFetch();
    renderApp('/jobs');
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(api.calls).toHaveLength(0);
  });

  it('logs out: revokes the session by cookie and forgets the access token', async () => {
    const api = mockFetch();
    signIn(api, user(['predict']));
    api.on('POST', '/api/v1/auth/logout', () => new Response(null, { status: 204 }));
    const { user: ui, client } = renderApp('/predict');
    await ui.click(await screen.findByRole('button', { name: 'Log out' }));
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    const logout = api.callsTo('POST', '/api/v1/auth/logout');
    expect(logout).toHaveLength(1);
    expect(logout[0]?.body).toBeUndefined();
    expect(logout[0]?.headers.get('X-CSRF-Token')).toBe('csrf-stored');
    expect(client.tokens.access).toBeNull();
  });

  it('ends the session when a call is refused and the refresh is too', async () => {
    const api = mockFetch();
    signIn(api, user(['jobs']));
    api.on('GET', '/api/v1/jobs', () => problemResponse(401, 'Token revoked'));
    api.on('POST', REFRESH_PATH, () => problemResponse(401, 'Refresh token reused'));
    const { client } = renderApp('/jobs');
    expect(await screen.findByText('Your session ended. Please sign in again.')).toBeVisible();
    expect(screen.getByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    // One call, one refused refresh (after the boot refresh), no retry of the call.
    expect(api.callsTo('GET', '/api/v1/jobs')).toHaveLength(1);
    expect(api.callsTo('POST', REFRESH_PATH)).toHaveLength(2);
    await waitFor(() => {
      expect(client.tokens.access).toBeNull();
    });
  });
});
