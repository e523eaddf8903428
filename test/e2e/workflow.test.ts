/**
 * The Workflow Builder step "Run Checkly checks", end to end over HTTP: the fake Slack runs the step
 * as a workflow does (a signed `function_executed` event with the step's own token), and the test
 * reads how the step was completed (functions.completeSuccess / completeError, and with which token).
 */
import type { FakeExecution } from '../fakes/slack-functions';
import { SECRETS, messageText, startHarness, waitFor, type Harness } from './harness';

const CHANNEL = 'C0OPS';

function auditLines(h: Harness): Array<Record<string, unknown>> {
  return h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
}

/** Runs the step with `inputs` and waits for Slack to take its completion. */
async function runStep(h: Harness, inputs: Record<string, unknown>, timeoutMs = 20_000): Promise<FakeExecution> {
  const { execution, envelope } = h.slack.functions.execute('run_checkly_checks', inputs);
  const delivered = await h.event(envelope);
  expect(delivered.status).toBe(200);
  await waitFor(() => execution.completed, timeoutMs, 'the step to be completed');
  return execution;
}

/** The completion calls Slack got for an execution, in order, with the token each came with. */
function completions(h: Harness, execution: FakeExecution) {
  return h.slack.calls
    .filter((c) => c.method.startsWith('functions.complete') && c.args.function_execution_id === execution.id)
    .map((c) => ({ method: c.method, token: c.token, error: c.error }));
}

describe('the Workflow Builder step, end to end over HTTP', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  test('a step for `public` posts the run in its channel and completes with the verdict and the message’s link, with the step’s own token', async () => {
    h.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 300 });
    h.checkly.addCheck({ name: 'Pricing page', tags: ['public'], durationMs: 500 });
    h.checkly.addCheck({ name: 'Admin', tags: ['internal'], durationMs: 300 });

    const execution = await runStep(h, { target: 'public', channel: CHANNEL, title: 'Deploy web@4f2c1a9' });

    // The step completes when the run ends; its message shows that a moment later.
    const message = await waitFor(() => h.runMessages(CHANNEL).find((m) => /2 passed/.test(messageText(m))), 5000, 'the final state');
    expect(h.runMessages(CHANNEL)).toHaveLength(1);
    const text = messageText(message);
    expect(text).toContain('Started by a workflow');
    expect(text).toContain('Deploy web@4f2c1a9');
    const permalink = `https://fake.slack.com/archives/${CHANNEL}/p${message.ts.replace('.', '')}`;
    expect(execution.completed).toEqual({
      at: expect.any(Number),
      outputs: { status: 'passed', permalink, passed: 2, failed: 0, summary: 'Checkly run public: 2 passed (2 checks)' },
    });
    // The permalink is the one Slack gives for that message.
    const linked = await fetch(`${h.slack.apiUrl}chat.getPermalink`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${SECRETS.botToken}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ channel: CHANNEL, message_ts: message.ts }).toString(),
    }).then((r) => r.json() as Promise<{ permalink: string }>);
    expect(linked.permalink).toBe(permalink);
    // Completed once, with the token of the step's event, never the bot token.
    expect(completions(h, execution)).toEqual([{ method: 'functions.completeSuccess', token: execution.token, error: undefined }]);
    expect(execution.token).not.toBe(SECRETS.botToken);
    // One trigger, with exactly the tag; the run counts as a workflow's; the audit line says so.
    expect(h.checkly.requests.filter((r) => r.op === 'trigger').map((r) => r.body)).toEqual([{ target: { matchTags: [['public']] }, refreshCache: false }]);
    expect(auditLines(h)).toEqual([expect.objectContaining({ action: 'trigger', via: 'workflow', channelId: CHANNEL, target: 'public', outcome: 'started' })]);
    const metrics = await fetch(`http://127.0.0.1:${h.app.port}/metrics`).then((r) => r.text());
    expect(metrics).toContain('checkly_slack_runs_started_total{kind="workflow"} 1');
    // The token is a secret: never in a log line.
    expect(h.logs.join('\n')).not.toContain(execution.token);
  });

  test('a run with a failure: the verdict `failed`, the counts, and the person named in the step mentioned in the thread', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 300 });
    h.checkly.addCheck({ name: 'Checkout', tags: ['prod'], durationMs: 400, outcome: 'FAILED', errorMessage: 'boom' });

    const execution = await runStep(h, { target: 'prod', channel: CHANNEL, user: 'U0CAROL' });

    expect(execution.completed).toMatchObject({ outputs: { status: 'failed', passed: 1, failed: 1 } });
    const [message] = h.runMessages(CHANNEL);
    expect(messageText(message!)).toContain('Started by a workflow for <@U0CAROL>');
    const reply = await waitFor(() => [...h.slack.messages.values()].find((m) => m.thread_ts === message!.ts), 5000, 'the failure reply');
    expect(reply.text).toContain('<@U0CAROL>');
  });

  test('a target that matches nothing ends the step with an error naming it', async () => {
    h.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 300 });

    const execution = await runStep(h, { target: 'nomatch', channel: CHANNEL });

    expect(execution.completed).toEqual({ at: expect.any(Number), error: expect.stringContaining('no check matches nomatch') });
    expect('error' in execution.completed! && execution.completed.error).toMatch(
      /^Checkly could not start this run: .* See https:\/\/fake\.slack\.com\/archives\/C0OPS\//,
    );
    expect(completions(h, execution)).toEqual([{ method: 'functions.completeError', token: execution.token, error: undefined }]);
    // The run message says so in the channel, as for a typed command.
    expect(messageText(h.runMessages(CHANNEL)[0]!)).toContain('No check matches');
  });

  test('inputs that start nothing end the step at once, in words: a target /checkly run refuses, a channel the bot is not in', async () => {
    h.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 300 });

    const badTarget = await runStep(h, { target: '--check not-a-uuid', channel: CHANNEL });
    expect(badTarget.completed).toEqual({
      at: expect.any(Number),
      error: expect.stringContaining("The step's target `--check not-a-uuid` is not one /checkly run takes"),
    });

    h.slack.setChannelError('C0SECRET', 'channel_not_found');
    const hidden = await runStep(h, { target: 'public', channel: 'C0SECRET' });
    expect(hidden.completed).toEqual({ at: expect.any(Number), error: expect.stringContaining('cannot see <#C0SECRET>') });

    expect(h.checkly.requests.filter((r) => r.op === 'trigger')).toHaveLength(0);
    expect(h.runMessages(CHANNEL)).toHaveLength(0);
  });

  test('Slack delivering the same event again starts nothing more: one run, one completion', async () => {
    h.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 800 });
    const { execution, envelope } = h.slack.functions.execute('run_checkly_checks', { target: 'public', channel: CHANNEL });
    await Promise.all([h.event(envelope), h.event(envelope)]);
    await h.event(envelope);
    await waitFor(() => execution.completed, 20_000, 'the step to be completed');
    expect(h.runMessages(CHANNEL)).toHaveLength(1);
    expect(h.checkly.requests.filter((r) => r.op === 'trigger')).toHaveLength(1);
    expect(completions(h, execution)).toHaveLength(1);
  });
});

describe('the step keeps to the same access rules', () => {
  let h: Harness;

  afterEach(async () => {
    await h.close();
  });

  test('a channel outside ALLOWED_CHANNELS, and a step for nobody (or a person not listed) with ALLOWED_USERS: refused in words, audited, nothing run', async () => {
    h = await startHarness({ env: { ALLOWED_CHANNELS: 'C0OPS', ALLOWED_USERS: 'U0ALICE' } });
    h.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 300 });

    const elsewhere = await runStep(h, { target: 'public', channel: 'C0RANDOM', user: 'U0ALICE' });
    expect('error' in elsewhere.completed! && elsewhere.completed.error).toMatch(/does not run checks in <#C0RANDOM>.*It runs checks in <#C0OPS>/);
    const nobody = await runStep(h, { target: 'public', channel: CHANNEL });
    expect('error' in nobody.completed! && nobody.completed.error).toContain('set the step’s “On behalf of” to one of them');
    const bob = await runStep(h, { target: 'public', channel: CHANNEL, user: 'U0BOB' });
    expect('error' in bob.completed! && bob.completed.error).toContain('<@U0BOB> is not on the list of people who may run Checkly checks');
    expect(h.checkly.requests.filter((r) => r.op === 'trigger')).toHaveLength(0);
    expect(auditLines(h).map((l) => [l.outcome, l.reason, l.via])).toEqual([
      ['refused', 'channel', 'workflow'],
      ['refused', 'user', 'workflow'],
      ['refused', 'user', 'workflow'],
    ]);

    const alice = await runStep(h, { target: 'public', channel: CHANNEL, user: 'U0ALICE' });
    expect(alice.completed).toMatchObject({ outputs: { status: 'passed' } });
  });
});

describe('the step over Socket Mode', () => {
  test('the event arrives over the socket, the step completes, and the token is in no log line even at debug level', async () => {
    const h = await startHarness({ socketMode: true });
    try {
      await h.slack.waitForSocket();
      h.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 300 });
      const { execution, envelope } = h.slack.functions.execute('run_checkly_checks', { target: 'public', channel: CHANNEL });
      await h.slack.sendSocketEvent('events_api', envelope);
      await waitFor(() => execution.completed, 20_000, 'the step to be completed');
      expect(execution.completed).toMatchObject({ outputs: { status: 'passed', passed: 1 } });
      // Socket Mode logs each payload it receives at debug level: the step's token is blanked there.
      const logs = h.logs.join('\n');
      expect(logs).toContain('function_executed');
      expect(logs).not.toContain(execution.token);
      expect(logs).toContain('"bot_access_token\\":\\"[REDACTED]');
    } finally {
      await h.close();
    }
  });
});
