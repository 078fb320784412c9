import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { jsonResponse, mockFetch } from '../test/fetchMock';
import { job, user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';
import { JOBS_POLL_MS } from './JobsPage';

const JOBS = '/api/v1/jobs';

describe('Jobs page', () => {
  it('submits JSON lines with a fresh Idempotency-Key per submission', async () => {
    const api = mockFetch();
    signIn(api, user(['jobs']));
    api.on('GET', JOBS, { items: [], total: 0 });
    api.on('POST', JOBS, job({ status: 'queued', progress: 0, processed: 0 }), 202);
    const { user: ui } = renderApp('/jobs');
    const box = await screen.findByLabelText('Items, one JSON object per line');

    await ui.type(box, '{{"text": "refund please", "id": "T-1"}');
    await ui.click(screen.getByRole('button', { name: 'Submit job' }));
    expect(await screen.findByText(/queued with/)).toHaveTextContent('Job 11111111 queued');
    await ui.type(box, '{{"text": "another"}');
    await ui.click(screen.getByRole('button', { name: 'Submit job' }));
    await waitFor(() => {
      expect(api.callsTo('POST', JOBS)).toHaveLength(2);
    });

    const [first, second] = api.callsTo('POST', JOBS);
    expect(first?.json).toEqual({ items: [{ text: 'refund please', id: 'T-1' }] });
    expect(second?.json).toEqual({ items: [{ text: 'another', id: null }] });
    const keys = [first, second].map((c) => c?.headers.get('Idempotency-Key'));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('retries a lost submission with the same Idempotency-Key', async () => {
    const api = mockFetch();
    signIn(api, user(['jobs']));
    api.on('GET', JOBS, { items: [], total: 0 });
    api.once('POST', JOBS, () => Promise.reject(new TypeError('Failed to fetch')));
    api.on('POST', JOBS, job({ status: 'queued' }), 202);
    const { user: ui } = renderApp('/jobs');
    await ui.type(
      await screen.findByLabelText('Items, one JSON object per line'),
      '{{"text": "a"}',
    );
    await ui.click(screen.getByRole('button', { name: 'Submit job' }));
    await screen.findByText(/queued with/, {}, { timeout: 4000 });
    const keys = api.callsTo('POST', JOBS).map((c) => c.headers.get('Idempotency-Key'));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('names bad lines and sends nothing', async () => {
    const api = mockFetch();
    signIn(api, user(['jobs']));
    api.on('GET', JOBS, { items: [], total: 0 });
    const { user: ui } = renderApp('/jobs');
    await ui.type(await screen.findByLabelText('Items, one JSON object per line'), 'oops');
    await ui.click(screen.getByRole('button', { name: 'Submit job' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Line 1: not valid JSON.');
    expect(api.callsTo('POST', JOBS)).toHaveLength(0);
  });

  it('uploads a CSV file as multipart', async () => {
    const api = mockFetch();
    signIn(api, user(['jobs']));
    api.on('GET', JOBS, { items: [], total: 0 });
    api.on('POST', JOBS, job({ status: 'queued' }), 202);
    const { user: ui } = renderApp('/jobs');
    await ui.click(await screen.findByLabelText('Upload a CSV or JSONL file'));
    const file = new File(['text\nhello\n'], 'tickets.csv', { type: 'text/csv' });
    await ui.upload(screen.getByLabelText(/^File/), file);
    await ui.click(screen.getByRole('button', { name: 'Submit job' }));
    await screen.findByText(/queued with/);
    const call = api.callsTo('POST', JOBS)[0];
    expect(call?.body).toBeInstanceOf(FormData);
    expect(((call?.body as FormData).get('file') as File).name).toBe('tickets.csv');
    expect(call?.headers.get('Idempotency-Key')).toBeTruthy();
  });

  it('polls while a job runs, and stops once it finished', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const api = mockFetch();
    signIn(api, user(['jobs']));
    api.once('GET', JOBS, {
      items: [job({ status: 'running', progress: 50, processed: 1 })],
      total: 1,
    });
    api.on('GET', JOBS, { items: [job()], total: 1 });
    renderApp('/jobs');
    expect(await screen.findByText('running')).toBeInTheDocument();
    // A job's percent and a training run's fraction show on one scale.
    const bar = screen.getByRole('progressbar', { name: 'Progress of job 11111111: 50 %' });
    expect(bar).toHaveAttribute('max', '1');
    expect(bar).toHaveAttribute('value', '0.5');
    await vi.advanceTimersByTimeAsync(JOBS_POLL_MS + 100);
    expect(await screen.findByText('succeeded')).toBeInTheDocument();
    const calls = api.callsTo('GET', JOBS).length;
    await vi.advanceTimersByTimeAsync(JOBS_POLL_MS * 3);
    expect(api.callsTo('GET', JOBS)).toHaveLength(calls);
    expect(api.callsTo('GET', JOBS)[0]?.url.search).toBe('?limit=20&offset=0');
  });

  it('cancels a queued job', async () => {
    const api = mockFetch();
    signIn(api, user(['jobs']));
    const queued = job({ status: 'queued', progress: 0, processed: 0 });
    api.once('GET', JOBS, { items: [queued], total: 1 });
    api.on('GET', JOBS, { items: [{ ...queued, status: 'cancelled' }], total: 1 });
    api.on('DELETE', `${JOBS}/${queued.id}`, { ...queued, status: 'cancelled' });
    const { user: ui } = renderApp('/jobs');
    await ui.click(await screen.findByRole('button', { name: 'Cancel job 11111111' }));
    expect(await screen.findByText('cancelled')).toBeInTheDocument();
    expect(api.callsTo('DELETE', `${JOBS}/${queued.id}`)).toHaveLength(1);
  });

  it('downloads the results of a finished job as CSV', async () => {
    const api = mockFetch();
    signIn(api, user(['jobs']));
    const done = job();
    api.on('GET', JOBS, { items: [done], total: 1 });
    api.on(
      'GET',
      `${JOBS}/${done.id}/results`,
      () => new Response('id,label\nT-1,billing\n', { headers: { 'Content-Type': 'text/csv' } }),
    );
    const createObjectURL = vi.spyOn(URL, 'createObjectURL');
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    const { user: ui } = renderApp('/jobs');
    const row = (await screen.findByText('succeeded')).closest('tr') as HTMLElement;
    await ui.click(within(row).getByRole('button', { name: /as CSV/ }));
    await waitFor(() => {
      expect(click).toHaveBeenCalledTimes(1);
    });
    const call = api.callsTo('GET', `${JOBS}/${done.id}/results`)[0];
    expect(call?.url.search).toBe('?format=csv');
    expect(call?.headers.get('Authorization')).toMatch(/^Bearer /);
    const blob = createObjectURL.mock.calls[0]?.[0] as Blob;
    expect(await blob.text()).toBe('id,label\nT-1,billing\n');
  });

  it('pages through jobs', async () => {
    const api = mockFetch();
    signIn(api, user(['jobs']));
    api.on('GET', JOBS, (call) =>
      jsonResponse({
        items: [
          job({ id: call.url.searchParams.get('offset') === '0' ? 'aaaaaaaa-1' : 'bbbbbbbb-2' }),
        ],
        total: 25,
      }),
    );
    const { user: ui } = renderApp('/jobs');
    expect(await screen.findByText('Page 1 of 2')).toBeInTheDocument();
    await ui.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('bbbbbbbb')).toBeInTheDocument();
    expect(api.callsTo('GET', JOBS).at(-1)?.url.search).toBe('?limit=20&offset=20');
  });
});
