import { keys } from '../../api/queryKeys';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type SubmitEvent } from 'react';
import { useApi } from '../../api/ApiContext';
import type { TrainingRun } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/Status';
import { Progress } from '../../components/Progress';
import { GateChart } from '../../components/charts/lazy';
import { TableScroll } from '../../components/TableScroll';

export const TRAINING_POLL_MS = 2000;
const FINISHED = new Set<TrainingRun['status']>(['succeeded', 'failed']);

/** Start a training run on generated tickets and follow it to its verdict. */
export function TrainingPanel() {
  const api = useApi();
  const id = useId();
  const [rows, setRows] = useState('');
  const [promote, setPromote] = useState(false);
  const [runId, setRunId] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: () =>
      api.startTraining({
        rows: rows ? Number(rows) : null,
        promote,
        drift_strength: 0,
        label_noise: 0,
      }),
    onSuccess: (run) => {
      setRunId(run.id);
    },
  });

  function onSubmit(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    start.mutate();
  }

  return (
    <section aria-labelledby={`${id}-title`} className="panel stack">
      <h2 id={`${id}-title`}>Training</h2>
      <form onSubmit={onSubmit} className="stack">
        <label>
          Generated tickets (blank: the server default)
          <input
            type="number"
            min={100}
            max={200000}
            step={100}
            className="narrow"
            value={rows}
            onChange={(event) => {
              setRows(event.target.value);
            }}
          />
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={promote}
            onChange={(event) => {
              setPromote(event.target.checked);
            }}
          />
          Make it champion if it passes the gates
        </label>
        <ErrorNotice error={start.error} title="Could not start training" />
        <div>
          <button type="submit" disabled={start.isPending}>
            Start training run
          </button>
        </div>
      </form>
      {runId ? <RunStatus runId={runId} /> : null}
    </section>
  );
}

function RunStatus({ runId }: { runId: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const run = useQuery({
    queryKey: keys.trainingRun(runId),
    queryFn: () => api.getTrainingRun(runId),
    refetchInterval: (query) =>
      query.state.data && FINISHED.has(query.state.data.status) ? false : TRAINING_POLL_MS,
  });
  const finished = run.data ? FINISHED.has(run.data.status) : false;
  // A finished run may have registered or promoted a version: show it.
  useEffect(() => {
    if (finished) void queryClient.invalidateQueries({ queryKey: keys.models.all });
  }, [finished, queryClient]);

  return (
    <div className="stack" aria-live="polite">
      <ErrorNotice error={run.error} title="Could not follow the run" />
      {run.data ? (
        <>
          <p>
            Run <code>{run.data.id}</code> <StatusBadge status={run.data.status} /> stage{' '}
            {run.data.stage}
            {run.data.version !== null ? `, registered version ${run.data.version}` : ''}
          </p>
          <Progress done={run.data.progress} label="Training progress" />
          {run.data.gate_results.length > 0 ? <GateChart gates={run.data.gate_results} /> : null}
          {run.data.gate_results.length > 0 ? (
            <TableScroll label="Gates">
              <table>
                <caption>Gates</caption>
                <thead>
                  <tr>
                    <th scope="col">Gate</th>
                    <th scope="col">Passed</th>
                    <th scope="col">Value</th>
                    <th scope="col">Threshold</th>
                  </tr>
                </thead>
                <tbody>
                  {run.data.gate_results.map((gate) => (
                    <tr key={gate.name}>
                      <th scope="row">{gate.name}</th>
                      <td>{gate.passed ? 'yes' : 'no'}</td>
                      <td>{gate.value === null ? '—' : gate.value.toFixed(3)}</td>
                      <td>{gate.threshold}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          ) : null}
          {run.data.error ? <RunError error={run.data.error} /> : null}
        </>
      ) : null}
    </div>
  );
}

const ERROR_KINDS: Record<string, string> = {
  gates: 'it did not pass every gate',
  data: 'the training data was refused',
  crashed: 'its worker died',
  queue: 'the queue was unreachable',
  internal: 'an internal error',
};

/** The first row-level problems of a refused data set (`kind: data`). */
function dataIssues(error: Record<string, unknown>): string[] {
  const report = error.report;
  if (typeof report !== 'object' || report === null) return [];
  const issues = (report as { issues?: unknown }).issues;
  if (!Array.isArray(issues)) return [];
  return issues
    .slice(0, 5)
    .map((issue: unknown) =>
      typeof issue === 'object' && issue !== null && 'message' in issue
        ? String(issue.message)
        : '',
    )
    .filter(Boolean);
}

/** Why a run failed, as sentences: its kind, its detail, the gates that failed. */
function RunError({ error }: { error: Record<string, unknown> }) {
  const kind = typeof error.kind === 'string' ? error.kind : null;
  const detail = typeof error.detail === 'string' ? error.detail : null;
  const gates = Array.isArray(error.failed_gates)
    ? error.failed_gates.filter((gate): gate is string => typeof gate === 'string')
    : [];
  const issues = dataIssues(error);
  return (
    <div role="alert" className="notice notice-error stack">
      <p>
        <strong>The run failed</strong>
        {kind ? `: ${ERROR_KINDS[kind] ?? kind}` : ''}.
      </p>
      {detail ? <p>{detail}</p> : null}
      {gates.length > 0 ? <p>Failed gates: {gates.join(', ')}.</p> : null}
      {issues.length > 0 ? (
        <ul>
          {issues.map((issue, index) => (
            <li key={index}>{issue}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
