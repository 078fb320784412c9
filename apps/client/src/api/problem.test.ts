import { describe, expect, it } from 'vitest';
import { ApiError, describeError, errorFromResponse, parseRetryAfter } from './problem';

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('30')).toBe(30);
    expect(parseRetryAfter(' 0 ')).toBe(0);
  });

  it('reads an HTTP-date relative to now and never goes negative', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:42 GMT', now)).toBe(42);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('is null when absent or unreadable', () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter('-5')).toBeNull();
  });
});

describe('errorFromResponse', () => {
  it('parses a problem+json document', async () => {
    const response = new Response(
      JSON.stringify({
        type: 'urn:problem-type:not-found',
        title: 'Not Found',
        status: 404,
        detail: 'No job 42.',
        instance: '/api/v1/jobs/42',
        request_id: 'abc123',
      }),
      { status: 404, headers: { 'Content-Type': 'application/problem+json' } },
    );
    const error = await errorFromResponse(response);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(404);
    expect(error.title).toBe('Not Found');
    expect(error.detail).toBe('No job 42.');
    expect(error.type).toBe('urn:problem-type:not-found');
    expect(error.requestId).toBe('abc123');
    expect(error.fieldErrors).toEqual([]);
  });

  it('lists the fields of a 422 without the location root', async () => {
    const response = new Response(
      JSON.stringify({
        type: 'urn:problem-type:validation-error',
        title: 'Unprocessable Entity',
        status: 422,
        detail: 'body.texts.0: String should match pattern',
        request_id: 'r1',
        errors: [
          { loc: ['body', 'texts', 0], msg: 'String should match pattern', type: 'x' },
          { loc: ['query', 'limit'], msg: 'Input should be a valid integer', type: 'y' },
          { loc: [], msg: 'Bad', type: 'z' },
        ],
      }),
      { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
    );
    const error = await errorFromResponse(response);
    expect(error.fieldErrors).toEqual([
      { field: 'texts.0', message: 'String should match pattern' },
      { field: 'limit', message: 'Input should be a valid integer' },
      { field: 'request', message: 'Bad' },
    ]);
  });

  it('reads Retry-After from a 429', async () => {
    const response = new Response(
      JSON.stringify({ title: 'Too Many Requests', status: 429, detail: 'Slow down.' }),
      { status: 429, headers: { 'Retry-After': '12' } },
    );
    const error = await errorFromResponse(response);
    expect(error.retryAfterSeconds).toBe(12);
    expect(describeError(error)).toBe('Slow down. Try again in 12 seconds.');
  });

  it('does not show a proxy error page but keeps the status', async () => {
    const response = new Response('<html><body>Bad gateway</body></html>', {
      status: 502,
      statusText: 'Bad Gateway',
      headers: { 'Content-Type': 'text/html', 'X-Request-ID': 'edge-1' },
    });
    const error = await errorFromResponse(response);
    expect(error.status).toBe(502);
    expect(error.detail).toBe('The server answered 502 Bad Gateway.');
    expect(error.detail).not.toContain('<html>');
    expect(error.requestId).toBe('edge-1');
  });
});
