import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';

/** Screenshots of every page land here for review (make e2e: the repository's reports/). */
const SHOTS = process.env.E2E_REPORTS_DIR ?? 'reports-e2e';
const EMAIL = process.env.E2E_EMAIL ?? 'e2e@example.com';
const PASSWORD = process.env.E2E_PASSWORD ?? '';

async function signIn(page: Page) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await shot(page, 'login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

const errors: string[] = [];

test.beforeEach(async ({ page }) => {
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  await signIn(page);
});

test.afterAll(() => {
  // No JavaScript error on any page, in any test.
  expect(errors).toEqual([]);
});

test('predicts tickets and records feedback', async ({ page }) => {
  await page.getByRole('link', { name: 'Predict' }).click();
  await page
    .getByLabel('Tickets, one per line')
    .fill('I was charged twice for my order\nThe app crashes when I log in');
  await page.getByRole('button', { name: 'Classify' }).click();
  await expect(page.getByRole('heading', { name: 'Results' })).toBeVisible();
  const first = page.locator('li.card').first();
  const group = first.getByRole('group', { name: 'Feedback: the correct label' });
  await group.getByRole('button', { name: 'billing' }).click();
  await expect(first.getByText(/Feedback recorded: billing/)).toBeVisible();
  await shot(page, 'predict');
});

test('runs a batch job and downloads its results', async ({ page }) => {
  await page.getByRole('link', { name: 'Jobs' }).click();
  await page
    .getByLabel('Items, one JSON object per line')
    .fill('{"id": "a", "text": "refund please"}\n{"id": "b", "text": "where is my parcel"}');
  await page.getByRole('button', { name: 'Submit job' }).click();
  const download = page.getByRole('button', { name: /Download results of job .* as CSV/ });
  await expect(download.first()).toBeVisible({ timeout: 60_000 });
  const [file] = await Promise.all([page.waitForEvent('download'), download.first().click()]);
  const path = await file.path();
  expect(path).toBeTruthy();
  const csv = await readFile(path, 'utf8');
  expect(csv.split('\n')[0]).toContain('position');
  expect(csv).toContain('"a"');
  await shot(page, 'jobs');
});

test('promotes a challenger, sets the traffic split, rolls back', async ({ page }) => {
  await page.getByRole('link', { name: 'Models' }).click();
  const promote = page.getByRole('region', { name: 'Promote', exact: true });
  await promote.getByRole('combobox', { name: 'Version', exact: true }).selectOption('2');
  await promote.getByRole('combobox', { name: 'Alias' }).selectOption('challenger');
  await promote.getByLabel('Reason').fill('e2e canary');
  await promote.getByRole('button', { name: 'Move alias' }).click();
  await expect(promote.getByText(/challenger moved from none to version 2/)).toBeVisible();

  const weight = page.getByLabel('Challenger weight (% of routing keys)');
  await weight.fill('25');
  await page.getByRole('button', { name: 'Save traffic split' }).click();
  await expect(page.getByText(/Saved: 25 % to the challenger/)).toBeVisible();

  // The canary passed: the challenger's version becomes champion...
  await promote.getByRole('combobox', { name: 'Alias' }).selectOption('champion');
  await promote.getByLabel('Reason').fill('e2e canary passed');
  await promote.getByRole('button', { name: 'Move alias' }).click();
  await expect(promote.getByText(/champion moved from version 1 to version 2/)).toBeVisible();
  // ...and is rolled back in one call.
  const rollback = page.getByRole('region', { name: 'Roll back', exact: true });
  await rollback.getByRole('combobox', { name: 'Alias' }).selectOption('champion');
  await rollback.getByLabel('Reason').fill('e2e rollback');
  await rollback.getByRole('button', { name: /Roll back to the previous/ }).click();
  await expect(rollback.getByText(/champion moved from version 2 to version 1/)).toBeVisible();
  // Every answer from the champion again, for the drift test's window.
  await weight.fill('0');
  await page.getByRole('button', { name: 'Save traffic split' }).click();
  await expect(page.getByText(/Saved: 0 % to the challenger/)).toBeVisible();
  await shot(page, 'models');
});

test('creates and revokes an API key', async ({ page }) => {
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByLabel('Name').fill('e2e key');
  await page.getByRole('group', { name: 'Scopes' }).getByLabel('predict').check();
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = await page.getByLabel('Secret key').inputValue();
  expect(secret.length).toBeGreaterThan(20);
  await expect(page.getByText(/X-API-Key/).first()).toBeVisible();
  await shot(page, 'api-key-created');
  // The key works as the panel says: in the X-API-Key header.
  const me = await page.request.get('/api/v1/users/me', { headers: { 'X-API-Key': secret } });
  expect(me.status()).toBe(200);
  await page.getByRole('button', { name: 'I have stored it' }).click();
  await page.getByRole('button', { name: 'Revoke e2e key' }).click();
  await page.getByRole('button', { name: 'Confirm revoke “e2e key”' }).click();
  await expect(page.getByText(/^revoked/)).toBeVisible();
  await page.reload(); // a reload of /api-keys renders the page, not the API's 404
  await expect(page.getByRole('heading', { name: 'API keys', level: 1 })).toBeVisible();
  await shot(page, 'api-keys');
});

test('shows drift and traffic charts after drifted traffic', async ({ page }) => {
  // Long, odd tickets: their length and vocabulary move away from the reference.
  const texts = Array.from(
    { length: 40 },
    (_, i) => `zqx ${'lorem ipsum dolor sit amet '.repeat(20)} ticket ${i}`,
  );
  await page.getByRole('link', { name: 'Predict' }).click();
  await page.getByLabel('Tickets, one per line').fill(texts.join('\n'));
  await page.getByRole('button', { name: 'Classify' }).click();
  await expect(page.getByRole('heading', { name: 'Results' })).toBeVisible();

  await page.getByRole('link', { name: 'Monitoring' }).click();
  const drift = page.getByRole('img', { name: /^Population stability index/ });
  await expect(drift).toBeVisible();
  await expect(drift.locator('.recharts-bar-rectangle').first()).toBeVisible();
  await expect(page.getByRole('img', { name: /predictions answered in the window/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /^Latency percentiles/ })).toBeVisible();
  await shot(page, 'monitoring');
});

/**
 * The LLM provider of `make e2e` (apps/server/scripts/e2e_provider.py): the tests' fake
 * OpenAI-protocol server, scripted to call both tools, then stream this answer citing a
 * seeded article, held after its first pieces until this spec releases it.
 */
const LLM_URL = process.env.E2E_LLM_URL;
const LLM_PROVIDER = process.env.E2E_LLM_PROVIDER ?? 'e2e';
const REPLY_START = 'We are sorry that your order was charged twice.';
const REPLY_END = 'on its way back to you.';
const CITED = { slug: 'refund-refund', title: 'Help with refund and money back' };

test('streams a reply draft and records feedback (skips without an LLM provider)', async ({
  page,
}) => {
  await page.getByRole('link', { name: 'Draft a reply' }).click();
  await page
    .getByLabel('Ticket')
    .fill('I was charged twice for my order: please refund one payment');
  const answer = page.waitForResponse(
    (r) => new URL(r.url()).pathname === '/api/v1/drafts' && r.request().method() === 'POST',
  );
  await page.getByRole('button', { name: 'Draft reply' }).click();
  const response = await answer;
  if (response.status() === 503) {
    // A stack without a provider: the page says how to configure one, and that is all.
    expect(LLM_URL, 'the stack started a provider, yet drafts answer 503').toBeUndefined();
    await expect(page.getByRole('alert')).toContainText(/provider/i);
    await shot(page, 'drafts-no-provider');
    test.skip(true, 'no LLM provider is configured in this stack');
    return;
  }
  expect(response.headers()['content-type']).toContain('text/event-stream');
  const status = page.getByRole('status', { name: 'Drafting status' });
  const steps = page.getByRole('list', { name: 'Tool steps' });
  if (LLM_URL) {
    // The scripted provider: both tools ran (the classifier on the worker), and the reply
    // is being written while its answer is held half-way.
    await expect(status).toHaveText('Drafting: writing the reply…', { timeout: 60_000 });
    for (const tool of ['classify_ticket', 'search_articles']) {
      const step = steps.getByRole('listitem').filter({ hasText: tool });
      await expect(step.getByText('ok', { exact: true })).toBeVisible();
    }
    const reply = page.locator('.reply');
    await expect(reply).toContainText(REPLY_START);
    await expect(reply).not.toContainText(REPLY_END);
    await shot(page, 'drafts-streaming');
    const released = await page.request.post(`${LLM_URL}/_control/release/${LLM_PROVIDER}`);
    expect(released.ok()).toBe(true);
  }
  await expect(status).toHaveText(/Draft ready\.|Drafting failed\./, { timeout: 120_000 });
  await expect(status).toHaveText('Draft ready.');
  await expect(steps).toBeVisible();
  if (LLM_URL) {
    await expect(page.locator('.reply')).toContainText(REPLY_END);
    await expect(page.getByText(`${CITED.title} ${CITED.slug}`).first()).toBeVisible();
  }
  await page.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByText('Feedback recorded: accepted.')).toBeVisible();
  await shot(page, 'drafts');
  await page.getByRole('link', { name: 'Open this draft' }).click();
  // The stored draft, opened beside the composer (not the page, "Draft a reply"): its
  // trace, its cited article and the feedback it keeps.
  const stored = page.getByRole('region', { name: /^Draft [0-9a-f]{8}$/ });
  await expect(stored.getByRole('list', { name: 'Stored steps' })).toBeVisible();
  if (LLM_URL) {
    await expect(stored.getByRole('list', { name: 'Stored steps' })).toContainText(
      'search_articles',
    );
    await expect(stored.getByText(`${CITED.title} ${CITED.slug}`)).toBeVisible();
  }
  await expect(stored.getByText('Feedback recorded: accepted.')).toBeVisible();
});

test('every page fits a 390 px screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [name, link] of [
    ['jobs', 'Jobs'],
    ['drafts', 'Draft a reply'],
    ['models', 'Models'],
    ['monitoring', 'Monitoring'],
  ] as const) {
    await page.getByRole('link', { name: link }).click();
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await shot(page, `${name}-390px`);
  }
});

test('the API docs render with the network blocked', async ({ page }) => {
  const api = new URL(process.env.E2E_API_URL ?? 'http://127.0.0.1:8000');
  const outside: string[] = [];
  // Anything not asked of the API itself is refused, as on a machine without internet.
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host === api.host) return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  await page.goto(new URL('/docs', api).href);
  await expect(page.locator('.swagger-ui .info .title')).toContainText('ticket-triage');
  await expect(page.getByText('/api/v1/predictions').first()).toBeVisible();
  await shot(page, 'docs-offline');
  await page.goto(new URL('/redoc', api).href);
  await expect(page.getByRole('heading', { name: /ticket-triage/ }).first()).toBeVisible();
  await shot(page, 'redoc-offline');
  expect(outside).toEqual([]);
});
