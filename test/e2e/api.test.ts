import net from 'node:net';
import { API_ENV, API_TOKENS, api, apiBase } from './api-helpers';
import { messageText, startHarness, waitFor, type Harness } from './harness';
import { sleep } from '../helpers';

const RUNS = '/api/v1/runs';

describe('run API, end to end over HTTP', () => {
  let h: Harness;
  let base: string;

  beforeEach(async () => {
    h = await startHarness({ env: API_ENV });
    base = apiBase(h);
  });

  afterEach(async () => {
    await h.close();
  });

  const triggers = () => h.checkly.requests.filter((r) => r.op === 'trigger');

  test("an open long poll does not hold back another run's trigger: it is no request being answered", async () => {
    h.checkly.addCheck({ name: 'Slow', tags: ['slow'], durationMs: 20_000 });
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 300 });
    /** From a POST's 202 to Checkly seeing its trigger. */
    const triggerDelay = async () => {
      const before = triggers().length;
      const post = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'prod' } });
      const answeredAt = Date.now();
      expect(post.status).toBe(202);
      await waitFor(() => triggers().length > before, 10_000, 'the trigger');
      return triggers()[before]!.at - answeredAt;
    };
    const quiet = await triggerDelay();
    const slow = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'slow' } });
    const poll = api(base, 'GET', `${RUNS}/${String(slow.json.id)}?wait=30`);
    await sleep(300);
    const polling = await triggerDelay();
    // eslint-disable-next-line no-console
    console.log(`202 → trigger: ${quiet} ms with no long poll open, ${polling} ms with one`);
    // Held back, it waited the foreground's full second.
    expect(polling).toBeLessThan(500);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^checkly_slack_api_requests_in_progress 0$/m);
    // Stopping the app answers it.
    void poll.catch(() => undefined);
  });

  test('a run from the API is posted, followed to its end, and read back with ?wait', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 300, locations: ['eu-west-1'] });
    h.checkly.addCheck({ name: 'Checkout', tags: ['prod'], durationMs: 600, outcome: 'FAILED', errorMessage: 'expected 200, got 503\nat line 2' });
    h.checkly.setDelay('trigger', 1500);

    const post = await api(base, 'POST', RUNS, {
      body: { channel: 'C0FAKE', target: 'prod', title: 'Deploy web@4f2c1a9', link: 'https://ci.example.com/jobs/42' },
    });
    // Answered once posted, while Checkly still holds the (slowed) trigger.
    const triggerAnswered = h.checkly.requests.filter((r) => r.op === 'trigger' && r.answeredAt !== undefined).length;
    expect(post.status).toBe(202);
    expect(triggerAnswered).toBe(0);
    expect(post.json).toMatchObject({ status: 'triggering', message: { channel: 'C0FAKE' } });
    const id = String(post.json.id);
    expect(post.json.url).toBe(`${RUNS}/${id}`);
    const message = post.json.message as { ts: string; permalink: string };
    expect(message.permalink).toBe(`https://fake.slack.com/archives/C0FAKE/p${message.ts.replace('.', '')}`);
    expect(h.slack.messages.has(`C0FAKE:${message.ts}`)).toBe(true);

    const final = await api(base, 'GET', `${RUNS}/${id}?wait=30`);
    expect(final.status).toBe(200);
    expect(final.json).toMatchObject({
      id,
      status: 'failed',
      target: 'prod',
      title: 'Deploy web@4f2c1a9',
      link: 'https://ci.example.com/jobs/42',
      channel: 'C0FAKE',
      message: { channel: 'C0FAKE', ts: message.ts, permalink: message.permalink },
      counts: { passed: 1, failed: 1, degraded: 0, timedOut: 0, cancelled: 0, running: 0 },
      error: null,
    });
    expect(typeof final.json.finishedAt).toBe('string');
    const checks = final.json.checks as Array<Record<string, unknown>>;
    expect(checks).toHaveLength(2);
    const checkout = checks.find((c) => c.name === 'Checkout');
    expect(checkout).toMatchObject({ status: 'failed', error: 'expected 200, got 503' });
    expect(checkout?.locations as string[]).not.toHaveLength(0);
    expect(typeof checkout?.durationMs).toBe('number');
    expect(String(checkout?.link)).toMatch(/^https?:\/\//);
    expect(checks.find((c) => c.name === 'Login API')).toMatchObject({ status: 'passed', locations: ['eu-west-1'], error: null });

    // The message names the token and links the title; the secret is nowhere.
    const shown = await waitFor(
      () => {
        const m = h.slack.messages.get(`C0FAKE:${message.ts}`);
        return m && /took/.test(messageText(m)) ? m : undefined;
      },
      10_000,
      'the final message',
    );
    const text = messageText(shown);
    expect(text).toContain('Started by *deploy-web* via API');
    expect(text).toContain('<https://ci.example.com/jobs/42|Deploy web@4f2c1a9>');
    expect(JSON.stringify([...h.slack.calls])).not.toContain(API_TOKENS.deploy.secret);
    expect(h.logs.join('\n')).not.toContain(API_TOKENS.deploy.secret);
    expect(h.logs.some((l) => /"audit":true/.test(l) && /"token":"deploy-web"/.test(l) && /"outcome":"started"/.test(l))).toBe(true);
    expect(triggers()).toHaveLength(1);

    // The token's name in the metrics, never its secret.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('checkly_slack_api_requests_total{token="deploy-web",route="create",code="accepted"} 1');
    expect(metrics).toContain('checkly_slack_api_requests_total{token="deploy-web",route="read",code="ok"} 1');
    expect(metrics).toContain('checkly_slack_runs_started_total{kind="api"} 1');
    expect(metrics).not.toContain(API_TOKENS.deploy.secret);
  });
});

describe('run API: threads, notify, and runs started in Slack', () => {
  let h: Harness;
  let base: string;

  beforeEach(async () => {
    h = await startHarness({ env: API_ENV });
    base = apiBase(h);
  });

  afterEach(async () => {
    await h.close();
  });

  test('threadTs posts the run under a deploy announcement; notify is mentioned in that thread when anything failed', async () => {
    h.checkly.addCheck({ name: 'Search', tags: ['web'], durationMs: 200, outcome: 'FAILED' });
    const announcement = '1700000000.000100';
    const post = await api(base, 'POST', RUNS, {
      body: { channel: 'C0FAKE', target: 'web', threadTs: announcement, notify: ['U0BOB', 'S0ONCALL'] },
    });
    expect(post.status).toBe(202);
    const message = post.json.message as { ts: string; permalink: string };
    expect(message.permalink).toContain(`?thread_ts=${announcement}&cid=C0FAKE`);
    expect(h.slack.messages.get(`C0FAKE:${message.ts}`)?.thread_ts).toBe(announcement);

    const final = await api(base, 'GET', `${RUNS}/${String(post.json.id)}?wait=30`);
    expect(final.json).toMatchObject({ status: 'failed', counts: { failed: 1 } });
    const reply = await waitFor(
      () => [...h.slack.messages.values()].find((m) => m.thread_ts === announcement && m.ts !== message.ts),
      10_000,
      'the failure reply in the thread',
    );
    expect(reply.text).toContain('<@U0BOB> <!subteam^S0ONCALL>');
    expect(reply.text).toContain('Search');
  });

  test('a passing run mentions nobody', async () => {
    h.checkly.addCheck({ name: 'Search', tags: ['web'], durationMs: 200 });
    const post = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'web', notify: ['U0BOB'] } });
    const final = await api(base, 'GET', `${RUNS}/${String(post.json.id)}?wait=30`);
    expect(final.json).toMatchObject({ status: 'passed', counts: { passed: 1, failed: 0 } });
    // The final state is stored before the message is finished: give a reply the time to come, if any did.
    await sleep(500);
    expect([...h.slack.messages.values()].filter((m) => (m.text ?? '').includes('<@U0BOB>'))).toHaveLength(0);
  });

  test('a run started with /checkly run can be read through the API', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 300 });
    h.checkly.addCheck({ name: 'Pay', tags: ['prod'], durationMs: 300, outcome: 'DEGRADED' });
    await h.command('run prod');
    const runId = await waitFor(
      () => h.logs.map((l) => JSON.parse(l) as { msg?: string; runId?: string }).find((l) => l.msg === 'run triggered')?.runId,
      10_000,
      'the run to be triggered',
    );
    const read = await api(base, 'GET', `${RUNS}/${runId}?wait=30`);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({
      id: runId,
      status: 'degraded',
      target: 'prod',
      title: null,
      link: null,
      channel: 'C0FAKE',
      counts: { passed: 1, degraded: 1, failed: 0, running: 0 },
    });
    expect((read.json.message as { permalink: string }).permalink).toMatch(/^https:\/\/fake\.slack\.com\/archives\/C0FAKE\/p\d+$/);
  });

  test('without wait, GET answers at once with the run as it is', async () => {
    h.checkly.addCheck({ name: 'Slow', tags: ['slow'], durationMs: 3000 });
    const post = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'slow' } });
    const read = await api(base, 'GET', `${RUNS}/${String(post.json.id)}`);
    expect(read.status).toBe(200);
    expect(['triggering', 'running']).toContain(read.json.status);
    expect(read.json.finishedAt).toBeNull();
    // A short wait that ends before the run does answers the run still running.
    const waited = await api(base, 'GET', `${RUNS}/${String(post.json.id)}?wait=1`);
    expect(['triggering', 'running']).toContain(waited.json.status);
    expect(waited.json.finishedAt).toBeNull();
  });
});

describe('run API in Socket Mode', () => {
  test('is served on the small server beside /healthz', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const h = await startHarness({ socketMode: true, env: { ...API_ENV, PORT: String(port) } });
    try {
      await h.slack.waitForSocket();
      h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 200 });
      const base = `http://127.0.0.1:${port}`;
      const post = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'prod' } });
      expect(post.status).toBe(202);
      const final = await api(base, 'GET', `${RUNS}/${String(post.json.id)}?wait=30`);
      expect(final.json).toMatchObject({ status: 'passed', counts: { passed: 1 } });
      expect((await api(base, 'GET', `${RUNS}/${String(post.json.id)}`, { secret: null })).status).toBe(401);
    } finally {
      await h.close();
    }
  });
});
