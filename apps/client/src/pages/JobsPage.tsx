import { keys } from '../api/queryKeys';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type SubmitEvent } from 'react';
import { useApi } from '../api/ApiContext';
import type { ResultFormat } from '../api/endpoints';
import { ApiError } from '../api/problem';
import type { Job } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Page } from '../components/Page';
import { StatusBadge, Success } from '../components/Status';
import { saveBlob } from '../lib/download';
import { dateTime, shortId } from '../lib/format';
import { newIdempotencyKey } from '../lib/idempotency';
import { JsonLinesError, parseJobLines } from '../lib/jsonLines';
import { Progress, jobShare } from '../components/Progress';
import { PagedTable } from '../components/PagedTable';
import { usePagedQuery } from '../lib/usePagedQuery';

export const JOBS_PAGE_SIZE = 20;
export const JOBS_POLL_MS = 2000;
const ACTIVE = new Set<Job['status']>(['queued', 'running']);

type Submission =
  { kind: 'lines'; text: string; key: string } | { kind: 'file'; file: File; key: string };

export function JobsPage() {
  return (
    <Page title="Jobs">
      <CreateJob />
      <JobList />
    </Page>
  );
}

function CreateJob() {
  const api = useApi();
  const queryClient = useQueryClient();
  const id = useId();
  const [mode, setMode] = useState<'lines' | 'file'>('lines');
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [inputError, setInputError] = useState<string[] | null>(null);

  const submit = useMutation({
    mutationFn: (submission: Submission) =>
      submission.kind === 'lines'
        ? api.submitJobItems(parseJobLines(submission.text), submission.key)
        : api.submitJobFile(submission.file, submission.key),
    // A lost answer is retried with the same Idempotency-Key: the server returns the same
    // job instead of creating a second one.
    retry: (count, error) => count < 2 && error instanceof ApiError && error.isNetworkError,
    onSuccess: () => {
      setText('');
      setFile(null);
      void queryClient.invalidateQueries({ queryKey: keys.jobs.all });
    },
  });

  function onSubmit(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    setInputError(null);
    // One key per submission (a click), reused only by the automatic retries of that click.
    const key = newIdempotencyKey();
    if (mode === 'lines') {
      try {
        parseJobLines(text);
      } catch (error) {
        if (error instanceof JsonLinesError) {
          setInputError(error.problems);
          return;
        }
        throw error;
      }
      submit.mutate({ kind: 'lines', text, key });
    } else if (file) {
      submit.mutate({ kind: 'file', file, key });
    }
  }

  const canSubmit = mode === 'lines' ? text.trim().length > 0 : file !== null;

  return (
    <section aria-labelledby={`${id}-title`} className="stack panel">
      <h2 id={`${id}-title`}>New job</h2>
      <form onSubmit={onSubmit} className="stack">
        <fieldset className="inline">
          <legend>Input</legend>
          <label>
            <input
              type="radio"
              name="job-input"
              checked={mode === 'lines'}
              onChange={() => {
                setMode('lines');
              }}
            />
            JSON lines
          </label>
          <label>
            <input
              type="radio"
              name="job-input"
              checked={mode === 'file'}
              onChange={() => {
                setMode('file');
              }}
            />
            Upload a CSV or JSONL file
          </label>
        </fieldset>
        {mode === 'lines' ? (
          <>
            <label htmlFor={`${id}-lines`}>Items, one JSON object per line</label>
            <textarea
              id={`${id}-lines`}
              rows={5}
              value={text}
              placeholder={'{"text": "I was charged twice", "id": "T-1"}'}
              aria-describedby={`${id}-lines-hint`}
              aria-invalid={inputError ? true : undefined}
              onChange={(event) => {
                setText(event.target.value);
              }}
            />
            <p id={`${id}-lines-hint`} className="muted small">
              Each line: <code>{'{"text": "...", "id": "optional reference"}'}</code>
            </p>
          </>
        ) : (
          <>
            <label htmlFor={`${id}-file`}>File (CSV with a text column, or JSONL)</label>
            <input
              id={`${id}-file`}
              type="file"
              accept=".csv,.jsonl,.ndjson,text/csv,application/jsonl,application/x-ndjson"
              onChange={(event) => {
                setFile(event.target.files?.[0] ?? null);
              }}
            />
          </>
        )}
        {inputError ? (
          <div className="notice notice-error" role="alert">
            <p>Fix these lines first:</p>
            <ul>
              {inputError.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <ErrorNotice error={submit.error} title="Submission failed" />
        {submit.isSuccess ? (
          <Success>
            Job <code>{shortId(submit.data.id)}</code> {submit.data.status} with {submit.data.total}{' '}
            items.
          </Success>
        ) : null}
        <div>
          <button type="submit" disabled={!canSubmit || submit.isPending}>
            {submit.isPending ? 'Submitting…' : 'Submit job'}
          </button>
        </div>
      </form>
    </section>
  );
}

function JobList() {
  const api = useApi();
  const paged = usePagedQuery({
    pageSize: JOBS_PAGE_SIZE,
    queryKey: keys.jobs.page,
    fetchPage: api.listJobs,
    // Poll only while something on screen can still change.
    active: (job: Job) => ACTIVE.has(job.status),
    pollMs: JOBS_POLL_MS,
  });
  return (
    <PagedTable
      titleId="jobs-title"
      title="Your jobs"
      paged={paged}
      texts={{
        error: 'Could not load jobs',
        empty: 'No jobs yet.',
        table: 'Batch jobs',
        caption: 'Batch jobs, newest first',
        pages: 'Job pages',
      }}
      columns={['Job', 'Status', 'Progress', 'Model', 'Created', 'Actions']}
      row={(job) => <JobRow key={job.id} job={job} />}
    />
  );
}

function JobRow({ job }: { job: Job }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => api.cancelJob(job.id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.jobs.all }),
  });
  const download = useMutation({
    mutationFn: async (format: ResultFormat) => {
      const response = await api.jobResults(job.id, format);
      saveBlob(await response.blob(), `job-${job.id}.${format}`);
    },
  });
  const label = `job ${shortId(job.id)}`;
  return (
    <tr>
      <td>
        <code title={job.id}>{shortId(job.id)}</code>
      </td>
      <td>
        <StatusBadge status={job.status} />
        {job.error ? <div className="small">{job.error}</div> : null}
      </td>
      <td>
        <Progress done={jobShare(job.progress)} label={`Progress of ${label}`} />{' '}
        <span className="small muted">
          ({job.processed}/{job.total} items)
        </span>
      </td>
      <td>
        {job.model}
        {job.version !== null ? ` v${job.version}` : ''}
      </td>
      <td>{dateTime(job.created_at)}</td>
      <td>
        <div className="button-row">
          {ACTIVE.has(job.status) ? (
            <button
              type="button"
              className="secondary"
              disabled={cancel.isPending}
              aria-label={`Cancel ${label}`}
              onClick={() => {
                cancel.mutate();
              }}
            >
              Cancel
            </button>
          ) : null}
          {job.status === 'succeeded'
            ? (['jsonl', 'csv'] as const).map((format) => (
                <button
                  key={format}
                  type="button"
                  className="secondary"
                  disabled={download.isPending}
                  aria-label={`Download results of ${label} as ${format.toUpperCase()}`}
                  onClick={() => {
                    download.mutate(format);
                  }}
                >
                  {format.toUpperCase()}
                </button>
              ))
            : null}
        </div>
        <ErrorNotice error={cancel.error ?? download.error} />
      </td>
    </tr>
  );
}
