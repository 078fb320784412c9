import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { useApi } from '../../api/ApiContext';
import type { DraftOut } from '../../api/drafts';
import { keys } from '../../api/queryKeys';
import { readSse } from '../../lib/sse';
import { CUT_OFF, IDLE, draftStreamReducer, type DraftStreamState } from './draftStream';

const ENDS = new Set(['done', 'error']);

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/**
 * Draft a reply over the streaming endpoint: `start` posts the ticket and feeds each event
 * to the reducer as it arrives; `cancel` aborts the request and the body. Only the latest
 * run may change the state, and leaving the page aborts it.
 */
export function useDraftStream(): {
  state: DraftStreamState;
  start: (ticket: string) => void;
  cancel: () => void;
} {
  const api = useApi();
  const queryClient = useQueryClient();
  const [state, dispatch] = useReducer(draftStreamReducer, IDLE);
  const current = useRef<AbortController | null>(null);

  useEffect(
    () => () => {
      current.current?.abort();
    },
    [],
  );

  const run = useCallback(
    async (ticket: string, controller: AbortController) => {
      const mine = () => current.current === controller;
      let ended = false;
      try {
        const response = await api.streamDraft(ticket, controller.signal);
        const type = response.headers.get('Content-Type') ?? '';
        if (!type.includes('text/event-stream') || !response.body) {
          // A server (or proxy) that answered the JSON draft instead of a stream.
          const draft = (await response.json()) as DraftOut;
          if (mine()) dispatch({ type: 'done', draft });
          return;
        }
        for await (const event of readSse(response.body, controller.signal)) {
          if (!mine()) return;
          dispatch({ type: 'event', event });
          if (ENDS.has(event.event)) ended = true;
        }
        if (!mine()) return;
        if (controller.signal.aborted) dispatch({ type: 'cancelled' });
        else if (!ended) dispatch({ type: 'failed', error: CUT_OFF });
      } catch (error) {
        if (!mine()) return;
        if (controller.signal.aborted || isAbort(error)) dispatch({ type: 'cancelled' });
        else dispatch({ type: 'failed', error });
      } finally {
        // Whatever happened, a draft may have been stored: the history shows it.
        void queryClient.invalidateQueries({ queryKey: keys.drafts.all });
      }
    },
    [api, queryClient],
  );

  const start = useCallback(
    (ticket: string) => {
      current.current?.abort();
      const controller = new AbortController();
      current.current = controller;
      dispatch({ type: 'start' });
      void run(ticket, controller);
    },
    [run],
  );

  const cancel = useCallback(() => {
    current.current?.abort();
  }, []);

  return { state, start, cancel };
}
