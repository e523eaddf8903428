/** GET /healthz and GET /metrics on the real app. */
import { SECRETS, messageText, startHarness, waitFor, type Harness } from './harness';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the operator’s view over HTTP', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  test('GET /healthz answers 200 {"status":"ok"} on the Slack port, unsigned', async () => {
    const res = await fetch(`http://127.0.0.1:${h.app.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('GET /metrics counts a run, its Checkly requests and Slack calls, and holds no secret', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 200 });
    h.checkly.addCheck({ name: 'Checkout', tags: ['prod'], durationMs: 300, outcome: 'FAILED' });
    await h.command('run prod');
    await waitFor(() => h.runMessages().find((m) => /1 failed/.test(messageText(m)) && /1 passed/.test(messageText(m))), 15_000, 'the final run');
    await waitFor(() => [...h.slack.messages.values()].some((m) => m.thread_ts !== undefined), 5000, 'the thread reply');

    const res = await fetch(`http://127.0.0.1:${h.app.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(sample(text, 'checkly_slack_runs_started_total{kind="command"}')).toBe(1);
    expect(sample(text, 'checkly_slack_runs_finished_total{outcome="failed"}')).toBe(1);
    expect(sample(text, 'checkly_slack_checkly_requests_total{operation="trigger",status="201"}')).toBe(1);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="chat.postMessage",error="none"}')).toBe(2);
    expect(sample(text, 'checkly_slack_sessions_followed')).toBe(0);
    expect(text).toMatch(/^checkly_slack_scheduler_queue_depth\{scheduler="[a-z_-]+"\} \d+$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  });

  test('a refused Slack call is counted by its error', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'] });
    h.slack.setChannelError('C0PRIV', 'channel_not_found');
    await h.command('run prod', { channel_id: 'C0PRIV' });
    await waitFor(() => h.slack.responsePosts.length > 0, 5000, 'the explanation');
    const text = await (await fetch(`http://127.0.0.1:${h.app.port}/metrics`)).text();
    expect(sample(text, 'checkly_slack_slack_calls_total{method="chat.postMessage",error="channel_not_found"}')).toBe(1);
    expect(sample(text, 'checkly_slack_runs_started_total{kind="command"}')).toBeUndefined();
  });
});
