import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { useApi } from '../../api/ApiContext';
import { keys } from '../../api/queryKeys';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading, StatusBadge } from '../../components/Status';
import { dateTime, shortId } from '../../lib/format';
import { DraftFeedbackForm } from './DraftFeedbackForm';
import { DRAFTS_POLL_MS, STATUS_WORD } from './DraftHistory';
import { DraftResult } from './DraftResult';
import { StepList } from './StepList';
import { storedSteps } from './draftStream';

/** One stored draft: its ticket, the result, the whole trace and the feedback. */
export function DraftDetail({ id }: { id: string }) {
  const api = useApi();
  const heading = useRef<HTMLHeadingElement>(null);
  const draft = useQuery({
    queryKey: keys.drafts.one(id),
    queryFn: () => api.getDraft(id),
    // A draft still being written (in another tab, say) is followed until it ends.
    refetchInterval: (query) => (query.state.data?.status === 'running' ? DRAFTS_POLL_MS : false),
  });
  useEffect(() => {
    // The list gave way to this view: keyboard and screen reader users land on it.
    heading.current?.focus();
  }, [id]);

  return (
    <section aria-labelledby="draft-detail-title" className="stack">
      <h2 id="draft-detail-title" ref={heading} tabIndex={-1}>
        Draft <code title={id}>{shortId(id)}</code>
      </h2>
      <p>
        <Link to=".">Back to your drafts</Link>
      </p>
      {draft.isPending ? <Loading /> : null}
      <ErrorNotice error={draft.error} title="Could not load the draft" />
      {draft.data ? (
        <>
          <p>
            <StatusBadge status={STATUS_WORD[draft.data.status]} />{' '}
            <span className="muted small">created {dateTime(draft.data.created_at)}</span>
          </p>
          <h3>Ticket</h3>
          {/* Ticket text is user input: rendered as a text node, never as HTML. */}
          <blockquote className="ticket">{draft.data.ticket}</blockquote>
          {draft.data.error ? (
            <p className="notice notice-error">Drafting failed: {draft.data.error}</p>
          ) : null}
          <DraftResult draft={draft.data} />
          <h3>Steps</h3>
          <StepList steps={storedSteps(draft.data)} label="Stored steps" />
          <DraftFeedbackForm draft={draft.data} />
        </>
      ) : null}
    </section>
  );
}
