/**
 * Rendering of the monitoring answers (OverviewOut, DriftOut, QualityOut in the contract).
 * Every field the contract marks nullable or optional is read as possibly absent: a
 * version never checked, a statistic a small window cannot give, a section that needs
 * feedback nobody gave yet. Unknown enum values (a newer server) render as plain text.
 */
import type { ReactNode } from 'react';
import type {
  DriftReport,
  EstimatedQuality,
  FeatureDrift,
  FeedbackQuality,
  Interval,
  ModelOverview,
  MonitoringOverview,
  QualityReport,
  SegmentGap,
  Calibration,
} from '../../api/types';
import { dateTime, percent } from '../../lib/format';
import { DataTable as Table } from '../../components/DataTable';

import { DistributionChart, DriftChart, ReliabilityChart } from '../../components/charts/lazy';
import { formatInterval, formatNumber } from './format';

export { formatInterval, formatNumber };

const SEVERITY_CLASS: Record<string, string> = {
  major: 'badge badge-fail',
  moderate: 'badge badge-wait',
  none: 'badge badge-ok',
  ok: 'badge badge-ok',
  insufficient_data: 'badge',
};

function label(value: string): string {
  return value.replace(/_/g, ' ');
}

/** A drift severity or quality status as a badge (unknown values get a plain badge). */
export function SeverityBadge({ value }: { value: string }) {
  return <span className={SEVERITY_CLASS[value] ?? 'badge'}>{label(value)}</span>;
}

function Pairs({ label: name, items }: { label: string; items: [string, ReactNode][] }) {
  return (
    <dl className="pairs" aria-label={name}>
      {items.map(([term, value]) => (
        <Pair key={term} name={term}>
          {value}
        </Pair>
      ))}
    </dl>
  );
}

function Pair({ name, children }: { name: string; children: ReactNode }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </>
  );
}

function windowText(start: string | null | undefined, end: string | null | undefined): string {
  return start || end ? `${dateTime(start)} → ${dateTime(end)}` : '—';
}

// --- overview ----------------------------------------------------------------------------

/** The overview: the trigger policy, then per model its versions' last checks. */
export function OverviewView({ data }: { data: MonitoringOverview }) {
  return (
    <div className="stack">
      <Pairs
        label="Overview figures"
        items={[
          ['retraining trigger', label(data.retrain_trigger)],
          ['checked every', `${formatNumber(data.interval_s)} s`],
        ]}
      />
      {data.models.length === 0 ? <p>No model is monitored yet.</p> : null}
      {data.models.map((model) => (
        <ModelOverviewView key={model.model} model={model} />
      ))}
    </div>
  );
}

/** Per version: its role, the severity of its last drift check, the status of its quality. */
function ModelOverviewView({ model }: { model: ModelOverview }) {
  const trigger = model.last_trigger;
  return (
    <div className="stack">
      {model.versions.length > 0 ? (
        <Table caption={`Model ${model.model}`} columns={['Version', 'Role', 'Drift', 'Quality']}>
          {model.versions.map((version) => (
            <tr key={version.version}>
              <th scope="row">{version.version}</th>
              <td>{version.role}</td>
              <td>
                {version.drift ? <SeverityBadge value={version.drift.severity} /> : 'not checked'}
              </td>
              <td>
                {version.quality ? <SeverityBadge value={version.quality.status} /> : 'not checked'}
                {version.quality?.below_gate ? ' (below gate)' : null}
              </td>
            </tr>
          ))}
        </Table>
      ) : (
        <p>Model {model.model}: no versions monitored yet.</p>
      )}
      {trigger ? (
        <p className="small">
          Last retraining trigger ({dateTime(trigger.created_at)}): {trigger.reason} on version{' '}
          {trigger.version} ({trigger.action}): {trigger.detail}
        </p>
      ) : null}
    </div>
  );
}

// --- drift -------------------------------------------------------------------------------

function meansText(feature: FeatureDrift): string {
  const reference = feature.reference_mean;
  const window = feature.window_mean;
  if (reference == null && window == null) return '—';
  return `${formatNumber(reference)} → ${formatNumber(window)}`;
}

/** Drift: the window judged, then one row per feature with its test and severity. */
export function DriftView({ data }: { data: DriftReport }) {
  return (
    <div className="stack">
      <Pairs
        label="Drift summary"
        items={[
          ['model', `${data.model} v${data.version}${data.role ? ` (${data.role})` : ''}`],
          ['severity', <SeverityBadge key="severity" value={data.severity} />],
          [
            'window',
            `${formatNumber(data.window_size)} predictions (at least ${formatNumber(data.min_window)})`,
          ],
          ['from → to', windowText(data.window_start, data.window_end)],
          ...(data.shadow ? [['shadow', 'scored in shadow'] as [string, ReactNode]] : []),
        ]}
      />
      {data.features.length === 0 ? (
        <p>No feature drift reported for this window.</p>
      ) : (
        <>
          <DriftChart features={data.features} />
          <div className="grid-2">
            {data.features
              .filter((feature) => (feature.bins ?? []).length > 0)
              .map((feature) => (
                <DistributionChart key={feature.feature} feature={feature} />
              ))}
          </div>
          <Table
            caption="Features"
            columns={[
              'Feature',
              'Statistic',
              'PSI',
              'p-value',
              'Mean (reference → window)',
              'Severity',
            ]}
          >
            {data.features.map((feature) => (
              <tr key={feature.feature}>
                <th scope="row">{label(feature.feature)}</th>
                <td>
                  {formatNumber(feature.statistic)}
                  {feature.method ? <span className="muted small"> ({feature.method})</span> : null}
                </td>
                <td>{formatNumber(feature.psi)}</td>
                <td>{formatNumber(feature.p_value)}</td>
                <td>{meansText(feature)}</td>
                <td>
                  <SeverityBadge value={feature.severity} />
                </td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </div>
  );
}

// --- quality -----------------------------------------------------------------------------

function FeedbackTable({ feedback }: { feedback: FeedbackQuality }) {
  const metrics: [string, Interval | null][] = [
    ['accuracy', feedback.accuracy],
    ['precision', feedback.precision],
    ['recall', feedback.recall],
    ['macro AUC', feedback.macro_auc],
  ];
  return (
    <Table
      caption="From feedback (labelled predictions)"
      columns={[
        'Metric',
        'Value',
        `Confidence interval (${percent(feedback.confidence_level, 0)})`,
      ]}
    >
      {metrics.map(([name, interval]) => (
        <tr key={name}>
          <th scope="row">{name}</th>
          <td>{formatNumber(interval?.value)}</td>
          <td>{formatInterval(interval)}</td>
        </tr>
      ))}
    </Table>
  );
}

function EstimatedTable({ estimated }: { estimated: EstimatedQuality }) {
  const classes = Object.entries(estimated.per_class);
  return (
    <div className="stack">
      <Table caption="Estimated (without labels)" columns={['Metric', 'Value']}>
        {(
          [
            ['accuracy', estimated.accuracy],
            ['precision', estimated.precision],
            ['recall', estimated.recall],
          ] as const
        ).map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>{formatNumber(value)}</td>
          </tr>
        ))}
      </Table>
      {classes.length > 0 ? (
        <Table
          caption="Estimated per class"
          columns={['Class', 'Predicted', 'Precision', 'Recall']}
        >
          {classes.map(([name, row]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{formatNumber(row.predicted)}</td>
              <td>{formatNumber(row.precision)}</td>
              <td>{formatNumber(row.recall)}</td>
            </tr>
          ))}
        </Table>
      ) : null}
    </div>
  );
}

function CalibrationTable({ calibration }: { calibration: Calibration }) {
  return (
    <Table
      caption={`Calibration (expected calibration error ${formatNumber(calibration.expected_calibration_error)})`}
      columns={['Confidence bin', 'Predictions', 'Mean confidence', 'Accuracy']}
    >
      {calibration.bins.map((bin) => (
        <tr key={bin.lower}>
          <th scope="row">
            {formatNumber(bin.lower)} – {formatNumber(bin.upper)}
          </th>
          <td>{formatNumber(bin.count)}</td>
          <td>{formatNumber(bin.confidence)}</td>
          <td>{formatNumber(bin.accuracy)}</td>
        </tr>
      ))}
    </Table>
  );
}

function SegmentsTable({ segments }: { segments: SegmentGap }) {
  return (
    <Table
      caption={`Segments (largest recall gap ${formatNumber(segments.max_recall_gap)})`}
      columns={['Segment', 'Rows', 'Macro recall', 'Judged']}
    >
      {segments.segments.map((segment) => (
        <tr key={segment.segment}>
          <th scope="row">{segment.segment}</th>
          <td>{formatNumber(segment.rows)}</td>
          <td>{formatNumber(segment.macro_recall)}</td>
          <td>
            {segment.judged ? 'yes' : `no (under ${formatNumber(segments.min_segment_size)} rows)`}
          </td>
        </tr>
      ))}
    </Table>
  );
}

/** Quality: measured on feedback with intervals, estimated without labels, and the rest. */
export function QualityView({ data }: { data: QualityReport }) {
  const gates = Object.entries(data.gates);
  return (
    <div className="stack">
      <Pairs
        label="Quality summary"
        items={[
          ['model', `${data.model} v${data.version}${data.role ? ` (${data.role})` : ''}`],
          ['status', <SeverityBadge key="status" value={data.status} />],
          [
            'labelled',
            `${formatNumber(data.labelled)} (judged from ${formatNumber(data.min_labels)})`,
          ],
          ['from → to', windowText(data.window_start, data.window_end)],
        ]}
      />
      {data.failed_gates.length > 0 ? (
        <p className="notice notice-error">Failed gates: {data.failed_gates.join(', ')}</p>
      ) : null}
      {data.feedback ? (
        <FeedbackTable feedback={data.feedback} />
      ) : (
        <p>No quality from feedback yet (it needs labelled predictions).</p>
      )}
      <EstimatedTable estimated={data.estimated} />
      {data.calibration && data.calibration.bins.length > 0 ? (
        <>
          <ReliabilityChart calibration={data.calibration} />
          <CalibrationTable calibration={data.calibration} />
        </>
      ) : null}
      {data.segments && data.segments.segments.length > 0 ? (
        <SegmentsTable segments={data.segments} />
      ) : null}
      {gates.length > 0 ? (
        <Pairs
          label="Quality gates"
          items={gates.map(([name, threshold]) => [label(name), formatNumber(threshold)])}
        />
      ) : null}
    </div>
  );
}
