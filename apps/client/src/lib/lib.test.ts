import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem';
import { newIdempotencyKey } from './idempotency';
import { JsonLinesError, parseJobLines } from './jsonLines';
import { retryDelay, shouldRetry } from './queryClient';

describe('query retry policy', () => {
  const err = (status: number, retryAfterSeconds: number | null = null) =>
    new ApiError({ status, title: 't', detail: 'd', retryAfterSeconds });

  it('retries network errors, 429 and 5xx, never other 4xx', () => {
    expect(shouldRetry(0, err(0))).toBe(true);
    expect(shouldRetry(0, err(429))).toBe(true);
    expect(shouldRetry(1, err(503))).toBe(true);
    expect(shouldRetry(2, err(503))).toBe(false);
    expect(shouldRetry(0, err(404))).toBe(false);
    expect(shouldRetry(0, err(401))).toBe(false);
    expect(shouldRetry(0, new Error('x'))).toBe(false);
  });

  it('waits as long as Retry-After says (capped), else backs off', () => {
    expect(retryDelay(0, err(429, 3))).toBe(3000);
    expect(retryDelay(0, err(429, 3600))).toBe(30_000);
    expect(retryDelay(1, err(503))).toBe(2000);
  });
});

describe('parseJobLines', () => {
  it('reads one item per line and skips blank lines', () => {
    expect(parseJobLines('{"text": "a", "id": 7}\n\n  {"text":"b"}  \n')).toEqual({
      items: [
        { text: 'a', id: '7' },
        { text: 'b', id: null },
      ],
    });
  });

  it('names each bad line', () => {
    try {
      parseJobLines('{"text": "ok"}\nnot json\n["x"]\n{"text": ""}');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(JsonLinesError);
      expect((error as JsonLinesError).problems).toEqual([
        'Line 2: not valid JSON.',
        'Line 3: expected an object like {"text": "..."}.',
        'Line 4: "text" must be a non-empty string.',
      ]);
    }
  });

  it('refuses empty input', () => {
    expect(() => parseJobLines('  \n')).toThrow('Enter at least one line.');
  });
});

describe('newIdempotencyKey', () => {
  it('makes a distinct UUID each time', () => {
    const a = newIdempotencyKey();
    const b = newIdempotencyKey();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });
});
