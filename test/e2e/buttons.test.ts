import { randomUUID } from 'node:crypto';
import type { FakeMessage } from '../fakes/slack';
import { assertWithinSlackLimits } from '../unit/slack-limits';
import { findButton, messageText, startHarness, waitFor, type Harness } from './harness';

function triggers(h: Harness) {
  return h.checkly.requests.filter((r) => r.op === 'trigger' && r.status === 201);
}

async function runToFinal(h: Harness, text: string, pattern: RegExp, timeoutMs = 15_000): Promise<FakeMessage> {
  const before = new Set(h.runMessages().map((m) => m.ts));
  await h.command(text);
  const ts = await waitFor(() => h.runMessages().find((m) => !before.has(m.ts))?.ts, 5000, 'the run message');
  return waitFor(
    () => {
      const m = h.slack.messages.get(`C0FAKE:${ts}`)!;
      return pattern.test(messageText(m)) && findButton(m.blocks ?? [], 'run_rerun_all') ? m : undefined;
    },
    timeoutMs,
    `the final run message matching ${pattern}`,
  );
}

function ephemeralText(h: Harness, responseId: string): string | undefined {
  const post = h.slack.responsePosts.find((p) => p.id === responseId);
  return post ? JSON.stringify(post.body) : undefined;
}

/** The audit lines of rerun clicks, oldest first. */
function rerunAudits(h: Harness): Array<Record<string, unknown>> {
  return h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true && l.action === 'rerun');
}

function threadReplies(h: Harness, ts: string): FakeMessage[] {
  return [...h.slack.messages.values()].filter((m) => m.thread_ts === ts);
}

describe('rerun and cancel buttons, end to end over HTTP', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  test('Rerun failed triggers exactly the failed, degraded and timed-out checks, in the thread', async () => {
    const failed = h.checkly.addCheck({ name: 'Checkout', tags: ['web'], durationMs: 200, outcome: 'FAILED', errorMessage: 'boom' });
    const degraded = h.checkly.addCheck({ name: 'Search', tags: ['web'], durationMs: 250, outcome: 'DEGRADED' });
    const timedOut = h.checkly.addCheck({ name: 'Reports', tags: ['web'], durationMs: 300, outcome: 'TIMED_OUT' });
    h.checkly.addCheck({ name: 'Home', tags: ['web'], durationMs: 150 });
    const run = await runToFinal(h, 'run web', /1 passed/);
    expect(findButton(run.blocks!, 'run_rerun_failed')!.button.text.text).toBe('Rerun failed & degraded (3)');
    expect(findButton(run.blocks!, 'run_cancel')).toBeUndefined();

    // The rerun passes this time.
    for (const check of [failed, degraded, timedOut]) check.outcome = 'PASSED';
    const click = await h.click(run, 'run_rerun_failed');
    expect(click.status).toBe(200);

    await waitFor(() => triggers(h).length === 2, 5000, 'the rerun trigger');
    const body = triggers(h)[1]!.body as { target: { checkId: string[]; matchTags?: unknown } };
    expect(new Set(body.target.checkId)).toEqual(new Set([failed.id, degraded.id, timedOut.id]));
    expect(body.target.checkId).toHaveLength(3);
    expect(body.target.matchTags).toBeUndefined();

    // The rerun is a new run message in the original's thread, followed to its end.
    const rerun = await waitFor(() => threadReplies(h, run.ts).find((m) => /3 passed/.test(messageText(m))), 10_000, 'the rerun message, final');
    expect(messageText(rerun)).toContain('Checkout');
    // The original message shows the rerun's live status and who started it.
    await waitFor(
      () => /Rerun of 3 failed & degraded checks by <@U0BOB>: ✅ 3 passed — 3 of 3 now pass/.test(messageText(h.slack.messages.get(`C0FAKE:${run.ts}`)!)),
      5000,
      'the rerun line on the original message',
    );
  });

  test('Rerun all triggers the original target; a row Rerun triggers that one check', async () => {
    const bad = h.checkly.addCheck({ name: 'Checkout', tags: ['prod', 'api'], durationMs: 200, outcome: 'FAILED' });
    h.checkly.addCheck({ name: 'Login', tags: ['prod', 'api'], durationMs: 150 });
    const run = await runToFinal(h, 'run prod,api', /1 failed/);

    await h.click(run, 'run_rerun_all');
    await waitFor(() => triggers(h).length === 2, 5000, 'the rerun-all trigger');
    expect(triggers(h)[1]!.body).toEqual({ target: { matchTags: [['prod', 'api']] }, refreshCache: false });

    await h.click(run, /^run_rerun_check:\d+$/);
    await waitFor(() => triggers(h).length === 3, 5000, 'the one-check trigger');
    expect(triggers(h)[2]!.body).toEqual({ target: { checkId: [bad.id] }, refreshCache: false });
  });

  test('two clicks at the same moment start one rerun; the second clicker is pointed at it', async () => {
    h.checkly.addCheck({ name: 'Checkout', tags: ['web'], durationMs: 200, outcome: 'FAILED' }).durationMs = 200;
    const check = h.checkly.checks[0]!;
    const run = await runToFinal(h, 'run web', /1 failed/);
    check.durationMs = 5000; // the rerun keeps running while the clicks arrive

    const clicks = await Promise.all([h.click(run, 'run_rerun_failed', 'U0BOB'), h.click(run, 'run_rerun_failed', 'U0CAROL')]);
    expect(clicks.map((c) => c.status)).toEqual([200, 200]);
    const notes = await waitFor(
      () => {
        const texts = clicks.map((c) => ephemeralText(h, c.responseId));
        return texts.filter(Boolean).length >= 1 ? texts : undefined;
      },
      5000,
      'the note to the second clicker',
    );
    expect(notes.filter((t) => t?.includes('already in progress'))).toHaveLength(1);
    // Each click writes its audit line once its rerun was started or refused: both done, one started.
    const audits = await waitFor(
      () => {
        const found = rerunAudits(h);
        return found.length >= 2 ? found : undefined;
      },
      10_000,
      'both clicks audited',
    );
    expect(audits.map((a) => a.outcome).sort()).toEqual(['in_progress', 'started']);
    expect(triggers(h)).toHaveLength(2); // the run and one rerun

    // A third click while the rerun still runs starts nothing either.
    const third = await h.click(run, 'run_rerun_failed', 'U0DAVE');
    await waitFor(() => ephemeralText(h, third.responseId), 5000, 'the note to the third clicker');
    expect(ephemeralText(h, third.responseId)).toContain('already in progress');
    expect(triggers(h)).toHaveLength(2);
  });

  test('Cancel cancels exactly the sessions that are not final, and the button goes away', async () => {
    h.checkly.addCheck({ name: 'Fast', tags: ['mixed'], durationMs: 100 });
    h.checkly.addCheck({ name: 'Slow one', tags: ['mixed'], durationMs: 60_000 });
    h.checkly.addCheck({ name: 'Slow two', tags: ['mixed'], durationMs: 60_000 });
    await h.command('run mixed');
    const running = await waitFor(
      () => h.runMessages().find((m) => /1 passed/.test(messageText(m)) && findButton(m.blocks ?? [], 'run_cancel')),
      10_000,
      'the running message with its Cancel button',
    );
    const cancelButton = findButton(running.blocks!, 'run_cancel')!.button as unknown as { confirm?: unknown };
    expect(cancelButton.confirm).toBeDefined(); // behind a confirmation dialog

    await h.click(running, 'run_cancel');
    const final = await waitFor(
      () => {
        const m = h.slack.messages.get(`C0FAKE:${running.ts}`)!;
        return /2 cancelled/.test(messageText(m)) ? m : undefined;
      },
      10_000,
      'the message showing the cancelled checks',
    );
    const cancels = h.checkly.requests.filter((r) => r.op === 'cancel');
    const slowIds = h.checkly.sessions.filter((s) => s.name.startsWith('Slow')).map((s) => s.id);
    expect(new Set(cancels.map((r) => r.path.split('/')[3]))).toEqual(new Set(slowIds));
    expect(cancels).toHaveLength(2);
    expect(findButton(final.blocks!, 'run_cancel')).toBeUndefined();
    expect(findButton(final.blocks!, 'run_rerun_all')).toBeDefined();
  });

  test('a click on a run the app does not know gets a clear answer, and nothing happens', async () => {
    const stale: FakeMessage = {
      channel: 'C0FAKE',
      ts: '1600000000.000100',
      text: 'an old run',
      versions: [],
      blocks: [
        {
          type: 'actions',
          block_id: 'run_actions',
          elements: [
            { type: 'button', action_id: 'run_rerun_all', text: { type: 'plain_text', text: 'Rerun all' }, value: JSON.stringify({ run: randomUUID() }) },
            { type: 'button', action_id: 'run_cancel', text: { type: 'plain_text', text: 'Cancel' }, value: 'not json' },
          ],
        },
      ],
    };
    for (const action of ['run_rerun_all', 'run_cancel']) {
      const click = await h.click(stale, action);
      expect(click.status).toBe(200);
      const text = await waitFor(() => ephemeralText(h, click.responseId), 5000, 'the answer');
      expect(text).toContain('no longer knows that run');
    }
    expect(h.checkly.requests).toHaveLength(0);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  test('a click that hits a Checkly 500 explains, leaves the run message unchanged, and can be clicked again', async () => {
    h.checkly.addCheck({ name: 'Checkout', tags: ['web'], durationMs: 200, outcome: 'FAILED' });
    const run = await runToFinal(h, 'run web', /1 failed/);
    const parentUpdates = () => h.slack.callsTo('chat.update').filter((c) => c.args.ts === run.ts).length;
    const updatesBefore = parentUpdates();
    h.checkly.failNext('trigger', 500, { message: 'Internal failure at Checkly' });

    const first = await h.click(run, 'run_rerun_failed');
    const text = await waitFor(() => ephemeralText(h, first.responseId), 5000, 'the explanation');
    expect(text).toContain('did not start');
    expect(text).toContain('Internal failure at Checkly');
    // The click's audit line says the rerun failed: the click is over.
    const audit = await waitFor(() => rerunAudits(h)[0], 5000, 'the audit line of the click');
    expect(audit).toMatchObject({ outcome: 'failed', reason: 'server' });
    // The rerun's message is posted before its trigger (issue 9): it ends saying why, in the thread.
    const rerunMessages = () => threadReplies(h, run.ts).filter((m) => /Checkly run/.test(messageText(m)));
    await waitFor(() => rerunMessages().some((m) => /could not start/.test(messageText(m))), 5000, 'the rerun message showing the error');
    expect(rerunMessages()).toHaveLength(1);
    expect(parentUpdates()).toBe(updatesBefore);

    await h.click(run, 'run_rerun_failed');
    await waitFor(() => triggers(h).length === 2, 5000, 'the second, successful click');
  });

  test('/checkly status lists the runs in progress in the channel, with links', async () => {
    h.checkly.addCheck({ name: 'Slow A', tags: ['a'], durationMs: 60_000 });
    h.checkly.addCheck({ name: 'Slow B', tags: ['b'], durationMs: 60_000 });
    h.checkly.addCheck({ name: 'Elsewhere', tags: ['c'], durationMs: 60_000 });
    await h.command('run a');
    await h.command('run b');
    await h.command('run c', { channel_id: 'C0OTHER' });
    await waitFor(() => h.slack.callsTo('chat.update').length >= 3, 5000, 'three runs under way');

    const ack = await h.command('status', { response_url: h.slack.responseUrl('status') });
    expect(ack.status).toBe(200);
    const status = await waitFor(() => ephemeralText(h, 'status'), 5000, 'the status answer');
    const answer = h.slack.responsePosts.find((p) => p.id === 'status')!.body as { response_type?: string; blocks?: unknown[] };
    expect(answer.response_type).toBe('ephemeral');
    // One line per run in this channel: its target, linked to its message, and its progress.
    const lines = messageText({ blocks: answer.blocks })
      .split('\n')
      .filter((l) => l.startsWith('• '));
    const labels = lines.map((l) => /^• \*<https?:\/\/[^|]+\/archives\/C0FAKE\/p\d+\|([^>]+)>\*: /.exec(l)?.[1]);
    expect(labels.sort()).toEqual(['a', 'b']);
    expect(status).not.toContain('C0OTHER');
  });

  test('a run of 300 checks with 120 failures reruns all 120 from one button', async () => {
    const failing: string[] = [];
    for (let i = 0; i < 300; i++) {
      const fails = i % 5 < 2; // 120 of 300
      const check = h.checkly.addCheck({
        name: `Check number ${i} with a reasonably long name`,
        tags: ['big'],
        durationMs: 100 + (i % 7) * 30,
        outcome: fails ? 'FAILED' : 'PASSED',
        errorMessage: fails ? `Expected 200 but got 503 on /api/endpoint/${i}` : undefined,
      });
      if (fails) failing.push(check.id);
    }
    const run = await runToFinal(h, 'run big', /120 failed/, 30_000);
    assertWithinSlackLimits(run);
    expect(findButton(run.blocks!, 'run_rerun_failed')!.button.text.text).toBe('Rerun failed (120)');

    await h.click(run, 'run_rerun_failed');
    await waitFor(() => triggers(h).length === 2, 10_000, 'the rerun trigger');
    const body = triggers(h)[1]!.body as { target: { checkId: string[] } };
    expect(body.target.checkId).toHaveLength(120);
    expect(new Set(body.target.checkId)).toEqual(new Set(failing));
  }, 60_000);
});
