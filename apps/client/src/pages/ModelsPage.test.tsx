import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { TrainingRun } from '../api/types';
import { jsonResponse, mockFetch } from '../test/fetchMock';
import { user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';
import { TRAINING_POLL_MS } from './models/TrainingPanel';

const BASE = '/api/v1/models/ticket-triage';

function models(api: ReturnType<typeof mockFetch>) {
  api.on('GET', '/api/v1/models', [
    {
      name: 'ticket-triage',
      description: 'Support ticket triage',
      aliases: { champion: 3, challenger: 4 },
      latest_version: 4,
      created_at: '2026-01-01T00:00:00Z',
    },
  ]);
  api.on('GET', `${BASE}/versions`, [
    {
      version: 4,
      status: 'candidate',
      metrics: { macro_f1: 0.91, macro_auc: 0.98 },
      created_by: 'trainer',
      created_at: '2026-01-02T00:00:00Z',
      aliases: ['challenger'],
    },
    {
      version: 3,
      status: 'active',
      metrics: { macro_f1: 0.9 },
      created_by: 'trainer',
      created_at: '2026-01-01T00:00:00Z',
      aliases: ['champion'],
    },
  ]);
  api.on('GET', `${BASE}/traffic`, {
    model: 'ticket-triage',
    champion: 3,
    challenger: 4,
    challenger_weight: 10,
    shadow_sample: 0.2,
    updated_by: 'ops',
  });
}

function run(overrides: Partial<TrainingRun>): TrainingRun {
  return {
    id: 'run-1',
    model_name: 'ticket-triage',
    status: 'queued',
    progress: 0,
    stage: 'queued',
    trigger: 'api',
    attempts: 0,
    params: {},
    gate_results: [],
    error: null,
    requested_by: 'ada',
    created_at: '2026-01-01T00:00:00Z',
    started_at: null,
    finished_at: null,
    version: null,
    ...overrides,
  };
}

describe('Models page', () => {
  it('lists versions with their aliases and metrics', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read', 'models:write']));
    models(api);
    renderApp('/models');
    const table = await screen.findByRole('table');
    const rows = within(table).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('4candidatechallenger0.9100.980');
    expect(rows[2]).toHaveTextContent('3activechampion0.900—');
    expect(screen.getByText('Champion').nextElementSibling).toHaveTextContent('version 3');
  });

  it('shows the lineage of a version, or says it predates lineage', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read']));
    models(api);
    const detail = {
      version: 4,
      status: 'candidate',
      metrics: {},
      created_by: 'trainer',
      created_at: '2026-01-02T00:00:00Z',
      aliases: ['challenger'],
      artifact_uri: 'file:///artifacts/ticket-triage/4',
      sha256: 'ab'.repeat(32),
      manifest: {},
      lineage: {
        code: { commit: '3f2c1e9', source: 'image', dirty: null, missing_reason: null },
        dependency_lock_sha256: 'cd'.repeat(32),
        seed: 42,
        training_config: { training: { c: 4 } },
        training_data: {
          sha256: 'ef'.repeat(32),
          rows: 1000,
          source: 'tickets.csv',
          train_rows: 720,
          calibration_rows: 80,
          holdout_rows: 200,
          class_counts: {},
        },
      },
    };
    api.on('GET', `${BASE}/versions/4`, detail);
    api.on('GET', `${BASE}/versions/3`, { ...detail, version: 3, lineage: null });
    const { user: ui } = renderApp('/models');
    await ui.click(await screen.findByRole('button', { name: 'Lineage of version 4' }));
    const panel = (await screen.findByRole('heading', { name: 'Lineage of version 4' })).closest(
      'section',
    ) as HTMLElement;
    expect(await within(panel).findByText('3f2c1e9 (from the image)')).toBeVisible();
    expect(within(panel).getByText('cd'.repeat(32))).toBeVisible();
    expect(within(panel).getByText(/tickets.csv: 1000 rows \(720 train/)).toBeVisible();
    expect(within(panel).getByText(/"c": 4/)).toBeInTheDocument();

    await ui.click(screen.getByRole('button', { name: 'Lineage of version 3' }));
    expect(
      await screen.findByText('This version was trained before lineage was recorded.'),
    ).toBeVisible();
  });

  it('promotes a version with a reason', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read', 'models:write']));
    models(api);
    api.on('PUT', `${BASE}/aliases/champion`, {
      alias: 'champion',
      version: 4,
      previous_version: 3,
    });
    const { user: ui } = renderApp('/models');
    const panel = (await screen.findByRole('heading', { name: 'Promote' })).closest(
      'section',
    ) as HTMLElement;
    await within(panel).findByRole('option', { name: '4 (candidate)' });
    await ui.selectOptions(within(panel).getByLabelText('Version'), '4');
    await ui.type(within(panel).getByLabelText('Reason'), 'passed canary');
    await ui.click(within(panel).getByRole('button', { name: 'Move alias' }));
    expect(
      await within(panel).findByText('champion moved from version 3 to version 4.'),
    ).toBeInTheDocument();
    expect(api.callsTo('PUT', `${BASE}/aliases/champion`)[0]?.json).toEqual({
      version: 4,
      reason: 'passed canary',
    });
  });

  it('rolls back an alias', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read', 'models:write']));
    models(api);
    api.on('POST', `${BASE}/rollback`, { alias: 'champion', version: 2, previous_version: 3 });
    const { user: ui } = renderApp('/models');
    const panel = (await screen.findByRole('heading', { name: 'Roll back' })).closest(
      'section',
    ) as HTMLElement;
    await ui.type(within(panel).getByLabelText('Reason'), 'errors up');
    await ui.click(within(panel).getByRole('button', { name: /Roll back to the previous/ }));
    expect(await within(panel).findByText(/moved from version 3 to version 2/)).toBeVisible();
    expect(api.callsTo('POST', `${BASE}/rollback`)[0]?.json).toEqual({
      alias: 'champion',
      reason: 'errors up',
    });
  });

  it('edits the traffic split and refuses a weight over 100', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read', 'models:write']));
    models(api);
    api.on('PUT', `${BASE}/traffic`, (call) =>
      jsonResponse({
        model: 'ticket-triage',
        champion: 3,
        challenger: 4,
        updated_by: 'ada',
        ...(call.json as object),
      }),
    );
    const { user: ui } = renderApp('/models');
    const weight = await screen.findByLabelText('Challenger weight (% of routing keys)');
    expect(weight).toHaveValue(10);
    await ui.clear(weight);
    await ui.type(weight, '150');
    expect(screen.getByRole('button', { name: 'Save traffic split' })).toBeDisabled();
    expect(screen.getByText(/whole number from 0 to 100/)).toBeInTheDocument();
    await ui.clear(weight);
    await ui.type(weight, '25');
    const shadow = screen.getByLabelText(/Shadow sample/);
    await ui.clear(shadow);
    await ui.type(shadow, '0.5');
    await ui.click(screen.getByRole('button', { name: 'Save traffic split' }));
    expect(await screen.findByText(/Saved: 25 % to the challenger/)).toBeInTheDocument();
    expect(api.callsTo('PUT', `${BASE}/traffic`)[0]?.json).toEqual({
      challenger_weight: 25,
      shadow_sample: 0.5,
    });
  });

  it('starts a training run and follows it to its gates', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const api = mockFetch();
    signIn(api, user(['models:read', 'models:write']));
    models(api);
    api.on('POST', '/api/v1/training-runs', run({}), 202);
    api.once('GET', '/api/v1/training-runs/run-1', run({ status: 'running', stage: 'fit' }));
    api.on(
      'GET',
      '/api/v1/training-runs/run-1',
      run({
        status: 'succeeded',
        stage: 'done',
        progress: 1,
        version: 5,
        gate_results: [
          { name: 'macro_f1', passed: true, value: 0.912, threshold: 0.8, message: 'ok' },
        ],
      }),
    );
    const { user: ui } = renderApp('/models');
    await ui.type(await screen.findByLabelText(/Generated tickets/), '1000');
    await ui.click(screen.getByLabelText(/Make it champion/));
    await ui.click(screen.getByRole('button', { name: 'Start training run' }));
    expect(await screen.findByText(/stage fit/)).toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(TRAINING_POLL_MS + 100);
    expect(await screen.findByText(/registered version 5/)).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Gates' })).toHaveTextContent('macro_f1yes0.9120.8');
    expect(api.callsTo('POST', '/api/v1/training-runs')[0]?.json).toEqual({
      rows: 1000,
      promote: true,
      drift_strength: 0,
      label_noise: 0,
    });
  });

  it('is read-only without models:write', async () => {
    const api = mockFetch();
    signIn(api, user(['models:read']));
    models(api);
    renderApp('/models');
    expect(await screen.findByLabelText('Challenger weight (% of routing keys)')).toBeDisabled();
    expect(screen.queryByRole('heading', { name: 'Promote' })).toBeNull();
    expect(screen.queryByRole('heading', { name: 'Training' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Save traffic split' })).toBeNull();
    await waitFor(() => {
      expect(api.callsTo('GET', `${BASE}/versions`).length).toBeGreaterThan(0);
    });
  });
});
