import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { mockFetch } from '../test/fetchMock';
import { user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';

const KEYS = '/api/v1/api-keys';
const existing = {
  id: 'k1',
  name: 'ci',
  prefix: 'tt_ab12',
  scopes: ['predict'],
  created_at: '2026-01-01T00:00:00Z',
  expires_at: null,
  revoked_at: null,
  last_used_at: null,
};

describe('API keys page', () => {
  it('creates a key, shows it once with copy, then hides it', async () => {
    const api = mockFetch();
    signIn(api, user(['predict', 'jobs']));
    api.on('GET', KEYS, { items: [], total: 0 });
    api.on(
      'POST',
      KEYS,
      { ...existing, id: 'k2', name: 'batch', scopes: ['jobs'], key: 'tt_secret_value' },
      201,
    );
    const { user: ui } = renderApp('/api-keys');
    const writeText = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValue();

    await ui.type(await screen.findByLabelText('Name'), 'batch');
    const scopes = screen.getByRole('group', { name: 'Scopes' });
    // Only scopes the user holds can be granted.
    expect(within(scopes).getAllByRole('checkbox')).toHaveLength(2);
    expect(screen.getByRole('button', { name: 'Create key' })).toBeDisabled();
    await ui.click(within(scopes).getByLabelText('jobs'));
    await ui.click(screen.getByRole('button', { name: 'Create key' }));

    expect(await screen.findByLabelText('Secret key')).toHaveValue('tt_secret_value');
    // The instruction names the header the API accepts for keys, never a bearer token.
    const panel = screen.getByRole('region', { name: 'Key “batch” created' });
    expect(panel).toHaveTextContent("curl -H 'X-API-Key: tt_secret_value'");
    expect(panel).not.toHaveTextContent(/Bearer/i);
    expect(api.callsTo('POST', KEYS)[0]?.json).toEqual({ name: 'batch', scopes: ['jobs'] });
    await ui.click(screen.getByRole('button', { name: 'Copy key' }));
    expect(writeText).toHaveBeenCalledWith('tt_secret_value');
    expect(await screen.findByText('Copied to the clipboard.')).toBeInTheDocument();

    await ui.click(screen.getByRole('button', { name: 'I have stored it' }));
    expect(screen.queryByDisplayValue('tt_secret_value')).toBeNull();
    expect(screen.getByRole('heading', { name: 'New key' })).toBeInTheDocument();
  });

  it('revokes a key after confirmation', async () => {
    const api = mockFetch();
    signIn(api, user(['predict']));
    api.once('GET', KEYS, { items: [existing], total: 1 });
    api.on('GET', KEYS, { items: [], total: 0 });
    api.on('DELETE', `${KEYS}/k1`, () => new Response(null, { status: 204 }));
    const { user: ui } = renderApp('/api-keys');
    await ui.click(await screen.findByRole('button', { name: 'Revoke ci' }));
    expect(api.callsTo('DELETE', `${KEYS}/k1`)).toHaveLength(0);
    await ui.click(screen.getByRole('button', { name: 'Confirm revoke “ci”' }));
    expect(await screen.findByText('No keys yet.')).toBeInTheDocument();
    await waitFor(() => {
      expect(api.callsTo('DELETE', `${KEYS}/k1`)).toHaveLength(1);
    });
  });
});
