/**
 * What `vite` and `vite preview` proxy to the API, so the console and the API share one
 * origin as behind nginx in the image. Keys are path prefixes (Vite matches with
 * `startsWith`, or a regular expression when a key starts with `^`): each ends where the
 * API's paths end, so `/api/` never swallows a console route such as `/api-keys`.
 */
export const DEFAULT_API_TARGET = 'http://127.0.0.1:8000';

export function devProxy(target: string = DEFAULT_API_TARGET) {
  return {
    '/api/': { target, changeOrigin: false },
    '^/(health|readiness)$': { target },
  };
}

/** Vite's own rule for a proxy key, so tests can ask which paths leave for the API. */
export function proxied(path: string): boolean {
  return Object.keys(devProxy()).some((key) =>
    key.startsWith('^') ? new RegExp(key).test(path) : path.startsWith(key),
  );
}
