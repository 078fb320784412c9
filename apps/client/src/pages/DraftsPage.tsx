import { useSearchParams } from 'react-router';
import { Page } from '../components/Page';
import { DraftComposer } from './drafts/DraftComposer';
import { DraftDetail } from './drafts/DraftDetail';
import { DraftHistory } from './drafts/DraftHistory';

/**
 * "Draft a reply": a ticket in, the assistant's draft streamed out (tool steps, the reply
 * as it is written, then the stored draft), feedback on it, and the caller's earlier drafts.
 * `?draft=<id>` opens one draft in place of the list; the composer stays mounted, so a
 * stream in progress goes on while a stored draft is read.
 */
export function DraftsPage() {
  const [params] = useSearchParams();
  const draftId = params.get('draft');
  return (
    <Page title="Draft a reply">
      <DraftComposer />
      {draftId ? <DraftDetail id={draftId} /> : <DraftHistory />}
    </Page>
  );
}
