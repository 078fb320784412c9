import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { TrainingRun } from '../api/types';
import { mockFetch } from '../test/fetchMock';
import { user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';

const BASE = '/api/v1/models/ticket-triage';
const ME = '0190a1b2-0000-7000-8000-000000000001';
const OTHER = '0190a1b2-0000-7000-8000-000000000002';

/** After "promote the challenger": both aliases on version 3. */
function promotedChallenger(api: ReturnType<typeof mockFetch>) {
  api.on('GET', '/api/v1/models', [
    {
      name: 'ticket-triage',
      description: null,
      aliases: { champion: 3, challenger: 3 },
      latest_version: 3,
      created_at: '2026-01-01T00:00:00Z',
    },
  ]);
  api.on('GET', `${BASE}/versions`, [
    {
      version: 3,
      status: 'active',
      metrics: {},
      created_by: OTHER,
      created_at: '2026-01-01T00:00:00Z',
      aliases: ['champion', 'challenger'],
    },
    {
      version: 2,
      status: 'archived',
      metrics: {},
      created_by: ME,
      created_at: '2026-01-01T00:00:00Z',
      aliases: [],
    },
    {
      version: 1,
      status: 'archived',
      metrics: {},
      created_by: 'cli',
      created_at: '2026-01-01T00:00:00Z',
      aliases: [],
    },
  ]);
  api.on('GET', `${BASE}/traffic`, {
    model: 'ticket-triage',
    champion: 3,
    challenger: 3,
    challenger_weight: 10,
    shadow_sample: 0,
    updated_by: OTHER,
  });
}

function failedRun(error: Record<string, unknown>): TrainingRun {
  return {
    id: 'run-9',
    model_name: 'ticket-triage',
    status: 'failed',
    progress: 1,
    stage: 'failed',
    trigger: 'api',
    attempts: 1,
    params: {},
    gate_results: [
      { name: 'macro_f1', passed: false, value: 0.61, threshold: 0.8, message: 'too low' },
    ],
    error,
    requested_by: ME,
    created_at: '2026-01-01T00:00:00Z',
    started_at: null,
    finished_at: null,
    version: null,
  };
}

describe('Models page feedback', () => {
  it('says when champion and challenger are one version', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read'], { id: ME }));
    promotedChallenger(api);
    renderApp('/models');
    expect(
      await screen.findByText(/The challenger is the champion.s version \(3\)/),
    ).toBeInTheDocument();
  });

  it('names actors: "you", e-mails for an administrator, never a bare UUID', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read', 'users:admin'], { id: ME }));
    promotedChallenger(api);
    api.on('GET', '/api/v1/users', {
      items: [
        user([], { id: ME, email: 'ada@example.com' }),
        user([], { id: OTHER, email: 'grace@example.com' }),
      ],
      total: 2,
    });
    renderApp('/models');
    const table = await screen.findByRole('table');
    const rows = within(table).getAllByRole('row');
    expect(await within(rows[1] as HTMLElement).findByText('grace@example.com')).toBeVisible();
    expect(rows[2]).toHaveTextContent('by you');
    expect(rows[3]).toHaveTextContent('by cli');
    expect(table).not.toHaveTextContent(OTHER);
    expect(await screen.findByText(/last set by/)).toHaveTextContent('grace@example.com');
  });

  it('shows a short id, not a list it may not read, to someone without users:admin', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read'], { id: ME }));
    promotedChallenger(api);
    renderApp('/models');
    const table = await screen.findByRole('table');
    expect(within(table).getByText('0190a1b2')).toHaveAttribute('title', OTHER);
    expect(api.callsTo('GET', '/api/v1/users')).toHaveLength(0);
  });

  it('tells why a training run failed, in words, not as raw JSON', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read', 'models:write'], { id: ME }));
    promotedChallenger(api);
    api.on('POST', '/api/v1/training-runs', failedRun({}), 202);
    api.on(
      'GET',
      '/api/v1/training-runs/run-9',
      failedRun({
        kind: 'gates',
        detail: 'macro-F1 0.610 is under 0.800',
        failed_gates: ['macro_f1'],
      }),
    );
    const { user: ui } = renderApp('/models');
    await ui.click(await screen.findByRole('button', { name: 'Start training run' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The run failed: it did not pass every gate.');
    expect(alert).toHaveTextContent('macro-F1 0.610 is under 0.800');
    expect(alert).toHaveTextContent('Failed gates: macro_f1.');
    expect(alert).not.toHaveTextContent('{');
    expect(screen.getByRole('progressbar', { name: 'Training progress: 100 %' })).toBeVisible();
  });

  it('says when a promotion changed nothing', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read', 'models:write'], { id: ME }));
    promotedChallenger(api);
    api.on('PUT', `${BASE}/aliases/champion`, {
      alias: 'champion',
      version: 3,
      previous_version: 3,
    });
    const { user: ui } = renderApp('/models');
    const panel = (await screen.findByRole('heading', { name: 'Promote' })).closest(
      'section',
    ) as HTMLElement;
    await within(panel).findByRole('option', { name: '3 (active)' });
    await ui.type(within(panel).getByLabelText('Reason'), 'again');
    await ui.click(within(panel).getByRole('button', { name: 'Move alias' }));
    expect(
      await within(panel).findByText('champion was already version 3: nothing changed.'),
    ).toBeVisible();
  });
});
