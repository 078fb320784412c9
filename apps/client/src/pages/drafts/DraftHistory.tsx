import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useApi } from '../../api/ApiContext';
import type { DraftStatus } from '../../api/drafts';
import { keys } from '../../api/queryKeys';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Pager } from '../../components/Pager';
import { Loading, StatusBadge } from '../../components/Status';
import { TableScroll } from '../../components/TableScroll';
import { dateTime, shortId } from '../../lib/format';

export const DRAFTS_PAGE_SIZE = 20;
export const DRAFTS_POLL_MS = 2000;
const TICKET_PREVIEW = 80;

/** Draft statuses in the words (and badges) the console uses for jobs. */
export const STATUS_WORD: Record<DraftStatus, string> = {
  running: 'running',
  completed: 'succeeded',
  failed: 'failed',
};

function preview(ticket: string): string {
  const line = ticket.replace(/\s+/g, ' ').trim();
  return line.length > TICKET_PREVIEW ? `${line.slice(0, TICKET_PREVIEW - 1)}…` : line;
}

/** The caller's drafts, newest first, a page at a time (as the jobs list). */
export function DraftHistory() {
  const api = useApi();
  const [page, setPage] = useState(0);
  const offset = page * DRAFTS_PAGE_SIZE;
  const drafts = useQuery({
    queryKey: keys.drafts.page(offset),
    queryFn: () => api.listDrafts(DRAFTS_PAGE_SIZE, offset),
    refetchInterval: (query) =>
      query.state.data?.items.some((d) => d.status === 'running') ? DRAFTS_POLL_MS : false,
  });
  const total = drafts.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / DRAFTS_PAGE_SIZE));

  return (
    <section aria-labelledby="drafts-title" className="stack">
      <h2 id="drafts-title">Your drafts</h2>
      {drafts.isPending ? <Loading /> : null}
      <ErrorNotice error={drafts.error} title="Could not load drafts" />
      {drafts.data && drafts.data.items.length === 0 ? <p>No drafts yet.</p> : null}
      {drafts.data && drafts.data.items.length > 0 ? (
        <TableScroll label="Drafts">
          <table>
            <caption className="visually-hidden">Your drafts, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Draft</th>
                <th scope="col">Status</th>
                <th scope="col">Ticket</th>
                <th scope="col">Category</th>
                <th scope="col">Feedback</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {drafts.data.items.map((draft) => (
                <tr key={draft.id}>
                  <td>
                    <Link
                      to={`?draft=${encodeURIComponent(draft.id)}`}
                      aria-label={`Open draft ${shortId(draft.id)}`}
                    >
                      <code title={draft.id}>{shortId(draft.id)}</code>
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={STATUS_WORD[draft.status]} />
                  </td>
                  <td>{preview(draft.ticket)}</td>
                  <td>{draft.category ?? '—'}</td>
                  <td>{draft.feedback?.verdict ?? '—'}</td>
                  <td>{dateTime(draft.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
      <Pager page={page} pages={pages} label="Draft pages" onPage={setPage} />
    </section>
  );
}
