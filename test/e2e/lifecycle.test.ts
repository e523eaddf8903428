/**
 * The run lifecycle through a kill (issue 9, cause 1): the real app as a child process, killed while
 * Checkly has not answered its trigger yet, then started again. The run's message must not stay
 * "Triggering checks…": it says honestly what is known, and offers a Rerun.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { blockActionsBody, postSigned, slashCommandBody } from '../fakes/sign';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack';
import { AppProcess } from './child';
import { ACCOUNT_ID, SECRETS, blockActionsPayload, fakeEnv, findButton, messageText, waitFor } from './harness';

let slack: FakeSlack;
let checkly: FakeCheckly;
const apps: AppProcess[] = [];

beforeEach(async () => {
  slack = await startFakeSlack({ botToken: SECRETS.botToken });
  checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
});

afterEach(async () => {
  for (const app of apps.splice(0)) if (app.exitCode === undefined) app.kill('SIGKILL');
  await Promise.all([slack.close(), checkly.close()]);
});

function launch(env: Record<string, string>): AppProcess {
  const app = new AppProcess({
    ...fakeEnv(slack, checkly),
    CHECKLY_POLL_WAIT_SECONDS: '1',
    SLACK_UPDATE_INTERVAL_MS: '200',
    RUN_SWEEP_INTERVAL_MS: '300',
    RUN_TRIGGER_TIMEOUT_MS: '2000',
    PORT: '0',
    LOG_LEVEL: 'info',
    ...env,
  });
  apps.push(app);
  return app;
}

function command(app: AppProcess, text: string) {
  return postSigned(app.eventsUrl, slashCommandBody({ text, command: '/checkly', response_url: slack.responseUrl(`cmd-${Math.random()}`) }), SECRETS.signingSecret);
}

function click(app: AppProcess, message: FakeMessage, actionId: string) {
  const found = findButton(message.blocks ?? [], actionId);
  if (!found) throw new Error(`no ${actionId} button`);
  const payload = blockActionsPayload(message, found.button, found.blockId, 'U0BOB', slack.responseUrl(`click-${Math.random()}`));
  return postSigned(app.eventsUrl, blockActionsBody(payload), SECRETS.signingSecret);
}

function current(message: FakeMessage): FakeMessage {
  return slack.messages.get(`${message.channel}:${message.ts}`)!;
}

function triggerRequests(): number {
  return checkly.requests.filter((r) => r.op === 'trigger').length;
}

describe('a run cut off by a restart', () => {
  test('SIGKILL while its trigger is in flight: after the restart its message says what is known, once, with a Rerun', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-cutoff-'));
    checkly.addCheck({ name: 'Checkout', tags: ['prod'], durationMs: 300 });
    checkly.setDelay('trigger', 5000);
    const first = await launch({ STATE_DIR: stateDir }).started();
    await command(first, 'run prod');
    const message = await waitFor(() => [...slack.messages.values()].find((m) => m.thread_ts === undefined), 10_000, 'the run message');
    await waitFor(() => triggerRequests() === 1, 10_000, 'the trigger request');
    expect(messageText(message)).toMatch(/Triggering/i);
    first.kill('SIGKILL');
    await first.exited();
    checkly.setDelay('trigger', 0);

    const second = await launch({ STATE_DIR: stateDir }).started();
    const ended = await waitFor(() => (/cut off/.test(messageText(current(message))) ? current(message) : undefined), 15_000, 'the honest ending');
    const text = messageText(ended);
    expect(text).toContain('Checkly may have started them');
    expect(text).not.toMatch(/Triggering/i);
    expect(findButton(ended.blocks ?? [], 'run_open')).toBeDefined();
    // Nothing triggered again by itself, and one message only.
    expect(triggerRequests()).toBe(1);
    expect([...slack.messages.values()].filter((m) => m.thread_ts === undefined)).toHaveLength(1);

    await click(second, ended, 'run_rerun_all');
    await waitFor(() => triggerRequests() === 2, 10_000, 'the rerun');
    const rerun = await waitFor(
      () => [...slack.messages.values()].find((m) => m.thread_ts === message.ts && /1 passed/.test(messageText(m))),
      15_000,
      'the rerun to pass',
    );
    expect(rerun).toBeDefined();
  }, 60_000);
});
