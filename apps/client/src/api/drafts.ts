/**
 * The drafts API: its wire types (generated from apps/server/openapi.json), its paths
 * (checked against the contract by `apiPath`), and the events of its stream, which OpenAPI
 * does not describe and are written here by hand from the server's `routes/drafts.py`.
 */
import type { components } from './generated/schema';
import { apiPath } from './paths';

type Schemas = components['schemas'];

export type DraftOut = Schemas['DraftOut'];
export type DraftStatus = DraftOut['status'];
export type DraftStep = Schemas['DraftStep'];
export type CitedArticle = Schemas['CitedArticle'];
export type DraftFeedback = Schemas['DraftFeedbackOut'];
export type DraftPage = Schemas['DraftPage'];
export type DraftCreate = Schemas['DraftCreate'];
/** `edited_reply` comes with `edited` only. */
export type DraftFeedbackIn = Schemas['DraftVerdict'] | Schemas['DraftEdit'];
export type Verdict = DraftFeedbackIn['verdict'];

/** A JSON value as the server sent it (tool results are any JSON). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The longest ticket `DraftCreate` accepts (and the shortest is one character). */
export const TICKET_MAX_CHARS = 5000;

export const DRAFT_PATHS = {
  drafts: apiPath('/api/v1/drafts'),
  draft: (id: string) => apiPath('/api/v1/drafts/{draft_id}', { draft_id: id }),
  feedback: (id: string) => apiPath('/api/v1/drafts/{draft_id}/feedback', { draft_id: id }),
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
