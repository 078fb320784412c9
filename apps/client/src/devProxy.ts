/**
 * What `vite` (make client-dev) proxies to the API, so the console and the API share one
 * origin as behind nginx in the image. Keys are path prefixes (Vite matches with
 * `startsWith`, or a regular expression when a key starts with `^`): each ends where the
 * API's paths end, so `/api/` never swallows a console route such as `/api-keys`.
 */
export const API_TARGET = 'http://127.0.0.1:8000';

export const DEV_PROXY = {
  '/api/': { target: API_TARGET, changeOrigin: false },
  '^/(health|readiness)$': { target: API_TARGET },
} as const;

/** Vite's own rule for a proxy key, so tests can ask which paths leave for the API. */
export function proxied(path: string): boolean {
  return Object.keys(DEV_PROXY).some((key) =>
    key.startsWith('^') ? new RegExp(key).test(path) : path.startsWith(key),
  );
}
