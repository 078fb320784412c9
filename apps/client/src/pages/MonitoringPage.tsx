import { keys } from '../api/queryKeys';
import { useQuery } from '@tanstack/react-query';
import { useId, useState, type SubmitEvent } from 'react';
import { useApi } from '../api/ApiContext';
import { ErrorNotice } from '../components/ErrorNotice';
import { Page } from '../components/Page';
import { Loading } from '../components/Status';
import { DriftView, OverviewView, QualityView } from './monitoring/views';
import { LatencyChart, QualityHistoryChart, TrafficChart } from '../components/charts/lazy';

/** Blank fields are left out of the query: the server picks the served model, its champion
 * and its default window (the newest predictions to judge). */
interface Filters {
  model?: string;
  version: number | null;
  window: number | null;
}

function positiveInt(text: string): number | null {
  const value = Number.parseInt(text, 10);
  return Number.isNaN(value) || value < 1 ? null : value;
}

export function MonitoringPage() {
  const api = useApi();
  const id = useId();
  const [draft, setDraft] = useState({ model: '', version: '', window: '' });
  const [filters, setFilters] = useState<Filters>({ version: null, window: null });

  const overview = useQuery({
    queryKey: keys.monitoring.overview,
    queryFn: api.monitoringOverview,
    refetchInterval: 30_000,
  });
  const drift = useQuery({
    queryKey: keys.monitoring.drift(filters),
    queryFn: () => api.drift(filters),
  });
  const quality = useQuery({
    queryKey: keys.monitoring.quality(filters.model, filters.version),
    queryFn: () => api.quality({ model: filters.model, version: filters.version }),
  });

  const history = useQuery({
    queryKey: keys.monitoring.qualityHistory(filters.model, filters.version),
    queryFn: () => api.qualityHistory({ model: filters.model, version: filters.version }),
  });
  const served = overview.data?.models.find((m) => m.model === (filters.model ?? m.model));
  const roles = new Map((served?.versions ?? []).map((v) => [v.version, v.role]));

  function onSubmit(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    const model = draft.model.trim();
    setFilters({
      ...(model ? { model } : {}),
      version: positiveInt(draft.version),
      window: positiveInt(draft.window),
    });
  }

  return (
    <Page title="Monitoring">
      <section aria-labelledby={`${id}-overview`} className="panel stack">
        <h2 id={`${id}-overview`}>Overview</h2>
        {overview.isPending ? <Loading /> : null}
        <ErrorNotice error={overview.error} title="Could not load the overview" />
        {overview.data !== undefined ? <OverviewView data={overview.data} /> : null}
      </section>

      <form onSubmit={onSubmit} className="filters" aria-label="Drift and quality filters">
        <label>
          Model (blank: the served model)
          <input
            value={draft.model}
            onChange={(event) => {
              setDraft({ ...draft, model: event.target.value });
            }}
          />
        </label>
        <label>
          Version (blank: champion)
          <input
            type="number"
            min={1}
            className="narrow"
            value={draft.version}
            onChange={(event) => {
              setDraft({ ...draft, version: event.target.value });
            }}
          />
        </label>
        <label>
          Window (newest predictions; blank: default)
          <input
            type="number"
            min={1}
            max={100000}
            className="narrow"
            value={draft.window}
            onChange={(event) => {
              setDraft({ ...draft, window: event.target.value });
            }}
          />
        </label>
        <button type="submit">Apply</button>
      </form>

      <section aria-labelledby={`${id}-drift`} className="panel stack">
        <h2 id={`${id}-drift`}>Drift</h2>
        {drift.isPending ? <Loading /> : null}
        <ErrorNotice error={drift.error} title="Could not load drift" />
        {drift.data !== undefined ? <DriftView data={drift.data} /> : null}
      </section>

      <section aria-labelledby={`${id}-quality`} className="panel stack">
        <h2 id={`${id}-quality`}>Quality</h2>
        {quality.isPending ? <Loading /> : null}
        <ErrorNotice error={quality.error} title="Could not load quality" />
        {quality.data !== undefined ? <QualityView data={quality.data} /> : null}
        <ErrorNotice error={history.error} title="Could not load quality over time" />
        {history.data !== undefined ? <QualityHistoryChart history={history.data} /> : null}
      </section>

      <TrafficSection model={filters.model} roles={roles} />
    </Page>
  );
}

const TRAFFIC_WINDOWS = [
  { minutes: 60, label: 'last hour' },
  { minutes: 360, label: 'last 6 hours' },
  { minutes: 1440, label: 'last 24 hours' },
] as const;

/** Served traffic over a window: answers per minute by version, latency percentiles. */
function TrafficSection({ model, roles }: { model?: string; roles: Map<number, string> }) {
  const api = useApi();
  const id = useId();
  const [minutes, setMinutes] = useState<number>(60);
  const traffic = useQuery({
    queryKey: keys.monitoring.traffic(model, minutes),
    queryFn: () => api.traffic({ model, minutes }),
    refetchInterval: 30_000,
  });
  return (
    <section aria-labelledby={`${id}-traffic`} className="panel stack">
      <h2 id={`${id}-traffic`}>Traffic</h2>
      <label>
        Traffic window{' '}
        <select
          value={minutes}
          onChange={(event) => {
            setMinutes(Number(event.target.value));
          }}
        >
          {TRAFFIC_WINDOWS.map((w) => (
            <option key={w.minutes} value={w.minutes}>
              {w.label}
            </option>
          ))}
        </select>
      </label>
      {traffic.isPending ? <Loading /> : null}
      <ErrorNotice error={traffic.error} title="Could not load traffic" />
      {traffic.data !== undefined ? (
        <div className="grid-2">
          <TrafficChart traffic={traffic.data} roles={roles} />
          <LatencyChart traffic={traffic.data} />
        </div>
      ) : null}
    </section>
  );
}
