/**
 * HAND-WRITTEN, TEMPORARY: the drafts API's wire types and paths, written from the drafts
 * contract because apps/server/openapi.json does not list the drafts endpoints yet.
 *
 * Once the server's drafts routes are in the contract (`make openapi`), the integrator
 * replaces this module: each interface below by its generated schema in ./types.ts
 * (`DraftOut`, `DraftPage`, `DraftFeedbackIn`, ...) and `DRAFT_PATHS` by `apiPath(...)`
 * calls in ./endpoints.ts. The stream events (`DraftStreamEvent`) are not in OpenAPI and
 * stay hand-written (move them next to the stream reader then).
 */

export type DraftStatus = 'running' | 'completed' | 'failed';
export type Verdict = 'accepted' | 'edited' | 'rejected';

/** A JSON value as the server sent it (tool results are any JSON). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CitedArticle {
  slug: string;
  title: string;
}

/** One stored step of a draft's trace: a tool call or a model call. */
export interface DraftStep {
  index: number;
  kind: 'tool' | 'model';
  name: string;
  arguments: Record<string, Json> | null;
  result: Json;
  error: string | null;
  duration_ms: number;
}

export interface DraftFeedback {
  verdict: Verdict;
  edited_reply: string | null;
  at: string;
}

export interface DraftOut {
  id: string;
  status: DraftStatus;
  ticket: string;
  reply: string | null;
  category: string | null;
  confidence_note: string | null;
  cited_articles: CitedArticle[];
  prompt_version: string;
  provider: string | null;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cost: number;
  steps: DraftStep[];
  error: string | null;
  feedback: DraftFeedback | null;
  created_at: string;
  completed_at: string | null;
}

/** `GET /api/v1/drafts`: the same page shape as `/api/v1/jobs`. */
export interface DraftPage {
  items: DraftOut[];
  total: number;
}

export interface DraftCreate {
  ticket: string;
}

export interface DraftFeedbackIn {
  verdict: Verdict;
  /** Required when the verdict is `edited`, absent otherwise. */
  edited_reply?: string;
}

/** The longest ticket `DraftCreate` accepts (and the shortest is one character). */
export const TICKET_MAX_CHARS = 5000;

export const DRAFT_PATHS = {
  drafts: '/api/v1/drafts',
  draft: (id: string) => `/api/v1/drafts/${encodeURIComponent(id)}`,
  feedback: (id: string) => `/api/v1/drafts/${encodeURIComponent(id)}/feedback`,
} as const;

// The events of `POST /api/v1/drafts` with `Accept: text/event-stream`, in their order.

/** `draft`: the draft is stored (status running). */
export interface DraftStartedEvent {
  id: string;
  prompt_version: string;
}

export interface ToolStartedEvent {
  step: number;
  name: string;
  arguments: Record<string, Json> | null;
}

export interface ToolFinishedEvent {
  step: number;
  name: string;
  ok: boolean;
  result: Json;
  error: string | null;
}

/** `token`: a piece of the model's answer, itself a JSON object (see lib/partialReply). */
export interface TokenEvent {
  text: string;
}

export type DraftStreamEvent =
  | { event: 'draft'; data: DraftStartedEvent }
  | { event: 'tool_started'; data: ToolStartedEvent }
  | { event: 'tool_finished'; data: ToolFinishedEvent }
  | { event: 'token'; data: TokenEvent }
  | { event: 'done'; data: DraftOut }
  /** A problem details object (RFC 9457); the stream ends after it. */
  | { event: 'error'; data: Record<string, unknown> };
