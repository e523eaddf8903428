import { SLASH_COMMAND_DEFAULTS } from '../fakes/sign';
import { SECRETS, blockActionsPayload, findButton, messageText, startHarness, waitFor, type Harness } from './harness';
import { freePort } from '../helpers';

describe('Socket Mode, end to end over a WebSocket', () => {
  let h: Harness;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    h = await startHarness({
      socketMode: true,
      env: { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ALERTS_ADMINS: 'U0ALICE' },
    });
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
    await waitFor(
      () =>
        /checks/.test(JSON.stringify(h.slack.views.views.get(view.id)!.view.blocks)) &&
        !/Reading/.test(JSON.stringify(h.slack.views.views.get(view.id)!.view.blocks)),
      5000,
      'the catalogue',
    );
    const answer = (await h.slack.sendSocketEvent('interactive', h.slack.views.blockSuggestion(view.id, 'picker_checks', 'socket'))) as {
      options: Array<{ value: string }>;
    };
    expect(answer.options.map((o) => o.value)).toEqual([check.id]);
    h.slack.views.select(view.id, 'picker_checks', [{ text: { type: 'plain_text', text: 'Socket search' }, value: check.id }]);
    await h.slack.sendSocketEvent('interactive', h.slack.views.submission(view.id));
    await waitFor(() => h.checkly.requests.filter((r) => r.op === 'trigger').length === before + 1, 5000, 'the trigger');
    expect(h.checkly.requests.filter((r) => r.op === 'trigger').at(-1)!.body).toEqual({ target: { checkId: [check.id] }, refreshCache: false });
  });

  test('alerts over the socket: `alerts on` connects the channel to the one port, a delivery there posts the incident, I’m on it updates it', async () => {
    const check = h.checkly.addCheck({ name: 'Socket checkout', tags: ['alerting'] });
    await h.slack.sendSocketEvent('slash_commands', {
      ...SLASH_COMMAND_DEFAULTS,
      command: '/checkly',
      text: 'alerts on alerting',
      response_url: h.slack.responseUrl('socket-alerts'),
    });
    const channel = await waitFor(
      () => h.checkly.alertChannels.list.find((c) => c.subscriptions.some((s) => s.checkId === check.id)),
      10_000,
      'the channel connected',
    );
    expect(channel.config.url).toBe(`http://127.0.0.1:${port}/alerts/checkly`);
    await waitFor(() => h.slack.responsePosts.find((p) => p.id === 'socket-alerts' && JSON.stringify(p.body).includes('now receives')), 10_000, 'the answer');

    const deliveries = await h.checkly.alertChannels.sendAlert({
      ALERT_TYPE: 'ALERT_FAILURE',
      CHECK_ID: check.id,
      CHECK_NAME: check.name,
      CHECK_TYPE: 'API',
      CHECK_RESULT_ID: '00000000-0000-4000-8000-00000000aa01',
      RESULT_LINK: 'https://app.checklyhq.com/r/aa01',
      RUN_LOCATION: 'eu-west-1',
      STARTED_AT: new Date(Date.now() - 30_000).toISOString(),
      TAGS: ['alerting'],
      CHECK_ERROR_MESSAGE: 'boom',
      API_CHECK_RESPONSE_STATUS_CODE: 503,
    });
    expect(deliveries.map((d) => d.status)).toEqual([202]);
    const incident = await waitFor(
      () => h.runMessages().find((m) => findButton(m.blocks ?? [], 'alert_own') && /Socket checkout\* is failing/.test(messageText(m))),
      10_000,
      'the incident',
    );
    const own = findButton(incident.blocks!, 'alert_own')!;
    await h.slack.sendSocketEvent('interactive', blockActionsPayload(incident, own.button, own.blockId, 'U0BOB', h.slack.responseUrl('socket-own')));
    await waitFor(() => /On it: <@U0BOB>/.test(messageText(h.slack.messages.get(`${incident.channel}:${incident.ts}`)!)), 10_000, 'the owner shown');
  });

  test('Slack requests come over the socket: the one port opened serves /healthz and /metrics, not /slack/events', async () => {
    expect(h.app.port).toBeUndefined();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    const events = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      body: 'payload=%7B%7D',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(events.status).toBe(404);
  });

  test('the app-level token it was given never reaches the logs, Slack calls or messages', () => {
    expect(h.env.SLACK_APP_TOKEN).toBe(SECRETS.appToken);
    // It was used: the socket was opened with it.
    expect(h.slack.callsTo('apps.connections.open').map((c) => c.token)).toContain(SECRETS.appToken);
    const stretches = Array.from({ length: SECRETS.appToken.length - 15 }, (_, i) => SECRETS.appToken.slice(i, i + 16));
    const haystacks: Array<[string, string]> = [
      ['logs', h.logs.join('\n')],
      ['Slack call arguments', JSON.stringify(h.slack.calls.map((c) => c.args))],
      ['Slack messages', JSON.stringify([...h.slack.messages.values()])],
      ['response_url posts', JSON.stringify(h.slack.responsePosts)],
    ];
    expect(h.logs.length).toBeGreaterThan(10);
    for (const [where, text] of haystacks) expect({ where, leaked: stretches.find((s) => text.includes(s)) }).toEqual({ where, leaked: undefined });
  });
});
