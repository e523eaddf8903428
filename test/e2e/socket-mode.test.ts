import { SLASH_COMMAND_DEFAULTS } from '../fakes/sign';
import { blockActionsPayload, findButton, messageText, startHarness, waitFor, type Harness } from './harness';

describe('Socket Mode, end to end over a WebSocket', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ socketMode: true });
    await h.slack.waitForSocket(5000);
  });

  afterAll(async () => {
    await h.close();
  });

  test('the same listeners run: a slash command over the socket starts a run that reaches its final state', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 200 });
    h.checkly.addCheck({ name: 'Checkout', tags: ['prod'], durationMs: 300, outcome: 'FAILED' });
    const ack = (await h.slack.sendSocketEvent('slash_commands', {
      ...SLASH_COMMAND_DEFAULTS,
      command: '/checkly',
      text: 'run prod',
      response_url: h.slack.responseUrl('socket-cmd'),
    })) as { response_type?: string; text?: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toContain('prod');

    const run = await waitFor(
      () => h.runMessages().find((m) => /1 passed/.test(messageText(m)) && /1 failed/.test(messageText(m)) && findButton(m.blocks ?? [], 'run_rerun_failed')),
      10_000,
      'the final run message',
    );
    expect(h.checkly.requests.filter((r) => r.op === 'trigger')).toHaveLength(1);

    // A click arrives over the socket too.
    const found = findButton(run.blocks!, 'run_rerun_failed')!;
    await h.slack.sendSocketEvent('interactive', blockActionsPayload(run, found.button, found.blockId, 'U0BOB', h.slack.responseUrl('socket-click')));
    await waitFor(() => h.checkly.requests.filter((r) => r.op === 'trigger').length === 2, 5000, 'the rerun trigger');
  });

  test('the picker modal works over the socket: open, type-ahead, submit', async () => {
    const check = h.checkly.addCheck({ name: 'Socket search', tags: ['sock'], durationMs: 200 });
    const before = h.checkly.requests.filter((r) => r.op === 'trigger').length;
    await h.slack.sendSocketEvent('slash_commands', {
      ...SLASH_COMMAND_DEFAULTS,
      command: '/checkly',
      text: '',
      trigger_id: h.slack.views.issueTriggerId(),
      response_url: h.slack.responseUrl('socket-pick'),
    });
    const view = await waitFor(() => h.slack.views.last(), 5000, 'the modal');
    await waitFor(() => /checks/.test(JSON.stringify(h.slack.views.views.get(view.id)!.view.blocks)) && !/Reading/.test(JSON.stringify(h.slack.views.views.get(view.id)!.view.blocks)), 5000, 'the catalogue');
    const answer = (await h.slack.sendSocketEvent('interactive', h.slack.views.blockSuggestion(view.id, 'picker_checks', 'socket'))) as { options: Array<{ value: string }> };
    expect(answer.options.map((o) => o.value)).toEqual([check.id]);
    h.slack.views.select(view.id, 'picker_checks', [{ text: { type: 'plain_text', text: 'Socket search' }, value: check.id }]);
    await h.slack.sendSocketEvent('interactive', h.slack.views.submission(view.id));
    await waitFor(() => h.checkly.requests.filter((r) => r.op === 'trigger').length === before + 1, 5000, 'the trigger');
    expect(h.checkly.requests.filter((r) => r.op === 'trigger').at(-1)!.body).toEqual({ target: { checkId: [check.id] }, refreshCache: false });
  });

  test('HTTP requests are not how Socket Mode works: no port is opened for /slack/events', () => {
    expect(h.app.port).toBeUndefined();
  });
});
