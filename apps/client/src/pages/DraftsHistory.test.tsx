import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DraftOut } from '../api/drafts';
import { jsonResponse, mockFetch, problemResponse, type FetchMock } from '../test/fetchMock';
import { DRAFT_ID, draft, user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';

const DRAFTS = '/api/v1/drafts';
const ONE = `${DRAFTS}/${DRAFT_ID}`;
const FEEDBACK = `${ONE}/feedback`;

function drafts(count: number): DraftOut[] {
  return Array.from({ length: count }, (_, index) =>
    draft({ id: `${String(index).padStart(8, '0')}-aaaa-bbbb-cccc-dddddddddddd` }),
  );
}

function openDetail(api: FetchMock, stored: DraftOut = draft()) {
  signIn(api, user(['drafts']));
  api.on('GET', DRAFTS, { items: [stored], total: 1 });
  api.on('GET', ONE, stored);
  return renderApp(`/drafts?draft=${DRAFT_ID}`);
}

describe('Drafts history', () => {
  it('lists the caller’s drafts a page at a time', async () => {
    const api = mockFetch();
    signIn(api, user(['drafts']));
    api.on('GET', DRAFTS, (call) =>
      jsonResponse({
        items: drafts(call.url.searchParams.get('offset') === '20' ? 5 : 20),
        total: 25,
      }),
    );
    const { user: ui } = renderApp('/drafts');
    const table = await screen.findByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(21);
    expect(within(table).getAllByText('succeeded')).toHaveLength(20);
    const pages = screen.getByRole('navigation', { name: 'Draft pages' });
    expect(pages).toHaveTextContent('Page 1 of 2');
    await ui.click(within(pages).getByRole('button', { name: 'Next' }));
    await waitFor(() => {
      expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(6);
    });
    const offsets = api.callsTo('GET', DRAFTS).map((c) => c.url.searchParams.get('offset'));
    expect(offsets).toEqual(['0', '20']);
    expect(api.callsTo('GET', DRAFTS)[0]?.url.searchParams.get('limit')).toBe('20');
  });

  it('opens a draft with its stored steps and feedback, and goes back', async () => {
    const api = mockFetch();
    signIn(api, user(['drafts']));
    const stored = draft({
      feedback: { verdict: 'edited', edited_reply: 'Hi Ada!', at: '2026-01-01T11:00:00Z' },
    });
    api.on('GET', DRAFTS, { items: [stored], total: 1 });
    api.on('GET', ONE, stored);
    const { user: ui } = renderApp('/drafts');
    await ui.click(await screen.findByRole('link', { name: 'Open draft dddddddd' }));

    const heading = await screen.findByRole('heading', { name: 'Draft dddddddd' });
    await waitFor(() => {
      expect(heading).toHaveFocus();
    });
    expect(await screen.findByText('I was charged twice for order 42')).toBeInTheDocument();
    const steps = screen.getByRole('list', { name: 'Stored steps' });
    expect(within(steps).getByText('classify_ticket')).toBeInTheDocument();
    expect(within(steps).getByText('billing (93.0 %)')).toBeInTheDocument();
    expect(within(steps).getByText('1 item: Refund policy')).toBeInTheDocument();
    expect(within(steps).getByText('30 ms')).toBeInTheDocument();
    expect(screen.getByText(/Feedback recorded: edited/)).toBeInTheDocument();

    await ui.click(screen.getByRole('link', { name: 'Back to your drafts' }));
    expect(await screen.findByRole('heading', { name: 'Your drafts' })).toBeInTheDocument();
  });

  it('shows a draft that is not the caller’s as not found', async () => {
    const api = mockFetch();
    signIn(api, user(['drafts']));
    api.on('GET', DRAFTS, { items: [], total: 0 });
    api.on('GET', ONE, () => problemResponse(404, 'No draft with this id.'));
    renderApp(`/drafts?draft=${DRAFT_ID}`);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Could not load the draft: No draft with this id.',
    );
  });
});

describe('Draft feedback', () => {
  it('accepts a draft and shows the recorded verdict', async () => {
    const api = mockFetch();
    const { user: ui } = openDetail(api);
    api.on(
      'POST',
      FEEDBACK,
      draft({ feedback: { verdict: 'accepted', edited_reply: null, at: '2026-01-01T11:00:00Z' } }),
    );
    await ui.click(await screen.findByRole('button', { name: 'Accept' }));
    expect(await screen.findByText('Feedback recorded: accepted.')).toBeInTheDocument();
    expect(api.callsTo('POST', FEEDBACK)[0]?.json).toEqual({ verdict: 'accepted' });
  });

  it('sends an edited reply', async () => {
    const api = mockFetch();
    const { user: ui } = openDetail(api);
    api.on(
      'POST',
      FEEDBACK,
      draft({ feedback: { verdict: 'edited', edited_reply: 'x', at: '2026-01-01T11:00:00Z' } }),
    );
    await ui.click(await screen.findByRole('button', { name: 'Edit' }));
    const box = screen.getByLabelText('Edited reply');
    expect(box).toHaveValue('Hello Ada, we refunded the second charge.');
    await ui.clear(box);
    expect(screen.getByRole('button', { name: 'Save edited reply' })).toBeDisabled();
    await ui.type(box, 'Hi Ada, the refund is on its way.');
    await ui.click(screen.getByRole('button', { name: 'Save edited reply' }));
    expect(await screen.findByText(/Feedback recorded: edited/)).toBeInTheDocument();
    expect(api.callsTo('POST', FEEDBACK)[0]?.json).toEqual({
      verdict: 'edited',
      edited_reply: 'Hi Ada, the refund is on its way.',
    });
    expect(screen.queryByLabelText('Edited reply')).toBeNull();
  });

  it('rejects a draft, and shows the server’s refusal', async () => {
    const api = mockFetch();
    const { user: ui } = openDetail(api);
    api.on('POST', FEEDBACK, () => problemResponse(409, 'The draft is not completed yet.'));
    await ui.click(await screen.findByRole('button', { name: 'Reject' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Feedback failed: The draft is not completed yet.',
    );
    expect(api.callsTo('POST', FEEDBACK)[0]?.json).toEqual({ verdict: 'rejected' });
  });

  it('is disabled while the draft is not completed', async () => {
    const api = mockFetch();
    openDetail(api, draft({ status: 'failed', reply: null, error: 'The provider timed out.' }));
    expect(await screen.findByText('Feedback opens once the draft is complete.')).toBeVisible();
    for (const name of ['Accept', 'Edit', 'Reject']) {
      expect(screen.getByRole('button', { name })).toBeDisabled();
    }
    expect(screen.getByText('Drafting failed: The provider timed out.')).toBeInTheDocument();
  });
});
