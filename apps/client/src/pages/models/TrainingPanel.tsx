import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type SubmitEvent } from 'react';
import { useApi } from '../../api/ApiContext';
import type { TrainingRun } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/Status';
import { percent } from '../../lib/format';

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
    queryKey: ['training-runs', runId],
    queryFn: () => api.getTrainingRun(runId),
    refetchInterval: (query) =>
      query.state.data && FINISHED.has(query.state.data.status) ? false : TRAINING_POLL_MS,
  });
  const finished = run.data ? FINISHED.has(run.data.status) : false;
  // A finished run may have registered or promoted a version: show it.
  useEffect(() => {
    if (finished) void queryClient.invalidateQueries({ queryKey: ['models'] });
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
          <progress
            max={1}
            value={run.data.progress}
            aria-label={`Training progress ${percent(run.data.progress, 0)}`}
          />
          {run.data.gate_results.length > 0 ? (
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
          ) : null}
          {run.data.error ? (
            <pre className="small">{JSON.stringify(run.data.error, null, 2)}</pre>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
