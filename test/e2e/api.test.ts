import { API_ENV, API_TOKENS, api, apiBase } from './api-helpers';
import { messageText, startHarness, waitFor, type Harness } from './harness';

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

  test('a run from the API is posted, followed to its end, and read back with ?wait', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 300, locations: ['eu-west-1'] });
    h.checkly.addCheck({ name: 'Checkout', tags: ['prod'], durationMs: 600, outcome: 'FAILED', errorMessage: 'expected 200, got 503\nat line 2' });
    h.checkly.setDelay('trigger', 700);

    const started = Date.now();
    const post = await api(base, 'POST', RUNS, {
      body: { channel: 'C0FAKE', target: 'prod', title: 'Deploy web@4f2c1a9', link: 'https://ci.example.com/jobs/42' },
    });
    const answeredMs = Date.now() - started;
    expect(post.status).toBe(202);
    expect(post.json).toMatchObject({ status: 'triggering', message: { channel: 'C0FAKE' } });
    const id = String(post.json.id);
    expect(post.json.url).toBe(`${RUNS}/${id}`);
    const message = post.json.message as { ts: string; permalink: string };
    expect(message.permalink).toBe(`https://fake.slack.com/archives/C0FAKE/p${message.ts.replace('.', '')}`);
    // Answered once posted, not after the (slowed) trigger returned.
    expect(answeredMs).toBeLessThan(700);
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
    expect((checkout?.locations as string[]).length).toBeGreaterThan(0);
    expect(typeof checkout?.durationMs).toBe('number');
    expect(String(checkout?.link)).toMatch(/^https?:\/\//);
    expect(checks.find((c) => c.name === 'Login API')).toMatchObject({ status: 'passed', locations: ['eu-west-1'], error: null });

    // The message names the token and links the title; the secret is nowhere.
    const shown = await waitFor(() => {
      const m = h.slack.messages.get(`C0FAKE:${message.ts}`);
      return m && /took/.test(messageText(m)) ? m : undefined;
    }, 10_000, 'the final message');
    const text = messageText(shown);
    expect(text).toContain('Started by *deploy-web* via API');
    expect(text).toContain('<https://ci.example.com/jobs/42|Deploy web@4f2c1a9>');
    expect(JSON.stringify([...h.slack.calls])).not.toContain(API_TOKENS.deploy.secret);
    expect(h.logs.join('\n')).not.toContain(API_TOKENS.deploy.secret);
    expect(h.logs.some((l) => /"audit":true/.test(l) && /"token":"deploy-web"/.test(l) && /"outcome":"started"/.test(l))).toBe(true);
    expect(triggers()).toHaveLength(1);
  });
});
