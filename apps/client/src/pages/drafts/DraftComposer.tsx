import { useId, useState, type SubmitEvent } from 'react';
import { Link } from 'react-router';
import { TICKET_MAX_CHARS } from '../../api/drafts';
import { ErrorNotice } from '../../components/ErrorNotice';
import { DraftFeedbackForm } from './DraftFeedbackForm';
import { DraftResult } from './DraftResult';
import { StepList } from './StepList';
import { streamStatus, type DraftStreamState } from './draftStream';
import { useDraftStream } from './useDraftStream';

/** The ticket form and the draft it streams: steps and reply live, then the stored draft. */
export function DraftComposer() {
  const id = useId();
  const [ticket, setTicket] = useState('');
  const { state, start, cancel } = useDraftStream();
  const streaming = state.phase === 'streaming';
  const length = ticket.length;
  const valid = ticket.trim().length > 0 && length <= TICKET_MAX_CHARS;

  function onSubmit(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    if (valid && !streaming) start(ticket);
  }

  return (
    <section aria-labelledby={`${id}-title`} className="stack panel">
      <h2 id={`${id}-title`}>New draft</h2>
      <form onSubmit={onSubmit} className="stack">
        <label htmlFor={`${id}-ticket`}>Ticket</label>
        <textarea
          id={`${id}-ticket`}
          rows={6}
          value={ticket}
          maxLength={TICKET_MAX_CHARS}
          aria-describedby={`${id}-count`}
          onChange={(event) => {
            setTicket(event.target.value);
          }}
        />
        <p id={`${id}-count`} className="muted small">
          {length} / {TICKET_MAX_CHARS} characters
        </p>
        <div className="button-row">
          <button type="submit" disabled={!valid || streaming}>
            {streaming ? 'Drafting…' : 'Draft reply'}
          </button>
          <button type="button" className="secondary" disabled={!streaming} onClick={cancel}>
            Cancel
          </button>
        </div>
      </form>
      {/* Always present, so its changes are announced; says the phase, not every token. */}
      <p role="status" aria-label="Drafting status" className="muted small status-line">
        {streamStatus(state)}
      </p>
      {state.phase !== 'idle' ? <LiveDraft state={state} /> : null}
    </section>
  );
}

function LiveDraft({ state }: { state: DraftStreamState }) {
  const streaming = state.phase === 'streaming';
  return (
    <div className="stack">
      <ErrorNotice error={state.error} title="Drafting failed" />
      {state.draft ? (
        <DraftResult draft={state.draft} />
      ) : (
        <>
          <h3>Reply</h3>
          <div className="reply" aria-busy={streaming}>
            {state.reply ?? (
              <span className="muted">
                {streaming ? 'The reply appears here as it is written.' : 'No reply.'}
              </span>
            )}
          </div>
        </>
      )}
      <h3>Steps</h3>
      <StepList steps={state.steps} />
      {state.promptVersion && !state.draft ? (
        <p className="muted small">
          Prompt version <code>{state.promptVersion}</code>
        </p>
      ) : null}
      {state.draftId ? (
        <p className="small">
          <Link to={`?draft=${encodeURIComponent(state.draftId)}`}>Open this draft</Link>
        </p>
      ) : null}
      <DraftFeedbackForm key={state.draft?.id ?? 'pending'} draft={state.draft} />
    </div>
  );
}
