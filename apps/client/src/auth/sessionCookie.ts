/**
 * The CSRF cookie the API sets next to the HttpOnly refresh cookie. The page cannot see the
 * refresh token; it reads this companion to echo it in `X-CSRF-Token` when it refreshes or
 * signs out, and its presence tells that a session may be restored after a reload.
 *
 * Over HTTPS the API names it `__Host-tt_csrf` (a name only this exact origin can set, over
 * HTTPS); in plain-HTTP development (`APP_REFRESH_COOKIE_SECURE=false`) `tt_csrf`.
 */

export const CSRF_HEADER = 'X-CSRF-Token';
export const TRANSPORT_HEADER = 'X-Refresh-Token-Transport';
export const CSRF_COOKIE_NAMES = ['__Host-tt_csrf', 'tt_csrf'] as const;

/** The CSRF token in a `document.cookie` string, or null. */
export function csrfFromCookies(cookies: string): string | null {
  const pairs = cookies
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const at = part.indexOf('=');
      return at < 0 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)];
    });
  for (const name of CSRF_COOKIE_NAMES) {
    const value = pairs.find(([key]) => key === name)?.[1];
    if (value) return value;
  }
  return null;
}

/** The current CSRF token of this browser's session, or null when there is none. */
export function readCsrfToken(): string | null {
  try {
    return typeof document === 'undefined' ? null : csrfFromCookies(document.cookie);
  } catch {
    return null;
  }
}
