/**
 * A Slack that takes a call and never answers it (a stalled load balancer, a proxy holding the
 * connection): no call may hang a run. The app gives each call SLACK_REQUEST_TIMEOUT_MS; a post that
 * got no answer may have been carried out, so the run ends in one true state, the requester is told,
 * and the second message it takes is named in the log.
 */
import { API_ENV, api, apiBase } from './api-helpers';
import { messageText, startHarness, waitFor, type Harness } from './harness';
import { sleep } from '../helpers';

const TIMEOUT_MS = 1000;
const ENV = { ...API_ENV, SLACK_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), RUN_SWEEP_INTERVAL_MS: '300' };

describe('a Slack that takes a call and never answers', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ env: ENV });
  });

  afterEach(async () => {
    await h.close();
  });

  const triggers = () => h.checkly.requests.filter((r) => r.op === 'trigger');
  const logged = (msg: string) => h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);

  test("the run message's post: nothing is triggered, the requester is told, the run ends in a second message the log names", async () => {
    h.checkly.addCheck({ name: 'Orders API', tags: ['api'], durationMs: 200 });
    h.slack.failNext('chat.postMessage', { takeAndHang: true });
    const startedAt = Date.now();
    expect((await h.command('run api')).status).toBe(200);

    // The requester, on the command's response_url.
    const told = await waitFor(
      () => h.slack.responsePosts.find((p) => /did not answer in time/.test(JSON.stringify(p.body))),
      TIMEOUT_MS + 10_000,
      'the ephemeral note',
    );
    expect(told.at - startedAt).toBeLessThan(TIMEOUT_MS + 5000);
    expect(JSON.stringify(told.body)).toContain('nothing was triggered');

    // Slack took the first post; the run's final state went out as a second message, saying why.
    const [first, second] = await waitFor(() => (h.runMessages().length === 2 ? h.runMessages() : undefined), 10_000, 'the second message');
    expect(messageText(first!)).toMatch(/triggering/i);
    expect(messageText(second!)).toContain('Slack did not answer in time');
    expect(messageText(second!)).toContain('nothing was started');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(2);
    const secondNamed =
      'posted the final state of a run whose first post Slack did not answer: if Slack took that one, the channel shows two messages for this run, and this is the second';
    const named = await waitFor(() => (logged(secondNamed).length > 0 ? logged(secondNamed) : undefined), 5000, 'the log line');
    expect(named).toHaveLength(1);
    expect(named[0]).toMatchObject({ channel: 'C0FAKE', ts: second!.ts });
    expect(triggers()).toHaveLength(0);

    // The run is over: nothing is posted or triggered later.
    await sleep(1500);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect(triggers()).toHaveLength(0);
  });

  test('the same from the run API: 504 slack_timeout, nothing triggered, and the key may start the run again', async () => {
    h.checkly.addCheck({ name: 'Orders API', tags: ['api'], durationMs: 200 });
    h.slack.failNext('chat.postMessage', { takeAndHang: true });
    const base = apiBase(h);
    const headers = { 'Idempotency-Key': 'deploy-4f2c1a9' };
    const first = await api(base, 'POST', '/api/v1/runs', { body: { channel: 'C0FAKE', target: 'api' }, headers });
    expect(first.status).toBe(504);
    expect(first.json).toMatchObject({ error: 'slack_timeout' });
    expect(triggers()).toHaveLength(0);
    const again = await api(base, 'POST', '/api/v1/runs', { body: { channel: 'C0FAKE', target: 'api' }, headers });
    expect(again.status).toBe(202);
    await waitFor(() => triggers().length === 1, 5000, 'the trigger of the run the key started again');
  });

  test("the final state's update: the run still ends, the update is sent again and shown, and the requester is told in the thread", async () => {
    h.checkly.addCheck({ name: 'Orders API', tags: ['api'], durationMs: 1500, outcome: 'FAILED' });
    await h.command('run api');
    const message = await waitFor(() => h.runMessages()[0], 5000, 'the run message');
    const key = `C0FAKE:${message.ts}`;
    await waitFor(() => /running/i.test(messageText(h.slack.messages.get(key)!)), 5000, 'the running state');
    // The next update is the final state's.
    h.slack.failNext('chat.update', { takeAndHang: true });
    const finalUpdates = () => h.slack.callsTo('chat.update').filter((c) => /1 failed/.test(String(c.args.text)));
    await waitFor(() => finalUpdates().length >= 1, 10_000, 'the final update');
    expect(finalUpdates()[0]!.status).toBeUndefined(); // never answered

    // The requester is told in the thread, without waiting for the update Slack holds.
    const reply = await waitFor(
      () => [...h.slack.messages.values()].find((m) => m.thread_ts === message.ts && m.ts !== message.ts),
      TIMEOUT_MS + 10_000,
      'the thread reply',
    );
    expect(messageText(reply)).toContain('<@U0ALICE>');
    // The final state is sent again once the first try timed out: answered this time.
    await waitFor(() => finalUpdates().some((c) => c.status === 200), 15_000, 'the final update sent again');
    expect(messageText(h.slack.messages.get(key)!)).toContain('1 failed');
    // And then the run is settled: no more updates, one reply.
    const updates = h.slack.callsTo('chat.update').length;
    await sleep(1500);
    expect(h.slack.callsTo('chat.update')).toHaveLength(updates);
    expect([...h.slack.messages.values()].filter((m) => m.thread_ts === message.ts && m.ts !== message.ts)).toHaveLength(1);
  });
});
