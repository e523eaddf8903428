/**
 * The run lifecycle through a kill (issue 9, cause 1): the real app as a child process, killed while
 * Checkly has not answered its trigger yet, then started again. The run's message must not stay
 * "Triggering checks…": it says honestly what is known, and offers a Rerun.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FakeMessage } from '../fakes/slack';
import { childApps } from './child';
import { findButton, messageText, waitFor } from './harness';

const fx = childApps({ CHECKLY_POLL_WAIT_SECONDS: '1', SLACK_UPDATE_INTERVAL_MS: '200', RUN_SWEEP_INTERVAL_MS: '300', RUN_TRIGGER_TIMEOUT_MS: '2000' });
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
    const ended = await waitFor(() => (/cut off/.test(messageText(current(message))) ? current(message) : undefined), 15_000, 'the honest ending');
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
});
