import type { DraftOut } from '../../api/drafts';
import { dateTime } from '../../lib/format';

/** Cost from the server's price table, in its currency: small numbers, so more digits. */
function cost(value: number): string {
  return value.toFixed(value !== 0 && value < 0.01 ? 6 : 4);
}

/**
 * A finished draft: the reply (text, never HTML: it is model output), its category, the
 * articles it cites, the model's confidence note, and what produced it at what cost.
 */
export function DraftResult({ draft }: { draft: DraftOut }) {
  return (
    <div className="stack">
      <h3>Reply</h3>
      {draft.reply !== null ? (
        <div className="reply">{draft.reply}</div>
      ) : (
        <p className="muted">No reply{draft.error ? `: ${draft.error}` : '.'}</p>
      )}
      <dl className="pairs">
        <dt>Category</dt>
        <dd>{draft.category ?? '—'}</dd>
        <dt>Cited articles</dt>
        <dd>
          {draft.cited_articles.length === 0 ? (
            'none'
          ) : (
            <ul className="plain">
              {draft.cited_articles.map((article) => (
                <li key={article.slug}>
                  {article.title} <code>{article.slug}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Confidence note</dt>
        <dd>{draft.confidence_note ?? '—'}</dd>
        <dt>Prompt version</dt>
        <dd>
          <code>{draft.prompt_version}</code>
        </dd>
        <dt>Model</dt>
        <dd>
          {draft.model ? `${draft.model}${draft.provider ? ` (${draft.provider})` : ''}` : '—'}
        </dd>
        <dt>Tokens</dt>
        <dd>
          {draft.input_tokens} in, {draft.output_tokens} out
        </dd>
        <dt>Cost</dt>
        <dd>{cost(draft.cost)}</dd>
        <dt>Completed</dt>
        <dd>{dateTime(draft.completed_at)}</dd>
      </dl>
    </div>
  );
}
