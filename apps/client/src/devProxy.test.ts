import { describe, expect, it } from 'vitest';
import { proxied } from './devProxy';
import { NAV_ITEMS } from './routes';

describe('dev server proxy', () => {
  it('sends the API and its probes to the API', () => {
    for (const path of ['/api/v1/users/me', '/api/v1/api-keys', '/health', '/readiness']) {
      expect(proxied(path), path).toBe(true);
    }
  });

  it('leaves every console page to the app, so a reload renders it', () => {
    for (const { path } of NAV_ITEMS) {
      expect(proxied(path), path).toBe(false);
      expect(proxied(`${path}?page=2`), path).toBe(false);
    }
    expect(proxied('/api-keys')).toBe(false);
    expect(proxied('/login')).toBe(false);
  });
});
