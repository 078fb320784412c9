import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import {
  eventStream,
  mockFetch,
  problemResponse,
  sseEvent,
  type FetchMock,
} from '../test/fetchMock';
import { DRAFT_ID, draft, token, user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';

const DRAFTS = '/api/v1/drafts';
const TICKET = 'I was charged twice for order 42';

function setUp(api: FetchMock) {
  signIn(api, user(['drafts']));
  api.on('GET', DRAFTS, { items: [], total: 0 });
}

async function submitTicket(ui: ReturnType<typeof renderApp>['user']) {
  await ui.type(await screen.findByLabelText('Ticket'), TICKET);
  await ui.click(screen.getByRole('button', { name: 'Draft reply' }));
}

/** The page at /drafts, a ticket sent, and the stream that answers it (still open). */
async function startDraft() {
  const api = mockFetch();
  setUp(api);
  const stream = eventStream();
  api.on('POST', DRAFTS, () => stream.response());
  const { user: ui } = renderApp('/drafts');
  await submitTicket(ui);
  return { api, stream, ui };
}

/** The model's answer, cut into tokens the way a provider streams them. */
const ANSWER_TOKENS = [
  '{"category": "bil',
  'ling", "reply": "Hello Ada, we re',
  'funded the \\"second\\" char',
  'ge.", "cited_articles": [',
];

describe('Draft a reply page', () => {
  it('is in the navigation only with the drafts scope', async () => {
    const api = mockFetch();
    signIn(api, user(['jobs']));
    api.on('GET', '/api/v1/jobs', { items: [], total: 0 });
    renderApp('/jobs');
    await screen.findByRole('heading', { name: 'Jobs' });
    expect(screen.queryByRole('link', { name: 'Draft a reply' })).toBeNull();
  });

  it('streams the steps and the reply live, then shows the stored draft', async () => {
    const api = mockFetch();
    setUp(api);
    const stream = eventStream();
    api.on('POST', DRAFTS, () => stream.response());
    const { user: ui } = renderApp('/');
    await ui.click(await screen.findByRole('link', { name: 'Draft a reply' }));
    await ui.type(await screen.findByLabelText('Ticket'), TICKET);
    expect(screen.getByText(`${TICKET.length} / 5000 characters`)).toBeInTheDocument();
    await ui.click(screen.getByRole('button', { name: 'Draft reply' }));

    const status = screen.getByRole('status', { name: 'Drafting status' });
    await waitFor(() => {
      expect(api.callsTo('POST', DRAFTS)).toHaveLength(1);
    });
    const call = api.callsTo('POST', DRAFTS)[0];
    expect(call?.headers.get('Accept')).toBe('text/event-stream');
    expect(call?.headers.get('Authorization')).toMatch(/^Bearer access-/);
    expect(call?.json).toEqual({ ticket: TICKET });
    expect(screen.getByRole('button', { name: 'Drafting…' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Accept' })).toBeDisabled();

    // An event cut in the middle, then a keep-alive comment.
    const started = sseEvent('draft', { id: DRAFT_ID, prompt_version: 'drafting-v3' });
    stream.send(started.slice(0, 20));
    stream.send(`${started.slice(20)}: keep-alive\n\n`);
    expect(await screen.findByText('drafting-v3')).toBeInTheDocument();
    stream.send(
      sseEvent('tool_started', { step: 1, name: 'classify_ticket', arguments: { text: TICKET } }),
    );
    await waitFor(() => {
      expect(status).toHaveTextContent('Drafting: running classify_ticket…');
    });
    const steps = screen.getByRole('list', { name: 'Tool steps' });
    expect(within(steps).getByText('running')).toBeInTheDocument();
    stream.send(
      sseEvent('tool_finished', {
        step: 1,
        name: 'classify_ticket',
        ok: true,
        result: { label: 'billing', confidence: 0.93 },
        error: null,
      }),
    );
    expect(await within(steps).findByText('billing (93.0 %)')).toBeInTheDocument();
    stream.send(sseEvent('tool_started', { step: 2, name: 'search_articles', arguments: {} }));
    stream.send(
      sseEvent('tool_finished', {
        step: 2,
        name: 'search_articles',
        ok: false,
        result: null,
        error: 'search timed out',
      }),
    );
    expect(await within(steps).findByText('search timed out')).toBeInTheDocument();

    for (const text of ANSWER_TOKENS.slice(0, 2)) stream.send(sseEvent('token', { text }));
    expect(await screen.findByText('Hello Ada, we re')).toBeInTheDocument();
    expect(status).toHaveTextContent('Drafting: writing the reply…');
    for (const text of ANSWER_TOKENS.slice(2)) stream.send(sseEvent('token', { text }));
    // The whole text of the reply box: the decoded string, none of the JSON around it.
    expect(await screen.findByText('Hello Ada, we refunded the "second" charge.')).toHaveClass(
      'reply',
    );

    stream.send(sseEvent('done', draft()));
    stream.close();
    await waitFor(() => {
      expect(status).toHaveTextContent('Draft ready.');
    });
    expect(screen.getByText('Hello Ada, we refunded the second charge.')).toBeInTheDocument();
    expect(screen.getByText('billing')).toBeInTheDocument();
    expect(screen.getByText('Refund policy')).toBeInTheDocument();
    expect(screen.getByText('refund-policy')).toBeInTheDocument();
    expect(screen.getByText('The refund policy covers this case.')).toBeInTheDocument();
    expect(screen.getByText('812 in, 96 out')).toBeInTheDocument();
    expect(screen.getByText('0.001230')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Open this draft' })).toHaveAttribute(
      'href',
      `/drafts?draft=${DRAFT_ID}`,
    );
    expect(screen.getByRole('button', { name: 'Accept' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Draft reply' })).toBeEnabled();
  });

  it('shows an error event with its detail and settles the running step', async () => {
    const { stream } = await startDraft();
    stream.send(sseEvent('tool_started', { step: 1, name: 'search_articles', arguments: {} }));
    stream.send(
      sseEvent('error', {
        type: 'https://example.com/problems/provider-unavailable',
        title: 'Provider unavailable',
        status: 502,
        detail: 'Every configured provider failed; try again later.',
      }),
    );
    stream.close();
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Drafting failed: Every configured provider failed; try again later.',
    );
    expect(screen.getByText('did not finish')).toBeInTheDocument();
    expect(screen.getByText('Drafting failed.')).toBeInTheDocument();
  });

  it('says how to configure a provider when the assistant has none (503)', async () => {
    const api = mockFetch();
    setUp(api);
    const detail =
      'No LLM provider is configured: set APP_LLM_BASE_URL (and APP_LLM_MODEL) to an OpenAI-compatible server.';
    api.on('POST', DRAFTS, () =>
      problemResponse(503, detail, {
        type: 'https://example.com/problems/assistant-not-configured',
      }),
    );
    const { user: ui } = renderApp('/drafts');
    await submitTicket(ui);
    expect(await screen.findByRole('alert')).toHaveTextContent(`Drafting failed: ${detail}`);
    expect(screen.getByRole('button', { name: 'Draft reply' })).toBeEnabled();
  });

  it('shows a spent token budget (429) with when to try again', async () => {
    const api = mockFetch();
    setUp(api);
    api.on('POST', DRAFTS, () =>
      problemResponse(429, 'Your token budget for today is spent.', {}, { 'Retry-After': '30' }),
    );
    const { user: ui } = renderApp('/drafts');
    await submitTicket(ui);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Your token budget for today is spent. Try again in 30 seconds.',
    );
  });

  it('cancels the stream', async () => {
    const { stream, ui } = await startDraft();
    stream.send(sseEvent('token', { text: '{"reply": "Hel' }));
    expect(await screen.findByText('Hel')).toBeInTheDocument();
    await ui.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(await screen.findByText('Drafting cancelled.')).toBeInTheDocument();
    expect(stream.cancelled).toBe(true);
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Draft reply' })).toBeEnabled();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says so when the stream ends before the draft is done', async () => {
    const { stream } = await startDraft();
    stream.send(sseEvent('token', { text: '{"reply": "Hel' }));
    stream.close();
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The connection closed before the draft was complete.',
    );
  });

  it('renews an expired session once and sends the stream request again', async () => {
    const api = mockFetch();
    setUp(api);
    api.once('POST', DRAFTS, () => problemResponse(401, 'Token expired.'));
    api.on('POST', '/api/v1/auth/refresh', token());
    const stream = eventStream();
    api.on('POST', DRAFTS, () => stream.response());
    const { user: ui } = renderApp('/drafts');
    await submitTicket(ui);
    stream.send(sseEvent('done', draft()));
    stream.close();
    expect(await screen.findByText('Draft ready.')).toBeInTheDocument();
    const [first, second] = api.callsTo('POST', DRAFTS);
    expect(second?.headers.get('Authorization')).not.toBe(first?.headers.get('Authorization'));
    expect(second?.headers.get('Accept')).toBe('text/event-stream');
  });

  it('takes a JSON draft from a server that answers JSON instead of a stream', async () => {
    const api = mockFetch();
    setUp(api);
    api.on('POST', DRAFTS, draft(), 201);
    const { user: ui } = renderApp('/drafts');
    await submitTicket(ui);
    expect(await screen.findByText('Draft ready.')).toBeInTheDocument();
    expect(screen.getByText('Hello Ada, we refunded the second charge.')).toBeInTheDocument();
  });
});
