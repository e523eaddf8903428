import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { waitFor } from './harness';

/**
 * `npm run demo` in a real browser (Debian's chromium, or CHROMIUM_PATH; scripts/ensure-services.sh says how to install it):
 * the page sends a signed slash command to the real app, the run message goes from running to final
 * live, Rerun failed and a confirmed Cancel work through signed block_actions. Writes docs/demo.png with DEMO_SCREENSHOT=1.
 */
const ROOT = path.join(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let demo: ChildProcess;
let output = '';
let browser: BrowserContext;
let page: Page;
let url: string;

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: scripts/ensure-services.sh says how to install one, or set CHROMIUM_PATH`);
  const port = await freePort();
  // As `npm run demo` runs it, with the simulated checks 20 times faster (2 min becomes 6 s).
  demo = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'demo/run.ts')], {
    cwd: mkdtempSync(path.join(tmpdir(), 'checkly-slack-demo-test-')),
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), DEMO_PORT: String(port), DEMO_SPEED: '20' },
  });
  demo.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  demo.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(() => /open (http:\/\/localhost:\d+)/.exec(output)?.[1] ?? (demo.exitCode !== null && 'exited'), 60_000, 'the demo to start');
  url = /open (http:\/\/localhost:\d+)/.exec(output)?.[1] ?? '';
  expect(url).toBe(`http://localhost:${port}`);
  // A fresh profile (--user-data-dir, which playwright passes for a persistent context).
  browser = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'checkly-slack-chromium-')), {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 1040 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    demo.kill('SIGTERM');
    await new Promise((resolve) => demo.once('exit', resolve));
  }
});

/** The first run message in the channel (not a thread reply). */
const runMessage = () => page.locator('#log > [data-testid="message"]').first();

test('type /checkly run prod, watch it finish, rerun the failed checks, confirm a Cancel', async () => {
  await page.goto(url);
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly run prod');
  await page.keyboard.press('Enter');

  // The command the user typed, then the app's message, live while checks run.
  await page.locator('.typed', { hasText: '/checkly run prod' }).waitFor({ timeout: 15_000 });
  await runMessage().locator('.header', { hasText: 'Checkly run: prod' }).waitFor({ timeout: 20_000 });
  await runMessage().getByText(/running/).first().waitFor({ timeout: 20_000 });
  await runMessage().getByRole('button', { name: 'Cancel' }).waitFor();

  // Final: counts, no Cancel, Rerun failed offered; the thread reply mentions the requester.
  await runMessage().getByRole('button', { name: /Rerun failed/ }).waitFor({ timeout: 60_000 });
  await runMessage().getByText(/\d+ passed · ❌ 2 failed · ⚠️ 1 degraded/).waitFor();
  expect(await runMessage().getByRole('button', { name: 'Cancel' }).count()).toBe(0);
  await runMessage().locator('[data-testid="thread"]').getByText('@alice').first().waitFor({ timeout: 20_000 });
  // Everything from the command to the thread reply and its screenshot, for the README.
  await page.locator('#log [data-testid="file"]').first().waitFor({ timeout: 20_000 });
  await page.locator('#log').evaluate((log) => log.scrollTo(0, 0));
  await page.screenshot({ path: screenshotPath() });

  // Rerun failed: a new run message in the thread, for exactly the failed and degraded checks.
  await runMessage().getByRole('button', { name: /Rerun failed \(3\)/ }).click();
  const rerun = runMessage().locator('[data-testid="thread"] [data-testid="message"]', { hasText: 'Checkly run' });
  await rerun.first().waitFor({ timeout: 20_000 });
  await rerun.first().getByText('3 checks').first().waitFor({ timeout: 20_000 });
  // The demo's flaky check passes this time; the rerun's message reaches its final state live.
  await rerun.first().getByText(/✅ 1 passed · ❌ 1 failed · ⚠️ 1 degraded/).waitFor({ timeout: 60_000 });

  // A long run to cancel: Cancel asks first; "Keep running" keeps it, the confirm cancels it.
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly run web,eu');
  await page.keyboard.press('Enter');
  const second = page.locator('#log > [data-testid="message"]', { hasText: 'Checkly run: web,eu' });
  await second.getByRole('button', { name: 'Cancel' }).click({ timeout: 20_000 });
  const confirm = page.locator('[data-testid="confirm"]');
  await confirm.waitFor();
  await confirm.getByRole('button', { name: 'Keep running' }).click();
  expect(await confirm.count()).toBe(0);
  await second.getByRole('button', { name: 'Cancel' }).click();
  await confirm.getByRole('button', { name: 'Cancel checks' }).click();
  await second.getByText(/cancelled/).first().waitFor({ timeout: 20_000 });

  // /checkly help answers only the user.
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly help');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="ephemeral"]', { hasText: 'Only visible to you' }).last().waitFor({ timeout: 15_000 });

  // A listing only the user sees, with Run buttons: "Run these" starts a run in the channel.
  const runsBefore = await page.locator('#log > [data-testid="message"]').count();
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly failing');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="ephemeral"]').getByRole('button', { name: /^Run these/ }).last().click({ timeout: 20_000 });
  await page.locator('#log > [data-testid="message"]').nth(runsBefore).getByText(/Checkly run/).first().waitFor({ timeout: 20_000 });

  // The app's modals. Details, from a failure's button in the thread reply, then from the run's menu.
  const modal = page.locator('[data-testid="modal"]');
  await runMessage().locator('[data-testid="thread"]').getByRole('button', { name: 'Details' }).first().click();
  await modal.getByRole('heading', { name: 'Check details' }).waitFor({ timeout: 20_000 });
  await modal.getByText(/Checkout · pay with card|Public API · create order|Payments API · refunds/).first().waitFor({ timeout: 20_000 });
  await modal.getByRole('button', { name: 'Close' }).click();
  expect(await modal.count()).toBe(0);
  await runMessage().locator('select[data-menu]').first().selectOption({ index: 1 });
  await modal.getByRole('heading', { name: 'Check details' }).waitFor({ timeout: 20_000 });
  await modal.getByRole('button', { name: 'Close' }).click();

  // The form (`/checkly` alone): choose a tag from the type-ahead, watch the count follow, run it.
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly');
  await page.keyboard.press('Enter');
  await modal.getByRole('heading', { name: 'Run Checkly checks' }).waitFor({ timeout: 20_000 });
  await modal.getByRole('textbox', { name: 'Type a tag' }).click();
  await modal.getByRole('option', { name: /^staging/ }).first().click({ timeout: 20_000 });
  await modal.getByText(/4 checks match/).waitFor({ timeout: 20_000 });
  await modal.getByRole('button', { name: 'Run' }).click();
  await modal.waitFor({ state: 'detached', timeout: 20_000 });
  await page.locator('#log > [data-testid="message"]', { hasText: 'Checkly run' }).filter({ hasText: 'staging' }).first().waitFor({ timeout: 20_000 });
}, 240_000);

/** docs/demo.png when asked for (`DEMO_SCREENSHOT=1`, to refresh the README's picture); a temporary file otherwise, so a test run leaves the tree clean. */
function screenshotPath(): string {
  const dir = process.env.DEMO_SCREENSHOT === '1' ? path.join(ROOT, 'docs') : mkdtempSync(path.join(tmpdir(), 'demo-shot-'));
  mkdirSync(dir, { recursive: true });
  return path.join(dir, 'demo.png');
}
