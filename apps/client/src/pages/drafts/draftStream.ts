/**
 * The state of one streamed draft, built from the stream's events by a pure reducer (so
 * the tests drive it event by event, and the page only renders it).
 */
import type {
  DraftOut,
  DraftStartedEvent,
  Json,
  ToolFinishedEvent,
  ToolStartedEvent,
} from '../../api/drafts';
import { ApiError, errorFromProblem, isRecord } from '../../api/problem';
import { partialReply } from '../../lib/partialReply';
import type { SseEvent } from '../../lib/sse';

export type StreamPhase = 'idle' | 'streaming' | 'done' | 'failed' | 'cancelled';

/** A tool step as the page shows it, live (from events) or stored (from a draft's trace). */
export interface StepView {
  index: number;
  kind: 'tool' | 'model';
  name: string;
  state: 'running' | 'ok' | 'error';
  arguments: Record<string, Json> | null;
  result: Json;
  error: string | null;
  durationMs: number | null;
}

export interface DraftStreamState {
  phase: StreamPhase;
  draftId: string | null;
  promptVersion: string | null;
  steps: StepView[];
  /** The model's answer so far: pieces of a JSON object. */
  answer: string;
  /** The reply string decoded from `answer` so far (null until it starts). */
  reply: string | null;
  draft: DraftOut | null;
  error: unknown;
}

export const IDLE: DraftStreamState = {
  phase: 'idle',
  draftId: null,
  promptVersion: null,
  steps: [],
  answer: '',
  reply: null,
  draft: null,
  error: null,
};

export type StreamAction =
  | { type: 'start' }
  | { type: 'event'; event: SseEvent }
  | { type: 'done'; draft: DraftOut }
  | { type: 'failed'; error: unknown }
  | { type: 'cancelled' };

/** The stream closed without `done` or `error`: a dropped connection or a server crash. */
export const CUT_OFF = new ApiError({
  status: 0,
  title: 'Stream cut off',
  detail:
    'The connection closed before the draft was complete. The draft may still appear in your history; try again.',
});

export function draftStreamReducer(
  state: DraftStreamState,
  action: StreamAction,
): DraftStreamState {
  switch (action.type) {
    case 'start':
      return { ...IDLE, phase: 'streaming' };
    case 'done':
      return { ...state, phase: 'done', draft: action.draft, draftId: action.draft.id };
    case 'failed':
      return { ...state, phase: 'failed', error: action.error, steps: settle(state.steps) };
    case 'cancelled':
      return { ...state, phase: 'cancelled', steps: settle(state.steps) };
    case 'event':
      return state.phase === 'streaming' ? onEvent(state, action.event) : state;
  }
}

/** Events whose data is not the JSON the contract names are skipped, not fatal. */
function onEvent(state: DraftStreamState, event: SseEvent): DraftStreamState {
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return state;
  }
  if (!isRecord(data)) return state;
  switch (event.event) {
    case 'draft': {
      const started = data as unknown as DraftStartedEvent;
      return { ...state, draftId: started.id, promptVersion: started.prompt_version };
    }
    case 'tool_started': {
      const tool = data as unknown as ToolStartedEvent;
      const step: StepView = {
        index: tool.step,
        kind: 'tool',
        name: tool.name,
        state: 'running',
        arguments: tool.arguments,
        result: null,
        error: null,
        durationMs: null,
      };
      return { ...state, steps: [...state.steps.filter((s) => s.index !== tool.step), step] };
    }
    case 'tool_finished': {
      const tool = data as unknown as ToolFinishedEvent;
      const known = state.steps.some((s) => s.index === tool.step);
      const finish = (step: StepView): StepView => ({
        ...step,
        state: tool.ok ? 'ok' : 'error',
        result: tool.result,
        error: tool.error,
      });
      const steps = known
        ? state.steps.map((s) => (s.index === tool.step ? finish(s) : s))
        : [...state.steps, finish({ ...IDLE_STEP, index: tool.step, name: tool.name })];
      return { ...state, steps };
    }
    case 'token': {
      if (typeof data.text !== 'string') return state;
      const answer = state.answer + data.text;
      return { ...state, answer, reply: partialReply(answer) };
    }
    case 'done':
      return draftStreamReducer(state, { type: 'done', draft: data as unknown as DraftOut });
    case 'error':
      return draftStreamReducer(state, {
        type: 'failed',
        error: errorFromProblem(data, { status: 502, title: 'Drafting failed' }),
      });
    default:
      return state;
  }
}

const IDLE_STEP: StepView = {
  index: 0,
  kind: 'tool',
  name: '',
  state: 'running',
  arguments: null,
  result: null,
  error: null,
  durationMs: null,
};

/** A step still running when the stream stopped will not finish: say so, not "running". */
function settle(steps: StepView[]): StepView[] {
  return steps.map((s) =>
    s.state === 'running' ? { ...s, state: 'error', error: 'did not finish' } : s,
  );
}

/** The stored trace of a draft, in the live view's shape. */
export function storedSteps(draft: DraftOut): StepView[] {
  return draft.steps.map((step) => ({
    index: step.index,
    kind: step.kind,
    name: step.name,
    state: step.error === null ? 'ok' : 'error',
    // JSON on the wire: the contract types them loosely (`unknown`), the view as JSON.
    arguments: step.arguments as Record<string, Json> | null,
    result: step.result as Json,
    error: step.error,
    durationMs: step.duration_ms,
  }));
}

/** The live region's sentence: changes with the phase and the steps, never per token. */
export function streamStatus(state: DraftStreamState): string {
  switch (state.phase) {
    case 'idle':
      return '';
    case 'done':
      return 'Draft ready.';
    case 'failed':
      return 'Drafting failed.';
    case 'cancelled':
      return 'Drafting cancelled.';
    case 'streaming': {
      const running = state.steps.find((s) => s.state === 'running');
      if (running) return `Drafting: running ${running.name}…`;
      if (state.reply !== null) return 'Drafting: writing the reply…';
      return 'Drafting…';
    }
  }
}
