import http from 'node:http';
import { API_ENV, API_TOKENS, api, apiBase, type ApiAnswer } from './api-helpers';
import { messageText, startHarness, waitFor, type Harness } from './harness';

const RUNS = '/api/v1/runs';
/** A token of its own for the channel refusals: each counts against its token's minute. */
const REFUSALS = { name: 'refusals', secret: 'rf-secret-0123456789abcdef0123456789abcdef' };

/** Every error of docs/ci-api.md#errors: its status, its code, a message, and nothing triggered or posted. */
describe('run API errors, end to end over HTTP', () => {
  let h: Harness;
  let base: string;

  beforeAll(async () => {
    h = await startHarness({
      env: {
        ...API_ENV,
        RUN_API_TOKENS: `${API_ENV.RUN_API_TOKENS},${REFUSALS.name}:${REFUSALS.secret}`,
        ALLOWED_CHANNELS: 'C0FAKE,C0LOCKED,C0ARCHIVED,C0READONLY,C0PRIVATE',
        RUN_API_RATE_PER_MINUTE: '3',
        ALLOWED_USERS: 'U0ALICE',
      },
    });
    base = apiBase(h);
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 100 });
    h.slack.setChannelError('C0LOCKED', 'not_in_channel');
    h.slack.setChannelError('C0ARCHIVED', 'is_archived');
    h.slack.setChannelError('C0READONLY', 'restricted_action');
    h.slack.setChannelError('C0PRIVATE', 'channel_not_found');
  });

  afterAll(async () => {
    await h.close();
  });

  const postsBefore = () => h.slack.callsTo('chat.postMessage').length;
  const triggers = () => h.checkly.requests.filter((r) => r.op === 'trigger').length;

  async function expectError(answer: Promise<ApiAnswer>, status: number, code: string, options: { audit?: RegExp } = {}) {
    const [posts, triggered, logged] = [postsBefore(), triggers(), h.logs.length];
    const res = await answer;
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.json).toEqual({ error: code, message: expect.any(String) });
    expect(String(res.json.message).length).toBeGreaterThan(10);
    expect(res.text).not.toContain(API_TOKENS.deploy.secret);
    // Nothing triggered, nothing new posted (a 409 tried to post, and failed).
    expect(triggers()).toBe(triggered);
    if (res.status === 409) expect(h.slack.rejections.slice(-1)[0]).toMatchObject({ method: 'chat.postMessage' });
    else expect(postsBefore()).toBe(posts);
    if (options.audit) {
      const lines = h.logs.slice(logged).filter((l) => l.includes('"audit":true'));
      expect(lines.some((l) => options.audit!.test(l))).toBe(true);
    }
    return res;
  }

  const post = (body: unknown, opts: { secret?: string | null; headers?: Record<string, string> } = {}) => api(base, 'POST', RUNS, { body, ...opts });

  test('400 invalid_json: a body that is not JSON', async () => {
    await expectError(api(base, 'POST', RUNS, { raw: '{"channel": "C0FAKE", ' }), 400, 'invalid_json');
  });

  test('400 invalid_request: missing or malformed fields', async () => {
    await expectError(post({ target: 'prod' }), 400, 'invalid_request');
    await expectError(post({ channel: '#general', target: 'prod' }), 400, 'invalid_request');
    await expectError(post({ channel: 'C0FAKE' }), 400, 'invalid_request');
    await expectError(post({ channel: 'C0FAKE', target: 'prod', notify: ['@alice'] }), 400, 'invalid_request');
    await expectError(post({ channel: 'C0FAKE', target: 'prod', link: 'javascript:alert(1)' }), 400, 'invalid_request');
    await expectError(post({ channel: 'C0FAKE', target: 'prod', threadTs: 'yesterday' }), 400, 'invalid_request');
    await expectError(post({ channel: 'C0FAKE', target: 'prod', title: 'x'.repeat(151) }), 400, 'invalid_request');
    await expectError(post({ channel: 'C0FAKE', target: 'prod', extra: 1 }), 400, 'invalid_request');
    await expectError(post(['C0FAKE', 'prod']), 400, 'invalid_request');
    await expectError(post({ channel: 'C0FAKE', target: 'prod' }, { headers: { 'Idempotency-Key': 'has spaces in it' } }), 400, 'invalid_request');
  });

  test('400 invalid_target: the parser says what is wrong', async () => {
    const res = await expectError(post({ channel: 'C0FAKE', target: '--check not-a-uuid' }), 400, 'invalid_target');
    expect(res.json.message).toContain('not a check ID');
    await expectError(post({ channel: 'C0FAKE', target: 'prod --bogus' }), 400, 'invalid_target');
    await expectError(post({ channel: 'C0FAKE', target: '"unclosed' }), 400, 'invalid_target');
  });

  test('401 unauthorized: no token, a wrong one, a name instead of a secret, another scheme', async () => {
    const body = { channel: 'C0FAKE', target: 'prod' };
    const res = await expectError(post(body, { secret: null }), 401, 'unauthorized', { audit: /"reason":"unauthorized"/ });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    await expectError(post(body, { secret: `${API_TOKENS.deploy.secret}x` }), 401, 'unauthorized');
    await expectError(post(body, { secret: API_TOKENS.deploy.name }), 401, 'unauthorized');
    await expectError(api(base, 'POST', RUNS, { body, secret: null, headers: { Authorization: `Basic ${API_TOKENS.deploy.secret}` } }), 401, 'unauthorized');
    await expectError(api(base, 'GET', `${RUNS}/00000000-0000-4000-8000-000000000000`, { secret: 'nope' }), 401, 'unauthorized');
  });

  test('403 forbidden: a channel outside ALLOWED_CHANNELS, --all without ALLOW_RUN_ALL', async () => {
    await expectError(post({ channel: 'C0ELSEWHERE', target: 'prod' }), 403, 'forbidden', {
      audit: /"token":"deploy-web".*"reason":"channel"|"reason":"channel".*"token":"deploy-web"/,
    });
    await expectError(post({ channel: 'C0FAKE', target: '--all' }), 403, 'forbidden', { audit: /"reason":"all"/ });
  });

  test('409 not_in_channel: the bot cannot post there, and nothing is triggered', async () => {
    const res = await expectError(post({ channel: 'C0LOCKED', target: 'prod' }), 409, 'not_in_channel', { audit: /"outcome":"unreachable"/ });
    expect(res.json.message).toContain('invite');
  });

  test('409 channel_unavailable: Slack refused the post for another reason (archived, restricted, not found), named; nothing is triggered', async () => {
    for (const [channel, slackError] of [
      ['C0ARCHIVED', 'is_archived'],
      ['C0READONLY', 'restricted_action'],
      ['C0PRIVATE', 'channel_not_found'],
    ] as const) {
      const res = await expectError(post({ channel, target: 'prod' }, { secret: REFUSALS.secret }), 409, 'channel_unavailable', {
        audit: new RegExp(`"reason":"${slackError}"`),
      });
      expect(res.json.message).toContain(slackError);
      expect(res.json.message).toContain(channel);
      expect(res.json.message).toContain('Nothing was triggered');
    }
  });

  test('413 payload_too_large: a body over 16 KB, declared or streamed without a length', async () => {
    await expectError(post({ channel: 'C0FAKE', target: 'prod', title: 'x'.repeat(17 * 1024) }), 413, 'payload_too_large');
    const chunked = new Promise<ApiAnswer>((resolve, reject) => {
      const req = http.request(`${base}${RUNS}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_TOKENS.deploy.secret}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: new Headers(res.headers as Record<string, string>),
            json: JSON.parse(text) as Record<string, unknown>,
            text,
          }),
        );
      });
      req.on('error', reject);
      req.write('{"channel":"C0FAKE","target":"prod","title":"');
      for (let i = 0; i < 20; i++) req.write('y'.repeat(1024));
      req.end('"}');
    });
    await expectError(chunked, 413, 'payload_too_large');
  });

  test('404 not_found: an unknown run id; 400 for wait out of range', async () => {
    await expectError(api(base, 'GET', `${RUNS}/00000000-0000-4000-8000-000000000000`), 404, 'not_found');
    await expectError(api(base, 'GET', `${RUNS}/00000000-0000-4000-8000-000000000000?wait=61`), 400, 'invalid_request');
    await expectError(api(base, 'GET', `${RUNS}/00000000-0000-4000-8000-000000000000?wait=0`), 400, 'invalid_request');
    await expectError(api(base, 'GET', `${RUNS}/00000000-0000-4000-8000-000000000000?wait=soon`), 400, 'invalid_request');
  });

  test('every answer, error or not, ends its request: none is left in progress to hold triggers back', async () => {
    await post('{"channel": ', { headers: { 'Content-Type': 'application/json' } });
    await post({ channel: 'C0FAKE', target: 'prod' }, { secret: null });
    await api(base, 'GET', `${RUNS}/nope`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^checkly_slack_api_requests_in_progress 0$/m);
    expect(metrics).toMatch(/^checkly_slack_api_requests_total\{token="none",route="create",code="unauthorized"\} \d+$/m);
  });

  test('429 rate_limited: beyond the runs a token may start in a minute, with Retry-After; other tokens unaffected', async () => {
    const started: ApiAnswer[] = [];
    for (let i = 0; i < 3; i++) {
      const ok = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'prod' }, secret: API_TOKENS.other.secret });
      expect(ok.status).toBe(202);
      started.push(ok);
    }
    // 202 comes before the trigger returns: let the three triggers land before counting.
    await waitFor(() => triggers() === 3, 10_000, 'three triggers');
    const res = await expectError(
      api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'prod' }, secret: API_TOKENS.other.secret }),
      429,
      'rate_limited',
      { audit: /"reason":"rate_limited"/ },
    );
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another token has its own minute.
    const other = await post({ channel: 'C0FAKE', target: 'prod' });
    expect(other.status).toBe(202);
    started.push(other);
    // Nothing left in flight for the app's stop: a Slack call cut off by the fake's close would be
    // retried for seconds by the Web API client, holding jest open after the run.
    for (const run of started) {
      const ts = (run.json.message as { ts: string }).ts;
      await waitFor(() => /took/.test(messageText(h.slack.messages.get(`C0FAKE:${ts}`) ?? {})), 10_000, 'the final message');
    }
  });
});

describe('run API switched off', () => {
  test('/api/* answers 404 while RUN_API_TOKENS is unset', async () => {
    const h = await startHarness();
    try {
      const base = apiBase(h);
      const res = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'prod' } });
      expect(res.status).toBe(404);
      expect((await api(base, 'GET', `${RUNS}/x`)).status).toBe(404);
      expect(h.checkly.requests.filter((r) => r.op === 'trigger')).toHaveLength(0);
    } finally {
      await h.close();
    }
  });
});
