import type { Page } from 'playwright-core';
import { demoInBrowser, screenshotPath } from './demo-page';

/**
 * `npm run demo`'s scheduled alerts in a real browser: the simulated account's scheduled check fails
 * and recovers, its alerts reach the demo channel through the app's endpoint signed as Checkly signs,
 * and the incident message shows with its buttons; I'm on it shows who, the recovery turns it green.
 * With DEMO_SCREENSHOT=1 (`npm run screenshots`) it writes docs/alerts.png, the README's picture.
 */
// 30 times faster: an incident every 6 s, recovered 3 s after it opened.
const demo = demoInBrowser({ speed: 30, viewport: { width: 1280, height: 900 } });
let page: Page;
let url: string;

beforeAll(() => {
  ({ page, url } = demo);
});

test('the scheduled check’s alerts arrive as one incident message: failing with its buttons, I’m on it, then green', async () => {
  await page.goto(url);
  const incident = page.locator('#log > [data-testid="message"]', { hasText: 'Web · home page' }).last();
  await incident.getByText(/is failing/).waitFor({ timeout: 30_000 });
  for (const name of ['Rerun', 'Details', 'I’m on it']) await incident.getByRole('button', { name }).waitFor({ timeout: 5000 });
  await incident.getByRole('button', { name: 'I’m on it' }).click();
  await incident.getByText(/On it: @alice/).waitFor({ timeout: 10_000 });
  await incident.getByText(/is failing · 2 alerts/).waitFor({ timeout: 10_000 });
  await incident.screenshot({ path: screenshotPath('alerts.png') });
  await incident
    .getByText(/recovered after .* · 3 alerts/)
    .first()
    .waitFor({ timeout: 15_000 });
}, 90_000);
