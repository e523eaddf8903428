/**
 * The run lifecycle through a kill (issues 9 and 20): the real app as a child process, killed while
 * Checkly has not answered its trigger yet, then started again. The run's message must not stay
 * "Triggering checks…": it says honestly what is known, and offers a Rerun; within seconds of the
 * app being back, with the default sweep interval and trigger bound (15 s, 90 s).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import type { FakeMessage } from '../fakes/slack';
import { childApps } from './child';
import { findButton, messageText, waitFor } from './harness';

const fx = childApps({ CHECKLY_POLL_WAIT_SECONDS: '1', SLACK_UPDATE_INTERVAL_MS: '200' });
const { launch, command, click } = fx;

function current(message: FakeMessage): FakeMessage {
  return fx.slack.messages.get(`${message.channel}:${message.ts}`)!;
}

function triggerRequests(): number {
  return fx.checkly.requests.filter((r) => r.op === 'trigger').length;
}

describe('a run cut off by a restart', () => {
  test('SIGKILL while its trigger is in flight: after the restart its message says what is known, once, with a Rerun', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-cutoff-'));
    fx.checkly.addCheck({ name: 'Checkout', tags: ['prod'], durationMs: 300 });
    fx.checkly.setDelay('trigger', 5000);
    const first = await launch({ STATE_DIR: stateDir }).started();
    await command(first, 'run prod');
    const message = await waitFor(() => [...fx.slack.messages.values()].find((m) => m.thread_ts === undefined), 10_000, 'the run message');
    await waitFor(() => triggerRequests() === 1, 10_000, 'the trigger request');
    expect(messageText(message)).toMatch(/Triggering/i);
    first.kill('SIGKILL');
    await first.exited();
    fx.checkly.setDelay('trigger', 0);

    const second = await launch({ STATE_DIR: stateDir }).started();
    const backAt = Date.now();
    // Alone on its store, the app knows a run the previous start was triggering was cut off: its first sweep ends it.
    const ended = await waitFor(() => (/cut off/.test(messageText(current(message))) ? current(message) : undefined), 5_000, 'the honest ending');
    process.stdout.write(`SQLite: the run cut off mid-trigger settled ${Date.now() - backAt} ms after the app was back\n`);
    const text = messageText(ended);
    expect(text).toContain('Checkly may have started them');
    expect(text).not.toMatch(/Triggering/i);
    expect(findButton(ended.blocks ?? [], 'run_open')).toBeDefined();
    // Nothing triggered again by itself, and one message only.
    expect(triggerRequests()).toBe(1);
    expect([...fx.slack.messages.values()].filter((m) => m.thread_ts === undefined)).toHaveLength(1);

    await click(second, ended, 'run_rerun_all');
    await waitFor(() => triggerRequests() === 2, 10_000, 'the rerun');
    const rerun = await waitFor(
      () => [...fx.slack.messages.values()].find((m) => m.thread_ts === message.ts && /1 passed/.test(messageText(m))),
      15_000,
      'the rerun to pass',
    );
    expect(rerun).toBeDefined();
  }, 60_000);

  test("two replicas on Redis, the one triggering killed and started again: the run ends as soon as the dead replica's hold runs out (10 s)", async () => {
    const prefix = `test:lifecycle:${process.pid}:${Date.now()}:`;
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: prefix, STATE_DIR: '/nonexistent-unused' };
    const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      fx.checkly.addCheck({ name: 'Checkout', tags: ['prod'], durationMs: 300 });
      fx.checkly.setDelay('trigger', 60_000);
      const a = await launch(env).started();
      const b = await launch(env).started();
      await command(a, 'run prod');
      const message = await waitFor(() => [...fx.slack.messages.values()].find((m) => m.thread_ts === undefined), 10_000, 'the run message');
      await waitFor(() => triggerRequests() === 1, 10_000, 'the trigger request');
      a.kill('SIGKILL');
      const killedAt = Date.now();
      await a.exited();
      await launch(env).started();
      const backAt = Date.now();
      // The hold of the dead replica runs out within 10 s of the kill. The replica started again saw
      // the run held at its first sweep, and looks again at that moment rather than at its next
      // sweep (every 15 s by default).
      const ended = await waitFor(() => (/cut off/.test(messageText(current(message))) ? current(message) : undefined), 20_000, 'the honest ending');
      const settledMs = Date.now() - killedAt;
      process.stdout.write(
        `Redis: the run cut off mid-trigger settled ${settledMs} ms after its replica was killed, ${Date.now() - backAt} ms after it was back\n`,
      );
      expect(settledMs).toBeGreaterThanOrEqual(5_000); // not before the hold could have run out (it was renewed less than 5 s before the kill)
      expect(settledMs).toBeLessThanOrEqual(13_000); // the hold, and a moment to show it
      expect(messageText(ended)).toContain('Checkly may have started them');
      expect(triggerRequests()).toBe(1);
      expect(b.exitCode).toBeUndefined();
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  }, 60_000);
});
