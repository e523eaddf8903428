import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FakeMessage } from '../fakes/slack';
import { redisPrefixForThisBlock } from '../helpers';
import { childApps } from './child';
import { findButton, messageText, waitFor } from './harness';

const fx = childApps({ CHECKLY_POLL_WAIT_SECONDS: '2', SLACK_UPDATE_INTERVAL_MS: '200' });
const { launch, command, click } = fx;

function runMessage(): FakeMessage | undefined {
  return [...fx.slack.messages.values()].find((m) => m.thread_ts === undefined);
}

function current(message: FakeMessage): FakeMessage {
  return fx.slack.messages.get(`${message.channel}:${message.ts}`)!;
}

function triggers(): number {
  return fx.checkly.requests.filter((r) => r.op === 'trigger' && r.status === 201).length;
}

const isFinal = (m: FakeMessage) => findButton(m.blocks ?? [], 'run_rerun_all') !== undefined;

describe('runs survive restarts (embedded store)', () => {
  test('killed with SIGKILL mid-run, started again: the run reaches its final state and its buttons work', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-restart-'));
    fx.checkly.addCheck({ name: 'Fast', tags: ['prod'], durationMs: 300 });
    fx.checkly.addCheck({ name: 'Slow and failing', tags: ['prod'], durationMs: 6000, outcome: 'FAILED', errorMessage: 'boom' });

    const first = await launch({ STATE_DIR: stateDir }).started();
    await command(first, 'run prod');
    const message = await waitFor(
      () => {
        const m = runMessage();
        return m && /1 passed/.test(messageText(m)) ? m : undefined;
      },
      10_000,
      'the run under way',
    );
    first.kill('SIGKILL');
    await first.exited();
    expect(isFinal(current(message))).toBe(false);

    const second = await launch({ STATE_DIR: stateDir }).started();
    const final = await waitFor(() => (isFinal(current(message)) ? current(message) : undefined), 20_000, 'the final state after the restart');
    expect(messageText(final)).toContain('1 failed');
    expect(triggers()).toBe(1);
    expect(second.logged('resuming unfinished runs')).toBe(true);

    // A button on the message from before the restart still works.
    await click(second, final, 'run_rerun_failed');
    await waitFor(() => triggers() === 2, 10_000, 'the rerun from a pre-restart message');
  }, 60_000);

  test('SIGTERM: exits within 10 s, and the next start finishes the run', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-sigterm-'));
    fx.checkly.addCheck({ name: 'Slow', tags: ['prod'], durationMs: 5000 });
    const first = await launch({ STATE_DIR: stateDir }).started();
    await command(first, 'run prod');
    const message = await waitFor(
      () => {
        const m = runMessage();
        return m && /1 running|running/.test(messageText(m)) && first.logged('following run') ? m : undefined;
      },
      10_000,
      'the run under way',
    );

    const signalledAt = Date.now();
    first.kill('SIGTERM');
    expect(await first.exited(12_000)).toBe(0);
    expect(first.exitedAt! - signalledAt).toBeLessThan(10_000);

    await launch({ STATE_DIR: stateDir }).started();
    const final = await waitFor(() => (isFinal(current(message)) ? current(message) : undefined), 20_000, 'the final state');
    expect(messageText(final)).toContain('1 passed');
  }, 60_000);
});

describe('several replicas on one Redis', () => {
  const prefix = redisPrefixForThisBlock('replicas');

  test('a command to one and a click to the other work as one; when the follower dies, the other finishes the run', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: prefix, STATE_DIR: '/nonexistent-unused' };
    for (let i = 0; i < 5; i++) {
      fx.checkly.addCheck({ name: `Check ${i}`, tags: ['prod'], durationMs: 1000 + i * 3000, outcome: i === 4 ? 'FAILED' : 'PASSED' });
    }
    const a = await launch(env).started();
    const b = await launch(env).started();

    await command(a, 'run prod');
    const message = await waitFor(() => runMessage(), 10_000, 'the run message');
    const runId = (await waitFor(() => [a, b].flatMap((p) => p.lines).find((l) => l.msg === 'following run')?.runId, 10_000, 'a follower')) as string;
    const follower = a.logged('following run', runId) ? a : b;
    const other = follower === a ? b : a;
    expect(other.logged('following run', runId)).toBe(false); // exactly one follower

    await waitFor(() => /1 passed/.test(messageText(current(message))), 10_000, 'progress');
    follower.kill('SIGKILL');
    const killedAt = Date.now();
    await follower.exited();

    await waitFor(() => other.logged('following run', runId), 30_000, 'the other replica to take the run over');
    const takeoverMs = Date.now() - killedAt;
    const final = await waitFor(() => (isFinal(current(message)) ? current(message) : undefined), 30_000, 'the final state');
    expect(messageText(final)).toContain('4 passed');
    expect(messageText(final)).toContain('1 failed');
    expect(takeoverMs).toBeLessThan(30_000);
    process.stdout.write(`replica takeover after SIGKILL: ${takeoverMs} ms\n`);

    // No duplicate updates: no update repeats the one before it, and the final state was sent once.
    const updates = fx.slack
      .callsTo('chat.update')
      .filter((c) => c.args.ts === message.ts)
      .map((c) => JSON.stringify(c.args.blocks));
    for (let i = 1; i < updates.length; i++) expect(updates[i]).not.toBe(updates[i - 1]);
    expect(updates.filter((u) => u === JSON.stringify(final.blocks))).toHaveLength(1);

    // A click on the other replica reruns the failed check.
    await click(other, final, 'run_rerun_failed');
    await waitFor(() => triggers() === 2, 10_000, 'the rerun');
  }, 90_000);
});
