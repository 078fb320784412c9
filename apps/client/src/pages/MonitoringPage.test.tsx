import { render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DriftReport, MonitoringOverview, QualityReport } from '../api/types';
import { mockFetch } from '../test/fetchMock';
import { user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';
import { DriftView, OverviewView, QualityView, formatInterval } from './monitoring/views';

const OVERVIEW: MonitoringOverview = {
  retrain_trigger: 'suggest',
  interval_s: 300,
  models: [
    {
      model: 'ticket-triage',
      versions: [
        {
          version: 3,
          role: 'champion',
          drift: { severity: 'major', window_size: 500, created_at: '2026-01-01T00:00:00Z' },
          quality: {
            status: 'ok',
            window_size: 400,
            below_gate: false,
            created_at: '2026-01-01T00:00:00Z',
          },
        },
        { version: 4, role: 'challenger', drift: null, quality: null },
      ],
      last_trigger: null,
    },
  ],
};

const DRIFT: DriftReport = {
  model: 'ticket-triage',
  version: 3,
  role: 'champion',
  shadow: false,
  window_start: null,
  window_end: null,
  window_size: 500,
  min_window: 100,
  severity: 'major',
  features: [
    {
      feature: 'text_length',
      kind: 'numeric',
      method: 'ks',
      statistic: 0.31,
      p_value: 0.001,
      threshold: 0.05,
      drifted: true,
      reference_mean: 120,
      window_mean: 180.5,
      psi: 0.27,
      severity: 'major',
      window_size: 500,
    },
    {
      feature: 'predicted_class',
      kind: 'categorical',
      method: 'chi2',
      statistic: 2.1,
      p_value: 0.4,
      threshold: 0.05,
      drifted: false,
      psi: 0.02,
      severity: 'none',
      window_size: 500,
    },
  ],
};

const QUALITY: QualityReport = {
  model: 'ticket-triage',
  version: 3,
  role: 'champion',
  status: 'ok',
  labelled: 400,
  min_labels: 100,
  feedback: {
    count: 400,
    confidence_level: 0.95,
    accuracy: { value: 0.91, low: 0.88, high: 0.94 },
    precision: { value: 0.9, low: 0.86, high: 0.93 },
    recall: { value: 0.89, low: null, high: null },
    macro_auc: null,
  },
  estimated: { count: 900, accuracy: 0.92, precision: null, recall: null, per_class: {} },
  calibration: null,
  segments: null,
  failed_gates: [],
  gates: {},
  window_start: '2026-01-01T00:00:00Z',
  window_end: '2026-01-02T00:00:00Z',
};

describe('Monitoring page', () => {
  it('shows the overview, drift per feature and quality with intervals', async () => {
    const api = mockFetch();
    signIn(api, user(['monitoring:read']));
    api.on('GET', '/api/v1/monitoring/overview', OVERVIEW);
    api.on('GET', '/api/v1/monitoring/drift', DRIFT);
    api.on('GET', '/api/v1/monitoring/quality', QUALITY);
    const { user: ui } = renderApp('/monitoring');

    expect(await screen.findByLabelText('Overview figures')).toHaveTextContent(
      'retraining triggersuggestchecked every300 s',
    );
    const versions = await screen.findByRole('table', { name: 'Model ticket-triage' });
    expect(within(versions).getAllByRole('row')[1]).toHaveTextContent('3championmajorok');
    expect(within(versions).getAllByRole('row')[2]).toHaveTextContent(
      '4challengernot checkednot checked',
    );

    const drift = await screen.findByRole('table', { name: 'Features' });
    const rows = within(drift).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('text length0.3100 (ks)0.27000.001000120 → 180.5major');
    expect(within(rows[1] as HTMLElement).getByText('major')).toHaveClass('badge-fail');
    expect(rows[2]).toHaveTextContent('predicted class2.100 (chi2)0.020000.4000—none');
    expect(within(rows[2] as HTMLElement).getByText('none')).toHaveClass('badge-ok');

    const feedback = await screen.findByRole('table', {
      name: 'From feedback (labelled predictions)',
    });
    expect(within(feedback).getAllByRole('row')[1]).toHaveTextContent(
      'accuracy0.91000.8800 – 0.9400',
    );
    expect(within(feedback).getAllByRole('columnheader')[2]).toHaveTextContent('(95 %)');
    expect(within(feedback).getAllByRole('row')[3]).toHaveTextContent('recall0.8900—');
    expect(screen.getByRole('table', { name: 'Estimated (without labels)' })).toHaveTextContent(
      'accuracy0.9200',
    );
    // Blank filters are left to the server (served model, champion, default window).
    expect(api.callsTo('GET', '/api/v1/monitoring/drift')[0]?.url.search).toBe('');

    await ui.type(screen.getByLabelText(/^Version/), '4');
    await ui.type(screen.getByLabelText(/^Window/), '1000');
    await ui.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => {
      expect(api.callsTo('GET', '/api/v1/monitoring/drift').at(-1)?.url.search).toBe(
        '?version=4&window=1000',
      );
    });
    expect(api.callsTo('GET', '/api/v1/monitoring/quality').at(-1)?.url.search).toBe('?version=4');
  });
});

describe('monitoring views', () => {
  it('shows a dash for an interval with a missing bound', () => {
    expect(formatInterval({ low: 0.1, high: 0.2 })).toBe('0.1000 – 0.2000');
    expect(formatInterval({ low: null, high: 0.2 })).toBe('—');
    expect(formatInterval(null)).toBe('—');
  });

  it('renders what is absent before any check or feedback', () => {
    render(
      <>
        <OverviewView data={{ retrain_trigger: 'off', interval_s: 60, models: [] }} />
        <DriftView
          data={{
            ...DRIFT,
            severity: 'insufficient_data',
            role: null,
            shadow: true,
            window_size: 0,
            features: [],
          }}
        />
        <QualityView
          data={{
            ...QUALITY,
            status: 'insufficient_data',
            labelled: 0,
            feedback: null,
            estimated: { count: 0, accuracy: null, precision: null, recall: null, per_class: {} },
            failed_gates: ['macro_f1'],
            gates: { macro_f1: 0.8 },
          }}
        />
      </>,
    );
    expect(screen.getByText('No model is monitored yet.')).toBeInTheDocument();
    expect(screen.getByLabelText('Drift summary')).toHaveTextContent('ticket-triage v3severity');
    expect(screen.getByLabelText('Drift summary')).toHaveTextContent('shadowscored in shadow');
    expect(screen.getByText('No feature drift reported for this window.')).toBeInTheDocument();
    expect(screen.getByText(/No quality from feedback yet/)).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Estimated (without labels)' })).toHaveTextContent(
      'accuracy—',
    );
    expect(screen.getByText('Failed gates: macro_f1')).toBeInTheDocument();
    expect(screen.getByLabelText('Quality gates')).toHaveTextContent('macro f10.8000');
  });

  it('renders a severity it does not know as a plain badge', () => {
    const feature = { ...DRIFT.features[0], severity: 'extreme' } as unknown as NonNullable<
      DriftReport['features'][number]
    >;
    render(<DriftView data={{ ...DRIFT, features: [feature] }} />);
    expect(screen.getByText('extreme')).toHaveClass('badge');
    expect(screen.getByText('extreme')).not.toHaveClass('badge-fail');
  });
});
