/**
 * A Slack hiccup on the final update (issue 20): the real app, in process, against the fake Slack
 * failing the next three `chat.update` calls (two `internal_error`, then `ratelimited` with its
 * Retry-After). The final state is tried again from a second on, not at the sweep's 15 s pace, and
 * shows within 15 s of the last session ending.
 */
import { messageText, startHarness, waitFor, type Harness } from './harness';

describe('a final update Slack refused', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  test('three refusals (2 × internal_error, then ratelimited): the final state shows within 15 s of the last session ending', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 800 });
    h.checkly.addCheck({ name: 'Checkout API', tags: ['prod'], durationMs: 4000 });
    expect((await h.command('run prod')).status).toBe(200);
    const message = await waitFor(() => h.runMessages()[0], 10_000, 'the run message');
    const current = () => h.slack.messages.get(`${message.channel}:${message.ts}`)!;
    // The first session's result is on screen: the next update of the message is its final state.
    await waitFor(() => /1 passed/.test(messageText(current())), 10_000, 'the first result');
    const before = h.slack.callsTo('chat.update').length;
    h.slack.failNext('chat.update', { error: 'internal_error' }, { times: 2 });
    h.slack.failNext('chat.update', { error: 'ratelimited', retryAfterSeconds: 2 });

    const sessions = h.checkly.requests.find((r) => r.op === 'trigger')!.sessionIds!;
    const lastEnd = Math.max(...sessions.map((id) => h.checkly.finalAt(id)!));
    await waitFor(() => /took/.test(messageText(current())), 20_000, 'the final state');
    const shownAt = current().versions.find((v) => /took/.test(messageText(v)))!.at;
    process.stdout.write(`final state shown ${shownAt - lastEnd} ms after the last session ended, through 3 refused updates\n`);

    // The three refusals were of the final state itself, and it was tried again within seconds.
    const updates = h.slack.callsTo('chat.update').slice(before);
    expect(updates.slice(0, 3).map((c) => c.error)).toEqual(['internal_error', 'internal_error', 'ratelimited']);
    for (const call of updates.slice(0, 4)) expect(messageText({ blocks: call.args.blocks as unknown[] })).toMatch(/took/);
    expect(shownAt - lastEnd).toBeLessThanOrEqual(15_000);
    expect(messageText(current())).toContain('2 passed');
  }, 40_000);
});
