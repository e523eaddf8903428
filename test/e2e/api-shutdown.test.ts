/**
 * Shutdown that a waiting pipeline cannot hold: SIGTERM to the real app in a child process while CI
 * clients long-poll its runs, and the same stop while a run's screenshots are still being fetched.
 * Every waiter is answered at once, the process exits 0 within the 10 s grace, and what was in flight
 * is done by the next process.
 */
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp } from '../../src/app';
import { allowingOrigin } from '../../src/checkly/redirects';
import { loadConfig } from '../../src/config';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';
import { API_ENV, API_TOKENS, api } from './api-helpers';
import { childApps, type AppProcess } from './child';
import { ACCOUNT_ID, SECRETS, fakeEnv, messageText, waitFor } from './harness';
import { sleep } from '../helpers';

const RUNS = '/api/v1/runs';
const fx = childApps({ ...API_ENV, CHECKLY_POLL_WAIT_SECONDS: '1', SLACK_UPDATE_INTERVAL_MS: '200', RUN_SWEEP_INTERVAL_MS: '500' });

const base = (app: AppProcess) => `http://127.0.0.1:${app.port}`;

/** GET ?wait as a pipeline's client sends it, on a connection of its own: the answer and when it came. */
function longPoll(app: AppProcess, id: string, wait: number): Promise<{ status: number; body: Record<string, unknown>; at: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${base(app)}${RUNS}/${id}?wait=${wait}`,
      { headers: { Authorization: `Bearer ${API_TOKENS.deploy.secret}` }, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, at: Date.now() }));
      },
    );
    req.on('error', reject);
  });
}

describe('SIGTERM while pipelines wait', () => {
  test('10 clients on ?wait=60: each answered within 3 s with the run as it is, exit 0 within 10 s, and the run ends after a restart', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-shutdown-'));
    fx.checkly.addCheck({ name: 'Slow API', tags: ['prod'], durationMs: 15_000 });
    const first = await fx.launch({ STATE_DIR: stateDir }).started();
    const started = await api(base(first), 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'prod' } });
    expect(started.status).toBe(202);
    const id = String(started.json.id);
    await waitFor(() => fx.checkly.requests.some((r) => r.op === 'trigger'), 10_000, 'the trigger');

    const waiters = Array.from({ length: 10 }, () => longPoll(first, id, 60));
    // Let every long poll reach the app before the signal.
    await sleep(1000);
    const signalled = Date.now();
    first.kill('SIGTERM');
    const answers = await Promise.all(waiters);
    const code = await first.exited(15_000);

    const latest = Math.max(...answers.map((a) => a.at - signalled));
    expect(answers.map((a) => [a.status, a.body.id, a.body.status])).toEqual(Array(10).fill([200, id, 'running']));
    expect(latest).toBeLessThan(3000);
    expect(code).toBe(0);
    expect(first.exitedAt! - signalled).toBeLessThan(10_000);
    expect(first.lines.filter((l) => typeof l.level === 'number' && l.level >= 40)).toEqual([]);

    // Nothing lost: the next process follows the run to its end, in its one message.
    const second = await fx.launch({ STATE_DIR: stateDir }).started();
    const final = await api(base(second), 'GET', `${RUNS}/${id}?wait=30`);
    expect(final.json).toMatchObject({ id, status: 'passed', counts: { passed: 1, running: 0 } });
    const messages = [...fx.slack.messages.values()].filter((m) => m.thread_ts === undefined);
    expect(messages).toHaveLength(1);
    await waitFor(() => /1 passed/.test(messageText(fx.slack.messages.get(`${messages[0]!.channel}:${messages[0]!.ts}`)!)), 10_000, 'the final message');
    // eslint-disable-next-line no-console
    console.log(`shutdown with 10 long polls: last answer ${latest} ms after SIGTERM, exit ${code} after ${first.exitedAt! - signalled} ms`);
  }, 90_000);
});

/**
 * In this process, so that the fake Checkly's loopback storage may be downloaded from (production
 * allows no such redirect): two apps on one store, one after the other, stopped by the stop SIGTERM calls.
 */
describe("stop while a run's screenshots are still being fetched", () => {
  let slack: FakeSlack;
  let checkly: FakeCheckly;

  beforeEach(async () => {
    slack = await startFakeSlack({ botToken: SECRETS.botToken });
    checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
  });

  afterEach(async () => {
    await Promise.all([slack.close(), checkly.close()]);
  });

  test('they are handed over: the stop ends well within the grace, with no warning, and the next process adds them once', async () => {
    const loaded = loadConfig({
      ...fakeEnv(slack, checkly),
      ...API_ENV,
      PORT: '0',
      CHECKLY_POLL_WAIT_SECONDS: '1',
      SLACK_UPDATE_INTERVAL_MS: '200',
      RUN_SWEEP_INTERVAL_MS: '500',
      LOG_LEVEL: 'info',
      STATE_DIR: mkdtempSync(path.join(tmpdir(), 'checkly-slack-shutdown-')),
    });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const start = (lines: string[]) =>
      startApp(loaded.config, { logDestination: { write: (l: string) => lines.push(l) }, assetRedirects: allowingOrigin(checkly.url) });
    const warnings = (lines: string[]) => lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 40);

    checkly.addCheck({
      name: 'Checkout flow',
      tags: ['web'],
      checkType: 'BROWSER',
      durationMs: 200,
      outcome: 'FAILED',
      errorMessage: 'Timeout waiting for "#pay"',
    });
    // The screenshot's manifest takes longer than the whole shutdown grace.
    checkly.setDelay('assets', 30_000);
    const firstLines: string[] = [];
    const first = await start(firstLines);
    const started = await api(`http://127.0.0.1:${first.port}`, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'web' } });
    const id = String(started.json.id);
    const ts = (started.json.message as { ts: string }).ts;
    const replies = () => [...slack.messages.values()].filter((m) => m.thread_ts === ts && m.ts !== ts);
    await waitFor(() => replies().length === 1, 15_000, 'the failure reply');
    await waitFor(() => checkly.requests.some((r) => r.op === 'assets'), 10_000, 'the screenshot fetch');

    const stopping = Date.now();
    await first.stop();
    const stopMs = Date.now() - stopping;
    expect(stopMs).toBeLessThan(9000);
    expect(warnings(firstLines)).toEqual([]);
    expect(firstLines.some((l) => l.includes('the failure screenshots are left to the next process') && l.includes(id))).toBe(true);
    expect(slack.uploads.size).toBe(0);

    checkly.setDelay('assets', 0);
    const secondLines: string[] = [];
    const second = await start(secondLines);
    try {
      const upload = await waitFor(() => [...slack.uploads.values()].find((u) => u.completedAt !== undefined), 15_000, 'the screenshot from the next process');
      expect(upload.threadTs).toBe(ts);
      // Once: the reply is not posted again, the screenshot not uploaded twice, and the run is settled.
      await sleep(1500);
      expect(slack.uploads.size).toBe(1);
      expect(replies()).toHaveLength(1);
      expect(warnings(secondLines)).toEqual([]);
    } finally {
      await second.stop();
    }
    // eslint-disable-next-line no-console
    console.log(`stop with a screenshot download hanging: ${stopMs} ms`);
  }, 90_000);
});
