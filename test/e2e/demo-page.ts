/**
 * `npm run demo` in a real browser, for one test file: the demo as a child process (as `npm run demo`
 * starts it, at the given speed) and a page of Debian's chromium (or CHROMIUM_PATH) on it, started
 * before the file's tests and closed after them. `screenshotPath` is where a picture goes: docs/ with
 * DEMO_SCREENSHOT=1 (`npm run screenshots`), a temporary folder otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../helpers';
import { waitFor } from './harness';

const ROOT = path.join(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface DemoInBrowser {
  /** The demo's address, as it printed it. */
  url: string;
  page: Page;
}

/** Registers this file's beforeAll and afterAll; the fields are set once beforeAll has run. */
export function demoInBrowser(options: { speed: number; viewport: { width: number; height: number } }): DemoInBrowser {
  const demo = {} as DemoInBrowser;
  let child: ChildProcess | undefined;
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: scripts/ensure-services.sh says how to install one, or set CHROMIUM_PATH`);
    const port = await freePort();
    let output = '';
    const started = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'demo/run.ts')], {
      cwd: mkdtempSync(path.join(tmpdir(), 'checkly-slack-demo-')),
      env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), DEMO_PORT: String(port), DEMO_SPEED: String(options.speed) },
    });
    child = started;
    started.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    started.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => /open (http:\/\/localhost:\d+)/.exec(output)?.[1] ?? (started.exitCode !== null && 'exited'), 60_000, 'the demo to start');
    demo.url = /open (http:\/\/localhost:\d+)/.exec(output)?.[1] ?? '';
    expect(demo.url).toBe(`http://localhost:${port}`);
    // A fresh profile (--user-data-dir, which playwright passes for a persistent context).
    browser = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'checkly-slack-chromium-')), {
      executablePath: CHROMIUM,
      viewport: options.viewport,
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
    demo.page = browser.pages()[0] ?? (await browser.newPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child?.once('exit', resolve));
    }
  });

  return demo;
}

export function screenshotPath(name: string): string {
  const dir = process.env.DEMO_SCREENSHOT === '1' ? path.join(ROOT, 'docs') : mkdtempSync(path.join(tmpdir(), 'demo-shot-'));
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
