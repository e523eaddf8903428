/** Access control and the audit trail, end to end. */
import type { FakeMessage } from '../fakes/slack';
import { findButton, messageText, startHarness, waitFor, type Harness } from './harness';

function triggers(h: Harness) {
  return h.checkly.requests.filter((r) => r.op === 'trigger');
}

/** The answer to a command: the ack's ephemeral JSON. */
async function answer(h: Harness, text: string, fields: { user_id?: string; channel_id?: string } = {}) {
  const res = await h.command(text, fields);
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as { response_type: string; text: string; blocks: unknown[] };
}

function auditLines(h: Harness): Array<Record<string, unknown>> {
  return h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
}

/**
 * Waits for `n` audit lines of refusals of `action`: a refused command or click writes its line and
 * answers, and then has nothing left to do, so once the lines are there a "nothing happened" holds.
 */
async function refusalsAudited(h: Harness, action: string, n: number): Promise<void> {
  const count = () => auditLines(h).filter((l) => l.action === action && l.outcome === 'refused').length;
  await waitFor(() => count() >= n, 5000, `${n} refused ${action} audit lines`);
  expect(count()).toBe(n);
}

async function finalRun(h: Harness, pattern: RegExp, channel = 'C0FAKE'): Promise<FakeMessage> {
  return waitFor(
    () => h.runMessages(channel).find((m) => pattern.test(messageText(m)) && findButton(m.blocks ?? [], 'run_rerun_all')),
    15_000,
    `a final run message matching ${pattern}`,
  );
}

describe('access control, end to end', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('with nothing configured, anyone runs checks in any channel, and --all is refused', async () => {
    h = await startHarness();
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 200 });
    const ok = await answer(h, 'run prod', { user_id: 'U0ANYONE', channel_id: 'C0RANDOM' });
    expect(ok.response_type).toBe('ephemeral');
    await waitFor(() => triggers(h!).length === 1, 5000, 'the trigger');

    const all = await answer(h, 'run --all', { user_id: 'U0ANYONE' });
    expect(all.response_type).toBe('ephemeral');
    expect(all.text).toContain('Running every check at once (`--all`) is turned off in this workspace, so nothing was triggered.');
    await refusalsAudited(h, 'trigger', 1);
    expect(triggers(h)).toHaveLength(1);
    expect(auditLines(h)).toContainEqual(
      expect.objectContaining({ action: 'trigger', userId: 'U0ANYONE', channelId: 'C0FAKE', target: '--all', outcome: 'refused', reason: 'all' }),
    );
  });

  test('ALLOW_RUN_ALL=true lets --all through', async () => {
    h = await startHarness({ env: { ALLOW_RUN_ALL: 'true' } });
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 200 });
    await answer(h, 'run --all');
    await waitFor(() => triggers(h!).length === 1, 5000, 'the trigger');
    expect(triggers(h)[0]!.body).toEqual({ target: {}, refreshCache: false });
  });

  test('ALLOWED_CHANNELS: refused elsewhere, with the reason, and nothing posted or triggered', async () => {
    h = await startHarness({ env: { ALLOWED_CHANNELS: 'C0OPS' } });
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 200 });
    for (const text of ['run prod', 'status']) {
      const refused = await answer(h, text, { channel_id: 'C0FAKE' });
      expect(refused.response_type).toBe('ephemeral');
      expect(refused.text).toContain('The Checkly app does not run checks in this conversation, so nothing was done.');
      expect(refused.text).toContain('<#C0OPS>');
    }
    // help is always answered.
    expect((await answer(h, 'help', { channel_id: 'C0FAKE' })).text).toContain('run');
    // The refused run is audited; status and help end with their answers, which are in.
    await refusalsAudited(h, 'trigger', 1);
    expect(h.checkly.requests).toHaveLength(0);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);

    await answer(h, 'run prod', { channel_id: 'C0OPS' });
    await waitFor(() => triggers(h!).length === 1, 5000, 'the trigger in the allowed channel');
  });

  test('ALLOWED_USERS: others are refused, by command and by clicking someone else’s buttons', async () => {
    h = await startHarness({ env: { ALLOWED_USERS: 'U0ALICE' } });
    h.checkly.addCheck({ name: 'Checkout', tags: ['web'], durationMs: 200, outcome: 'FAILED' });
    const refused = await answer(h, 'run web', { user_id: 'U0BOB' });
    expect(refused.text).toContain('You are not on the list of people who may run Checkly checks from Slack, so nothing was done.');
    await refusalsAudited(h, 'trigger', 1);
    expect(triggers(h)).toHaveLength(0);

    await answer(h, 'run web', { user_id: 'U0ALICE' });
    const run = await finalRun(h, /1 failed/);
    expect(triggers(h)).toHaveLength(1);

    for (const button of ['run_rerun_failed', 'run_rerun_all', /^run_rerun_check:\d+$/] as const) {
      const click = await h.click(run, button, 'U0BOB');
      expect(click.status).toBe(200);
      const post = await waitFor(() => h!.slack.responsePosts.find((p) => p.id === click.responseId), 5000, 'the refusal');
      expect(post.body).toMatchObject({ response_type: 'ephemeral' });
      expect(JSON.stringify(post.body)).toContain('You are not on the list of people who may run Checkly checks');
    }
    await refusalsAudited(h, 'rerun', 3);
    expect(triggers(h)).toHaveLength(1);
    expect(auditLines(h).filter((l) => l.action === 'rerun' && l.outcome === 'refused' && l.userId === 'U0BOB')).toHaveLength(3);
  });

  test('ALLOWED_USERS: a stranger cannot cancel someone else’s run', async () => {
    h = await startHarness({ env: { ALLOWED_USERS: 'U0ALICE' } });
    h.checkly.addCheck({ name: 'Slow', tags: ['slow'], durationMs: 20_000 });
    await answer(h, 'run slow', { user_id: 'U0ALICE' });
    const running = await waitFor(() => h!.runMessages().find((m) => findButton(m.blocks ?? [], 'run_cancel')), 5000, 'the Cancel button');
    const click = await h.click(running, 'run_cancel', 'U0BOB');
    const post = await waitFor(() => h!.slack.responsePosts.find((p) => p.id === click.responseId), 5000, 'the refusal');
    expect(JSON.stringify(post.body)).toContain('may cancel Checkly runs');
    await refusalsAudited(h, 'cancel', 1);
    expect(h.checkly.requests.filter((r) => r.op === 'cancel')).toHaveLength(0);
    expect(h.checkly.sessions.every((s) => s.cancelledAt === undefined)).toBe(true);
  });

  test('ALLOWED_USERGROUPS: members may run, others not, and a burst costs one lookup', async () => {
    h = await startHarness({ env: { ALLOWED_USERGROUPS: 'S0SRE' } });
    h.slack.setUsergroup('S0SRE', ['U0BOB']);
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 200 });
    const answers = await Promise.all([
      answer(h, 'run prod', { user_id: 'U0BOB' }),
      answer(h, 'run prod', { user_id: 'U0CAROL' }),
      answer(h, 'run prod', { user_id: 'U0CAROL' }),
      answer(h, 'run prod', { user_id: 'U0BOB' }),
    ]);
    expect(answers.map((a) => a.text.includes('You are not on the list'))).toEqual([false, true, true, false]);
    await waitFor(() => triggers(h!).length === 2, 5000, 'the two allowed triggers');
    expect(h.slack.callsTo('usergroups.users.list')).toHaveLength(1);
  });

  test('the audit trail: one line per trigger, rerun and cancel, with who, where, what and which sessions', async () => {
    h = await startHarness();
    h.checkly.addCheck({ name: 'Checkout', tags: ['web'], durationMs: 300, outcome: 'FAILED' });
    await answer(h, 'run web', { user_id: 'U0ALICE' });
    const run = await finalRun(h, /1 failed/);
    const first = h.checkly.sessions[0]!;
    expect(auditLines(h)).toContainEqual(
      expect.objectContaining({
        level: 30,
        action: 'trigger',
        userId: 'U0ALICE',
        teamId: 'T0FAKE',
        channelId: 'C0FAKE',
        target: 'web',
        sessions: [first.id],
        runId: expect.any(String),
      }),
    );

    h.checkly.checks[0]!.durationMs = 20_000;
    await h.click(run, 'run_rerun_all', 'U0BOB');
    await waitFor(() => auditLines(h!).some((l) => l.action === 'rerun'), 5000, 'the rerun audit line');
    const rerun = auditLines(h).find((l) => l.action === 'rerun')!;
    expect(rerun).toMatchObject({ userId: 'U0BOB', channelId: 'C0FAKE', target: 'web', sessions: [expect.any(String)] });

    const rerunMessage = await waitFor(
      () => [...h!.slack.messages.values()].find((m) => m.thread_ts === run.ts && findButton(m.blocks ?? [], 'run_cancel')),
      5000,
      'the rerun message with its Cancel button',
    );
    await h.click(rerunMessage, 'run_cancel', 'U0ALICE');
    await waitFor(() => auditLines(h!).some((l) => l.action === 'cancel'), 5000, 'the cancel audit line');
    expect(auditLines(h).find((l) => l.action === 'cancel')).toMatchObject({ userId: 'U0ALICE', sessions: rerun.sessions });
  });
});
