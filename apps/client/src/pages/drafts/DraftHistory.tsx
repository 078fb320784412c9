import { Link } from 'react-router';
import { useApi } from '../../api/ApiContext';
import type { DraftOut, DraftStatus } from '../../api/drafts';
import { keys } from '../../api/queryKeys';
import { PagedTable } from '../../components/PagedTable';
import { StatusBadge } from '../../components/Status';
import { dateTime, shortId } from '../../lib/format';
import { usePagedQuery } from '../../lib/usePagedQuery';

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
  const paged = usePagedQuery({
    pageSize: DRAFTS_PAGE_SIZE,
    queryKey: keys.drafts.page,
    fetchPage: api.listDrafts,
    active: (draft: DraftOut) => draft.status === 'running',
    pollMs: DRAFTS_POLL_MS,
  });
  return (
    <PagedTable
      titleId="drafts-title"
      title="Your drafts"
      paged={paged}
      texts={{
        error: 'Could not load drafts',
        empty: 'No drafts yet.',
        table: 'Drafts',
        caption: 'Your drafts, newest first',
        pages: 'Draft pages',
      }}
      columns={['Draft', 'Status', 'Ticket', 'Category', 'Feedback', 'Created']}
      row={(draft) => (
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
      )}
    />
  );
}
