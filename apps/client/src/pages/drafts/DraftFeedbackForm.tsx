import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type SubmitEvent } from 'react';
import { useApi } from '../../api/ApiContext';
import type { DraftFeedbackIn, DraftOut } from '../../api/drafts';
import { keys } from '../../api/queryKeys';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Success } from '../../components/Status';

/**
 * Accept, edit or reject a draft. Disabled until the draft is complete (the server answers
 * 409 before); the verdict the server recorded is shown, and may be given again.
 */
export function DraftFeedbackForm({ draft }: { draft: DraftOut | null }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [edited, setEdited] = useState('');
  const feedback = useMutation({
    mutationFn: (body: DraftFeedbackIn) => {
      if (!draft) throw new Error('No draft to give feedback on.');
      return api.draftFeedback(draft.id, body);
    },
    onSuccess: (updated) => {
      setEditing(false);
      queryClient.setQueryData(keys.drafts.one(updated.id), updated);
      void queryClient.invalidateQueries({ queryKey: keys.drafts.all });
    },
  });
  const completed = draft?.status === 'completed';
  const recorded =
    feedback.data && feedback.data.id === draft?.id ? feedback.data.feedback : draft?.feedback;

  function onSave(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    if (edited.trim()) feedback.mutate({ verdict: 'edited', edited_reply: edited });
  }

  return (
    <section aria-labelledby={`${id}-title`} className="stack">
      <h3 id={`${id}-title`}>Feedback</h3>
      <fieldset disabled={!completed || feedback.isPending} className="stack">
        <legend>Your verdict on this draft</legend>
        {!completed ? (
          <p className="muted small">Feedback opens once the draft is complete.</p>
        ) : null}
        <div className="button-row">
          <button
            type="button"
            onClick={() => {
              feedback.mutate({ verdict: 'accepted' });
            }}
          >
            Accept
          </button>
          <button
            type="button"
            className="secondary"
            aria-expanded={editing}
            aria-controls={`${id}-edit`}
            onClick={() => {
              setEdited(recorded?.edited_reply ?? draft?.reply ?? '');
              setEditing((open) => !open);
            }}
          >
            Edit
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              feedback.mutate({ verdict: 'rejected' });
            }}
          >
            Reject
          </button>
        </div>
        {editing ? (
          <form id={`${id}-edit`} onSubmit={onSave} className="stack">
            <label htmlFor={`${id}-reply`}>Edited reply</label>
            <textarea
              id={`${id}-reply`}
              rows={8}
              value={edited}
              onChange={(event) => {
                setEdited(event.target.value);
              }}
            />
            <div>
              <button type="submit" disabled={!edited.trim()}>
                Save edited reply
              </button>
            </div>
          </form>
        ) : null}
      </fieldset>
      {recorded ? (
        <Success>
          Feedback recorded: {recorded.verdict}
          {recorded.verdict === 'edited' && feedback.isSuccess
            ? ' (your edited reply is saved)'
            : ''}
          .
        </Success>
      ) : null}
      <ErrorNotice error={feedback.error} title="Feedback failed" />
    </section>
  );
}
