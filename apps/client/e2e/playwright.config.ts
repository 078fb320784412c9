import { defineConfig } from '@playwright/test';

/**
 * Browser tests of the built console (`make e2e`): `vite preview` serves dist/ and proxies
 * /api/ to the API that apps/server/scripts/e2e_stack.py started (E2E_API_URL). The
 * browser is the machine's Chromium (Debian's `chromium` package; CHROMIUM_PATH moves it):
 * Playwright downloads none.
 */
const port = Number(process.env.E2E_CONSOLE_PORT ?? '4173');
/** Screenshots, traces and the HTML report: the repository's reports/e2e by default. */
export const REPORTS = process.env.E2E_REPORTS_DIR ?? '../../../reports/e2e';

export default defineConfig({
  testDir: '.',
  // One stack, one user, tests that build on each other's data: one at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['html', { outputFolder: `${REPORTS}/html`, open: 'never' }]],
  outputDir: `${REPORTS}/results`,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: {
    // From apps/client, where dist/ and vite.config.ts are.
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    cwd: '..',
    url: `http://127.0.0.1:${port}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: { API_PROXY_TARGET: process.env.E2E_API_URL ?? 'http://127.0.0.1:8000' },
  },
});
