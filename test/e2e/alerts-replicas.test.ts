/**
 * Incidents survive restarts and replicas as runs do (product.md section 12): the app killed between
 * a failure and its recovery, the next process updates the same message; two replicas on one Redis,
 * each handed deliveries (the same one twice, as a load balancer may), post one message per incident.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EARLIER_POST } from '../../src/blocks/alert';
import type { AlertVariables, FakeCheck } from '../fakes/checkly';
import { freePort, redisPrefixForThisBlock } from '../helpers';
import { childApps, type AppProcess } from './child';
import { findButton, messageText, waitFor } from './harness';

const ADMIN = 'U0ALICE';
const fx = childApps({ CHECKLY_POLL_WAIT_SECONDS: '2', SLACK_UPDATE_INTERVAL_MS: '200', ALERTS_ADMINS: ADMIN });
let n = 0;

function vars(check: FakeCheck, type: string, location = 'eu-west-1'): AlertVariables {
  n += 1;
  return {
    ALERT_TYPE: type,
    CHECK_ID: check.id,
    CHECK_NAME: check.name,
    CHECK_TYPE: 'API',
    CHECK_RESULT_ID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    RESULT_LINK: `https://app.checklyhq.com/r/${n}`,
    RUN_LOCATION: location,
    STARTED_AT: new Date(Date.now() - 60_000 + n * 10).toISOString(),
    TAGS: ['prod'],
    CHECK_ERROR_MESSAGE: 'boom',
    API_CHECK_RESPONSE_STATUS_CODE: 503,
  };
}

const incidents = () =>
  [...fx.slack.messages.values()].filter((m) => m.channel === 'C0FAKE' && m.thread_ts === undefined && findButton(m.blocks ?? [], 'alert_rerun'));

/** A start may take over 15 s on two busy cores (as in startup-checks.test.ts): the limit only stops a hung one. */
async function launch(env: Record<string, string>): Promise<AppProcess> {
  return fx.launch(env).started(60_000);
}

async function connect(app: AppProcess): Promise<void> {
  expect((await fx.command(app, 'alerts on prod')).status).toBe(200);
  await waitFor(() => (fx.checkly.alertChannels.list[0]?.subscriptions.length ?? 0) > 0, 30_000, 'the channel connected');
}

describe('incidents across a restart', () => {
  test('SIGKILL between a failure and its recovery: the next process turns the same message green', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-alerts-restart-'));
    const port = await freePort();
    const env = { STATE_DIR: stateDir, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` };
    const check = fx.checkly.addCheck({ name: 'Checkout', tags: ['prod'] });
    const first = await launch(env);
    await connect(first);
    expect((await fx.checkly.alertChannels.sendAlert(vars(check, 'ALERT_FAILURE'))).map((d) => d.status)).toEqual([202]);
    const message = await waitFor(() => incidents().find((m) => /is failing/.test(messageText(m))), 10_000, 'the incident');
    // Once the app has recorded the message: a kill before it is the next test's.
    await waitFor(() => first.logged('incident message posted'), 10_000, 'the message recorded');
    first.kill('SIGKILL');
    await first.exited();

    await launch(env);
    expect((await fx.checkly.alertChannels.sendAlert(vars(check, 'ALERT_RECOVERY'))).map((d) => d.status ?? d.error)).toEqual([202]);
    await waitFor(() => /recovered after/.test(messageText(fx.slack.messages.get(`C0FAKE:${message.ts}`)!)), 10_000, 'the same message green');
    expect(incidents()).toHaveLength(1);
    expect(messageText(fx.slack.messages.get(`C0FAKE:${message.ts}`)!)).not.toContain(EARLIER_POST);
  }, 240_000);

  test('SIGKILL after Slack took the first post but before the app heard its ts: the recovery still shows, saying an earlier message may be above', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-alerts-restart-'));
    const port = await freePort();
    const env = { STATE_DIR: stateDir, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, RUN_SWEEP_INTERVAL_MS: '500' };
    const check = fx.checkly.addCheck({ name: 'Checkout', tags: ['prod'] });
    const first = await launch(env);
    await connect(first);
    fx.slack.failNext('chat.postMessage', { takeAndHang: true });
    expect((await fx.checkly.alertChannels.sendAlert(vars(check, 'ALERT_FAILURE'))).map((d) => d.status)).toEqual([202]);
    const lost = await waitFor(() => incidents().find((m) => /is failing/.test(messageText(m))), 10_000, 'the incident');
    first.kill('SIGKILL');
    await first.exited();
    expect(first.logged('incident message posted')).toBe(false);

    const second = await launch(env);
    expect((await fx.checkly.alertChannels.sendAlert(vars(check, 'ALERT_RECOVERY'))).map((d) => d.status ?? d.error)).toEqual([202]);
    // The dead process's hold on the incident lapses (30 s), then the sweep shows it: nothing acknowledged is lost.
    const shown = await waitFor(() => incidents().find((m) => m.ts !== lost.ts), 60_000, 'the recovery shown');
    const text = messageText(shown);
    expect(text).toMatch(/recovered after .* 2 alerts/);
    expect(text).toContain(EARLIER_POST);
    await waitFor(() => second.logged('incident message posted'), 10_000, 'the new message recorded');
    await waitFor(() => [...fx.slack.messages.values()].some((r) => r.thread_ts === shown.ts && r.ts !== shown.ts), 10_000, 'the recovery reply');
    expect(messageText(fx.slack.messages.get(`C0FAKE:${lost.ts}`)!)).toMatch(/is failing/);
    expect(incidents()).toHaveLength(2);
  }, 240_000);
});

describe('incidents on replicas sharing one Redis', () => {
  const prefix = redisPrefixForThisBlock('alerts');

  test('every delivery handed to both replicas at once: one message per incident, updated, no double post', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const common = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: prefix, STATE_DIR: '/nonexistent-unused', PUBLIC_URL: `http://127.0.0.1:${portA}` };
    const checks = [fx.checkly.addCheck({ name: 'Checkout', tags: ['prod'] }), fx.checkly.addCheck({ name: 'Login', tags: ['prod'] })];
    const a = await launch({ ...common, PORT: String(portA) });
    const b = await launch({ ...common, PORT: String(portB) });
    await connect(a);
    const channel = fx.checkly.alertChannels.list[0]!;
    const both = async (v: AlertVariables) => {
      const sent = await Promise.all([
        fx.checkly.alertChannels.deliver(channel, v),
        fx.checkly.alertChannels.deliver(channel, v, undefined, `http://127.0.0.1:${b.port}/alerts/checkly`),
      ]);
      expect(sent.map((d) => d.status)).toEqual([202, 202]);
    };
    // Two different alerts of each check at once, one to each replica, before either has posted: each
    // replica opens or updates the incident, and only one may post its message.
    const toB = `http://127.0.0.1:${b.port}/alerts/checkly`;
    const split = await Promise.all(
      checks.flatMap((c) => [
        fx.checkly.alertChannels.deliver(channel, vars(c, 'ALERT_FAILURE')),
        fx.checkly.alertChannels.deliver(channel, vars(c, 'ALERT_FAILURE_REMAIN', 'us-east-1'), undefined, toB),
      ]),
    );
    expect(split.map((d) => d.status)).toEqual([202, 202, 202, 202]);
    await waitFor(
      () => incidents().length === 2 && incidents().every((m) => /is failing · 2 alerts/.test(messageText(m))),
      10_000,
      'two incidents, each with both alerts',
    );
    await Promise.all(checks.map((c) => both(vars(c, 'ALERT_FAILURE_REMAIN', 'ap-south-1'))));
    await waitFor(() => incidents().every((m) => /3 alerts/.test(messageText(m))), 10_000, 'both updated');
    await Promise.all(checks.map((c) => both(vars(c, 'ALERT_RECOVERY'))));
    await waitFor(() => incidents().every((m) => /recovered after .* 4 alerts/.test(messageText(m))), 10_000, 'both green');
    await new Promise((r) => setTimeout(r, 500));
    expect(incidents()).toHaveLength(2);
    // One recovery reply per incident, whichever replica showed it.
    for (const m of incidents()) expect([...fx.slack.messages.values()].filter((r) => r.thread_ts === m.ts && r.ts !== m.ts)).toHaveLength(1);
    expect(fx.slack.rejections).toEqual([]);
  }, 240_000);
});
