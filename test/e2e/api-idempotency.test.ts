import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { startApp, type Running } from '../../src/app';
import { loadConfig } from '../../src/config';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';
import { API_ENV, API_TOKENS, api, apiBase } from './api-helpers';
import { ACCOUNT_ID, SECRETS, fakeEnv, startHarness, waitFor, type Harness } from './harness';

const RUNS = '/api/v1/runs';
const body = { channel: 'C0FAKE', target: 'prod' };

/** A POST with `headers` that starts a run, then its retry, answered with the same run: the first answer. */
async function startedThenRetried(h: Harness, headers: Record<string, string>) {
  const base = apiBase(h);
  const triggers = () => h.checkly.requests.filter((r) => r.op === 'trigger').length;
  const first = await api(base, 'POST', RUNS, { body, headers });
  expect(first.status).toBe(202);
  await waitFor(() => triggers() === 1, 10_000, 'the trigger');
  const retry = await api(base, 'POST', RUNS, { body, headers });
  expect(retry.status).toBe(202);
  expect(retry.json.id).toBe(first.json.id);
  expect(retry.json.message).toEqual(first.json.message);
  return first;
}

describe('Idempotency-Key with the embedded store (SQLite)', () => {
  let h: Harness;
  let base: string;

  beforeEach(async () => {
    h = await startHarness({ env: API_ENV });
    base = apiBase(h);
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 300 });
  });

  afterEach(async () => {
    await h.close();
  });

  const triggers = () => h.checkly.requests.filter((r) => r.op === 'trigger').length;

  test('a retried POST answers the same run and triggers nothing new; another key or token starts another', async () => {
    const headers = { 'Idempotency-Key': 'gh-123456-1' };
    const first = await startedThenRetried(h, headers);
    // After the run is over too.
    await api(base, 'GET', `${RUNS}/${String(first.json.id)}?wait=30`);
    const late = await api(base, 'POST', RUNS, { body, headers });
    expect(late.json).toMatchObject({ id: first.json.id, status: 'passed' });
    expect(triggers()).toBe(1);
    expect(h.runMessages()).toHaveLength(1);

    const otherKey = await api(base, 'POST', RUNS, { body, headers: { 'Idempotency-Key': 'gh-123456-2' } });
    const otherToken = await api(base, 'POST', RUNS, { body, headers, secret: API_TOKENS.other.secret });
    const ids = new Set([first.json.id, otherKey.json.id, otherToken.json.id]);
    expect(ids.size).toBe(3);
    await waitFor(() => triggers() === 3, 10_000, 'three triggers');
  });

  test('concurrent POSTs with one key start one run', async () => {
    const headers = { 'Idempotency-Key': `deploy-${randomUUID()}` };
    const answers = await Promise.all(Array.from({ length: 10 }, () => api(base, 'POST', RUNS, { body, headers })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
    await waitFor(() => triggers() >= 1, 10_000, 'the trigger');
    await new Promise((r) => setTimeout(r, 300));
    expect(triggers()).toBe(1);
    expect(h.runMessages()).toHaveLength(1);
  });

  test('the same key with another request answers 422 idempotency_key_reused and triggers nothing; the same request answers its run', async () => {
    const headers = { 'Idempotency-Key': 'gh-777-1-deploy' };
    const first = await api(base, 'POST', RUNS, { body: { ...body, title: 'Pre-deploy' }, headers });
    expect(first.status).toBe(202);
    await waitFor(() => triggers() === 1, 10_000, 'the trigger');
    const posts = h.slack.callsTo('chat.postMessage').length;
    const changes = [
      { ...body, title: 'Post-deploy' },
      { ...body, title: 'Pre-deploy', channel: 'C0OTHER' },
      { ...body, title: 'Pre-deploy', target: 'prod,api' },
      { ...body, title: 'Pre-deploy', link: 'https://ci.example.com/jobs/2' },
      { ...body, title: 'Pre-deploy', threadTs: '1700000000.000100' },
      { ...body, title: 'Pre-deploy', notify: ['U0ALICE'] },
      body,
    ];
    for (const changed of changes) {
      const reused = await api(base, 'POST', RUNS, { body: changed, headers });
      expect({ changed, status: reused.status, error: reused.json.error }).toEqual({ changed, status: 422, error: 'idempotency_key_reused' });
      expect(String(reused.json.message)).toContain('Idempotency-Key');
    }
    // The same request, its fields in another order and its target spaced differently, is the same request.
    const same = await api(base, 'POST', RUNS, { raw: JSON.stringify({ title: 'Pre-deploy', target: ' prod ', channel: 'C0FAKE' }), headers });
    expect(same.status).toBe(202);
    expect(same.json.id).toBe(first.json.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(triggers()).toBe(1);
    expect(h.slack.callsTo('chat.postMessage').length).toBe(posts);
    expect(h.logs.some((l) => l.includes('"reason":"idempotency_key_reused"'))).toBe(true);
  });

  test('a key whose run could not be posted is freed: the retry tries again', async () => {
    h.slack.setChannelError('C0FAKE', 'not_in_channel');
    const headers = { 'Idempotency-Key': 'retry-after-invite' };
    expect((await api(base, 'POST', RUNS, { body, headers })).status).toBe(409);
    h.slack.setChannelError('C0FAKE', undefined);
    const retry = await api(base, 'POST', RUNS, { body, headers });
    expect(retry.status).toBe(202);
    await waitFor(() => triggers() === 1, 10_000, 'the trigger');
  });
});

describe('Idempotency-Key at the rate limit', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { ...API_ENV, RUN_API_RATE_PER_MINUTE: '1' } });
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 300 });
  });

  afterAll(async () => {
    await h.close();
  });

  test('a retry at the rate limit gets its run; a new run, or a reused key with another request, does not', async () => {
    const base = apiBase(h);
    const triggers = () => h.checkly.requests.filter((r) => r.op === 'trigger').length;
    const headers = { 'Idempotency-Key': 'gh-555-1-deploy-a' };
    // The retry comes at the rate limit (one run a minute): it is answered all the same.
    const first = await startedThenRetried(h, headers);

    const fresh = await api(base, 'POST', RUNS, { body, headers: { 'Idempotency-Key': 'gh-555-1-deploy-b' } });
    expect(fresh.status).toBe(429);
    expect(fresh.json.error).toBe('rate_limited');
    expect(Number(fresh.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const unkeyed = await api(base, 'POST', RUNS, { body });
    expect(unkeyed.status).toBe(429);
    const reused = await api(base, 'POST', RUNS, { body: { ...body, title: 'Another' }, headers });
    expect(reused.status).toBe(422);

    // The key refused at the rate limit started nothing: it is free, and still refused while the limit holds.
    expect((await api(base, 'POST', RUNS, { body, headers: { 'Idempotency-Key': 'gh-555-1-deploy-b' } })).status).toBe(429);
    await new Promise((r) => setTimeout(r, 300));
    expect(triggers()).toBe(1);
    await api(base, 'GET', `${RUNS}/${String(first.json.id)}?wait=30`);
  });
});

describe('Idempotency-Key and wait across two replicas sharing Redis', () => {
  const prefix = `test:api:${randomUUID()}:`;
  let redis: Redis;
  let slack: FakeSlack;
  let checkly: FakeCheckly;
  const apps: Running[] = [];
  const logs: string[][] = [];

  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    slack = await startFakeSlack({ botToken: SECRETS.botToken });
    checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
    for (let i = 0; i < 2; i++) {
      const loaded = loadConfig({
        ...fakeEnv(slack, checkly),
        ...API_ENV,
        PORT: '0',
        CHECKLY_POLL_WAIT_SECONDS: '2',
        SLACK_UPDATE_INTERVAL_MS: '200',
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_PREFIX: prefix,
        LOG_LEVEL: 'info',
      });
      if (!loaded.ok) throw new Error(loaded.problems.join('; '));
      const lines: string[] = [];
      logs.push(lines);
      apps.push(await startApp(loaded.config, { logDestination: { write: (l: string) => lines.push(l) } }));
    }
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await Promise.all([slack.close(), checkly.close()]);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const triggers = () => checkly.requests.filter((r) => r.op === 'trigger').length;
  const bases = () => apps.map((a) => `http://127.0.0.1:${a.port}`);

  test('concurrent POSTs with one key to both replicas start one run', async () => {
    checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 1500 });
    const headers = { 'Idempotency-Key': `deploy-${randomUUID()}` };
    const before = triggers();
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => api(bases()[i % 2]!, 'POST', RUNS, { body, headers })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
    const id = String(answers[0]!.json.id);

    // A sequential retry to either replica answers it too; the key with another request is refused by either.
    for (const base of bases()) expect((await api(base, 'POST', RUNS, { body, headers })).json.id).toBe(id);
    for (const base of bases()) {
      const reused = await api(base, 'POST', RUNS, { body: { ...body, title: 'Another run' }, headers });
      expect(reused.status).toBe(422);
      expect(reused.json.error).toBe('idempotency_key_reused');
    }

    // The replica that does not follow the run answers ?wait when the run ends, woken through Redis.
    const follower = await waitFor(
      () => {
        const i = logs.findIndex((lines) => lines.some((l) => l.includes('"following run"') && l.includes(id)));
        return i >= 0 ? i : undefined;
      },
      10_000,
      'a follower',
    );
    const other = 1 - follower;
    expect(logs[other]!.some((l) => l.includes('"following run"') && l.includes(id))).toBe(false);
    const final = await api(bases()[other]!, 'GET', `${RUNS}/${id}?wait=30`);
    expect(final.json).toMatchObject({ id, status: 'passed', counts: { passed: 1, running: 0 } });
    expect(triggers() - before).toBe(1);
    expect([...slack.messages.values()].filter((m) => m.thread_ts === undefined)).toHaveLength(1);
  });
});
