import { render, screen, within } from '@testing-library/react';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport, QualityHistory, QualityReport, Traffic } from '../api/types';
import { mockFetch } from '../test/fetchMock';
import { user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';
import { GateChart } from './models/GateChart';

const MON = '/api/v1/monitoring';
const feature = (name: 'text_length' | 'confidence', psi: number, severity: string) => ({
  feature: name,
  kind: 'numeric' as const,
  method: 'ks' as const,
  statistic: 0.3,
  p_value: 0.01,
  threshold: 0.05,
  drifted: severity !== 'none',
  psi,
  severity: severity as DriftReport['severity'],
  window_size: 800,
});

const DRIFT: DriftReport = {
  model: 'ticket-triage',
  version: 3,
  role: 'champion',
  shadow: false,
  window_start: null,
  window_end: null,
  window_size: 800,
  min_window: 500,
  severity: 'major',
  features: [
    {
      ...feature('text_length', 0.41, 'major'),
      bins: [
        { label: '0-50', reference: 0.3, window: 0.1 },
        { label: '50-100', reference: 0.5, window: 0.3 },
        { label: '100-150', reference: 0.2, window: 0.6 },
      ],
    },
    feature('confidence', 0.05, 'none'),
  ],
};

const QUALITY: QualityReport = {
  model: 'ticket-triage',
  version: 3,
  role: 'champion',
  status: 'ok',
  labelled: 300,
  min_labels: 200,
  feedback: null,
  estimated: { count: 300, accuracy: 0.9, precision: null, recall: null, per_class: {} },
  calibration: {
    expected_calibration_error: 0.042,
    bins: [
      { lower: 0.5, upper: 0.6, count: 20, confidence: 0.55, accuracy: 0.5 },
      { lower: 0.9, upper: 1, count: 200, confidence: 0.95, accuracy: 0.93 },
      { lower: 0.1, upper: 0.2, count: 0, confidence: null, accuracy: null },
    ],
  },
  segments: null,
  failed_gates: [],
  gates: { precision: 0.7 },
  window_start: '2026-01-01T00:00:00Z',
  window_end: '2026-01-02T00:00:00Z',
};

const interval = (value: number) => ({ value, low: value - 0.03, high: value + 0.03 });
const HISTORY: QualityHistory = {
  model: 'ticket-triage',
  version: 3,
  role: 'champion',
  confidence_level: 0.95,
  gates: { precision: 0.7, recall: 0.7 },
  points: [0.92, 0.8].map((value, index) => ({
    window_end: `2026-01-0${index + 1}T00:00:00Z`,
    created_at: `2026-01-0${index + 1}T00:00:00Z`,
    status: 'ok' as const,
    labelled: 250,
    below_gate: value < 0.85,
    accuracy: interval(value),
    precision: interval(value - 0.01),
    recall: interval(value - 0.02),
    macro_auc: null,
  })),
};

function at<T>(items: T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}

function traffic(): Traffic {
  const steps = Array.from({ length: 60 }, (_, index) => ({
    start: new Date(Date.UTC(2026, 0, 1, 12, index)).toISOString(),
    predictions: 0,
    per_minute: 0,
    versions: [] as Traffic['steps'][number]['versions'],
    latency_ms: null as Traffic['steps'][number]['latency_ms'],
  }));
  steps[58] = {
    ...at(steps, 58),
    predictions: 3,
    per_minute: 3,
    versions: [{ version: 3, predictions: 3 }],
    latency_ms: { p50: 1, p95: 2.5, p99: 4 },
  };
  steps[59] = {
    ...at(steps, 59),
    predictions: 3,
    per_minute: 3,
    versions: [
      { version: 3, predictions: 1 },
      { version: 4, predictions: 2 },
    ],
    latency_ms: { p50: 1, p95: 9, p99: 9.8 },
  };
  return {
    model: 'ticket-triage',
    window_start: at(steps, 0).start,
    window_end: '2026-01-01T13:00:00Z',
    step_s: 60,
    steps,
  };
}

describe('monitoring charts', () => {
  // The charts are a chunk of their own, loaded on first use: load it once up front.
  beforeAll(async () => {
    await import('../components/charts/all');
  });

  it(
    'draws drift, reliability, quality over time and traffic, each with a text alternative',
    { timeout: 30_000 },
    async () => {
      const api = mockFetch();
      signIn(api, user(['monitoring:read']));
      api.on('GET', `${MON}/overview`, {
        retrain_trigger: 'suggest',
        interval_s: 900,
        models: [
          {
            model: 'ticket-triage',
            versions: [
              { version: 3, role: 'champion', drift: null, quality: null },
              { version: 4, role: 'challenger', drift: null, quality: null },
            ],
            last_trigger: null,
          },
        ],
      });
      api.on('GET', `${MON}/drift`, DRIFT);
      api.on('GET', `${MON}/quality`, QUALITY);
      api.on('GET', `${MON}/quality/history`, HISTORY);
      api.on('GET', `${MON}/traffic`, traffic());
      renderApp('/monitoring');

      const drift = await screen.findByRole(
        'img',
        { name: /^Population stability index/ },
        { timeout: 10_000 },
      );
      expect(drift).toHaveAccessibleName(
        expect.stringContaining('Highest: text_length, PSI 0.4100, severity major'),
      );
      expect(drift.querySelectorAll('.recharts-bar-rectangle')).toHaveLength(2);
      expect(drift).toHaveTextContent('PSI (unitless)');

      // The reference and window distributions of a feature that has them, side by side.
      const lengths = await screen.findByRole('img', {
        name: /^text_length: reference and window/,
      });
      expect(lengths).toHaveAccessibleName(
        'text_length: reference and window distributions over 3 bins, PSI 0.4100, severity major. Largest change in 100-150: 20 % of the reference, 60 % of the window.',
      );
      expect(lengths.querySelectorAll('.recharts-bar-rectangle')).toHaveLength(6);
      expect(lengths).toHaveTextContent('share (%)');
      expect(screen.queryByRole('img', { name: /^confidence: reference and window/ })).toBeNull();

      const reliability = await screen.findByRole('img', { name: /^Reliability diagram/ });
      expect(reliability).toHaveAccessibleName(
        expect.stringContaining('confidence 0.9500: accuracy 0.9300 (200 predictions)'),
      );
      expect(reliability.querySelector('.recharts-reference-line')).not.toBeNull();
      expect(reliability).toHaveTextContent('mean confidence (share)');
      expect(reliability).toHaveTextContent('accuracy (share)');

      const quality = await screen.findByRole('img', {
        name: /^Quality of version 3 over 2 windows/,
      });
      expect(quality).toHaveAccessibleName(
        expect.stringContaining('Latest: accuracy 0.8000, precision 0.7900, recall 0.7800'),
      );
      expect(quality.querySelectorAll('.recharts-errorBar').length).toBeGreaterThan(0);

      const rate = await screen.findByRole('img', { name: /predictions answered in the window/ });
      expect(rate).toHaveAccessibleName(
        '6 predictions answered in the window, peak 3 per minute; share: version 3 (champion) 67 %, version 4 (challenger) 33 %.',
      );
      expect(rate).toHaveTextContent('predictions / min');
      const latency = screen.getByRole('img', { name: /^Latency percentiles/ });
      expect(latency).toHaveAccessibleName(expect.stringContaining('highest p99 is 9.800 ms'));
      expect(latency).toHaveTextContent('latency (ms)');
      expect(api.callsTo('GET', `${MON}/traffic`)[0]?.url.search).toBe('?minutes=60');
    },
  );

  it('draws gate results as bars against their thresholds', () => {
    render(
      <GateChart
        gates={[
          { name: 'macro_f1', passed: true, value: 0.91, threshold: 0.8, message: 'ok' },
          { name: 'macro_auc', passed: false, value: 0.9, threshold: 0.93, message: 'low' },
        ]}
      />,
    );
    const chart = screen.getByRole('img', { name: /gates passed/ });
    expect(chart).toHaveAccessibleName(
      '1 of 2 gates passed; failed: macro_auc. macro_f1 0.910 against 0.8; macro_auc 0.900 against 0.93',
    );
    // Two bars per gate: its value and its threshold.
    expect(chart.querySelectorAll('.recharts-bar-rectangle')).toHaveLength(4);
    expect(within(chart).getByText('macro_auc')).toBeInTheDocument();
  });
});
