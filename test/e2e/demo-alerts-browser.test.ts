import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../helpers';
import { waitFor } from './harness';

/**
 * `npm run demo`'s scheduled alerts in a real browser: the simulated account's scheduled check fails
 * and recovers, its alerts reach the demo channel through the app's endpoint signed as Checkly signs,
 * and the incident message shows with its buttons; I'm on it shows who, the recovery turns it green.
 * With DEMO_SCREENSHOT=1 (`npm run screenshots`) it writes docs/alerts.png, the README's picture.
 */
const ROOT = path.join(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let demo: ChildProcess;
let output = '';
let browser: BrowserContext;
let page: Page;
let url: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: scripts/ensure-services.sh says how to install one, or set CHROMIUM_PATH`);
  const port = await freePort();
  // 30 times faster: an incident every 6 s, recovered 3 s after it opened.
  demo = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'demo/run.ts')], {
    cwd: mkdtempSync(path.join(tmpdir(), 'checkly-slack-demo-alerts-')),
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), DEMO_PORT: String(port), DEMO_SPEED: '30' },
  });
  demo.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  demo.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(() => /open (http:\/\/localhost:\d+)/.exec(output)?.[1] ?? (demo.exitCode !== null && 'exited'), 60_000, 'the demo to start');
  url = /open (http:\/\/localhost:\d+)/.exec(output)?.[1] ?? '';
  browser = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'checkly-slack-chromium-')), {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
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

function screenshotPath(name: string): string {
  const dir = process.env.DEMO_SCREENSHOT === '1' ? path.join(ROOT, 'docs') : mkdtempSync(path.join(tmpdir(), 'demo-shot-'));
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
