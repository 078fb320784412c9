import type { TokenResponse, User } from '../api/types';
import { SCOPES } from '../api/pending';
import type { DraftOut } from '../api/drafts';
import type { Job, PredictionResponse } from '../api/types';

let tokenCounter = 0;

export function token(overrides: Partial<TokenResponse> = {}): TokenResponse {
  tokenCounter += 1;
  return {
    access_token: `access-${tokenCounter}`,
    token_type: 'bearer',
    expires_in: 900,
    // No refresh_token: the console asks for it as an HttpOnly cookie, out of the body.
    scope: SCOPES.join(' '),
    ...overrides,
  };
}

export function user(scopes: string[] = [...SCOPES], overrides: Partial<User> = {}): User {
  return {
    id: 'u-1',
    email: 'ada@example.com',
    full_name: 'Ada Lovelace',
    scopes,
    is_superuser: false,
    is_active: true,
    created_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

export function job(overrides: Partial<Job> = {}): Job {
  return {
    id: '11111111-2222-3333-4444-555555555555',
    status: 'succeeded',
    progress: 100,
    total: 2,
    processed: 2,
    model: 'ticket-triage',
    version: 3,
    error: null,
    created_at: '2026-01-01T10:00:00Z',
    started_at: '2026-01-01T10:00:01Z',
    finished_at: '2026-01-01T10:00:02Z',
    ...overrides,
  };
}

export function predictionResponse(texts: string[]): PredictionResponse {
  return {
    model: 'ticket-triage',
    version: 3,
    predictions: texts.map((_, index) => ({
      id: `pred-${index}`,
      label: index === 0 ? 'billing' : 'technical',
      confidence: 0.9,
      probabilities:
        index === 0
          ? { billing: 0.9, refund: 0.07, technical: 0.03 }
          : { technical: 0.9, billing: 0.05, refund: 0.05 },
    })),
  };
}

export const DRAFT_ID = 'dddddddd-1111-2222-3333-444444444444';

export function draft(overrides: Partial<DraftOut> = {}): DraftOut {
  return {
    id: DRAFT_ID,
    status: 'completed',
    ticket: 'I was charged twice for order 42',
    reply: 'Hello Ada, we refunded the second charge.',
    category: 'billing',
    confidence_note: 'The refund policy covers this case.',
    cited_articles: [{ slug: 'refund-policy', title: 'Refund policy' }],
    prompt_version: 'drafting-v3',
    provider: 'local',
    model: 'llama3.1',
    input_tokens: 812,
    output_tokens: 96,
    cost: 0.00123,
    steps: [
      {
        index: 1,
        kind: 'tool',
        name: 'classify_ticket',
        arguments: { text: 'I was charged twice for order 42' },
        result: { label: 'billing', confidence: 0.93 },
        error: null,
        duration_ms: 12.4,
      },
      {
        index: 2,
        kind: 'tool',
        name: 'search_articles',
        arguments: { query: 'double charge refund' },
        result: [{ slug: 'refund-policy', title: 'Refund policy' }],
        error: null,
        duration_ms: 30.2,
      },
    ],
    error: null,
    feedback: null,
    created_at: '2026-01-01T10:00:00Z',
    completed_at: '2026-01-01T10:00:05Z',
    ...overrides,
  };
}
