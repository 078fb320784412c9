import type { TokenResponse, User } from '../api/types';
import { SCOPES } from '../api/pending';
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
