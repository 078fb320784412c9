import { describe, expect, it } from 'vitest';
import { csrfFromCookies } from './sessionCookie';

describe('csrfFromCookies', () => {
  it('reads the HTTPS name first, then the plain-HTTP development name', () => {
    expect(csrfFromCookies('theme=dark; __Host-tt_csrf=abc.def; tt_csrf=old')).toBe('abc.def');
    expect(csrfFromCookies('tt_csrf=n0nce.s1g')).toBe('n0nce.s1g');
  });

  it('finds nothing without a session, or in an emptied cookie', () => {
    expect(csrfFromCookies('')).toBeNull();
    expect(csrfFromCookies('theme=dark; my_tt_csrf=x')).toBeNull();
    expect(csrfFromCookies('tt_csrf=')).toBeNull();
  });
});
