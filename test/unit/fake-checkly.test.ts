// The fake Checkly must behave as the spec says, or the tests built on it prove nothing. Plain fetch
// here, not our client, so a client bug cannot hide a fake bug.
import { matchesTags } from '../fakes/checkly-model';
import { type FakeCheckly, startFakeCheckly, uuid } from '../fakes/checkly';
import { waitFor } from '../helpers';

let fake: FakeCheckly;
let clock = 1_700_000_000_000;
const manualClock = (): number => clock;

afterEach(async () => {
  await fake?.close();
});

function headers(over: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    Authorization: `Bearer ${fake.apiKey}`,
    'X-Checkly-Account': fake.accountId,
    'Content-Type': 'application/json',
    ...over,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

interface Answer {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

async function api(method: string, path: string, body?: unknown, hdrs = headers()): Promise<Answer> {
  const init: RequestInit = { method, headers: hdrs };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(fake.url + path, init);
  const text = await res.text();
  return { status: res.status, text, body: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
}

// Narrow test bodies without `any`.
type Json = Record<string, unknown> & { sessions?: Json[]; results?: Json[] };
const json = (a: Answer): Json => a.body as Json;

async function trigger(body: unknown = { refreshCache: false }): Promise<Answer> {
  return api('POST', '/v2/check-sessions/trigger', body);
}

async function triggerIds(body: unknown): Promise<string[]> {
  const res = await trigger(body);
  expect(res.status).toBe(201);
  return (json(res).sessions ?? []).map((s) => s.checkId as string).sort();
}

describe('matchesTags', () => {
  it('ORs groups, ANDs tags inside a group, and negates !tag', () => {
    expect(matchesTags(['prod', 'api'], [['prod']])).toBe(true);
    expect(matchesTags(['prod', 'api'], [['prod', 'web']])).toBe(false);
    expect(matchesTags(['prod', 'api'], [['prod', 'web'], ['api']])).toBe(true);
    expect(matchesTags(['prod', 'flaky'], [['prod', '!flaky']])).toBe(false);
    expect(matchesTags(['prod'], [['prod', '!flaky']])).toBe(true);
    expect(matchesTags(['eu west'], [['eu west']])).toBe(true);
    expect(matchesTags([], [['!flaky']])).toBe(true);
  });
});

describe('fake Checkly: auth', () => {
  beforeEach(async () => {
    fake = await startFakeCheckly();
    fake.addCheck({ name: 'A' });
  });

  it('answers 401 Bad Token without a valid bearer key', async () => {
    const none = await api('POST', '/v2/check-sessions/trigger');
    expect((await api('POST', '/v2/check-sessions/trigger', {}, headers({ Authorization: undefined }))).body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Bad Token',
    });
    const wrong = await api('POST', '/v2/check-sessions/trigger', {}, headers({ Authorization: 'Bearer nope' }));
    expect(wrong.status).toBe(401);
    expect(json(wrong).message).toBe('Bad Token');
    expect(none.status).toBe(400); // authenticated, but no body
    expect(fake.sessions).toHaveLength(0);
  });

  it('answers 401 without an account header and 403 for another account', async () => {
    const missing = await api('GET', `/v2/check-sessions/${uuid()}`, undefined, headers({ 'X-Checkly-Account': undefined }));
    expect(missing.status).toBe(401);
    expect(json(missing).error).toBe('Unauthorized');
    const other = await api('GET', `/v2/check-sessions/${uuid()}`, undefined, headers({ 'X-Checkly-Account': uuid() }));
    expect(other.status).toBe(403);
    expect(json(other)).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Forbidden' });
  });

  it('records every request with its headers as received and the status it answered', async () => {
    await api('GET', `/v2/check-sessions/${uuid()}/completion?maxWaitSeconds=1`, undefined, headers({ 'User-Agent': 'ua-test/1' }));
    expect(fake.requests).toHaveLength(1);
    const [r] = fake.requests;
    expect(r).toMatchObject({ method: 'GET', op: 'completion', query: { maxWaitSeconds: '1' }, status: 404 });
    expect(r!.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(r!.headers['x-checkly-account']).toBe(fake.accountId);
    expect(r!.headers['user-agent']).toBe('ua-test/1');
    expect(typeof r!.answeredAt).toBe('number');
  });

  it('answers 404 ApiError for unknown routes and methods', async () => {
    expect((await api('GET', '/v2/check-sessions/trigger/x')).status).toBe(404);
    expect((await api('DELETE', `/v2/check-sessions/${uuid()}`)).status).toBe(404);
  });
});

describe('fake Checkly: trigger', () => {
  let a: string, b: string, c: string, d: string;
  beforeEach(async () => {
    fake = await startFakeCheckly();
    a = fake.addCheck({ name: 'A', tags: ['prod', 'api'] }).id;
    b = fake.addCheck({ name: 'B', tags: ['prod', 'web', 'flaky'] }).id;
    c = fake.addCheck({ name: 'C', tags: ['staging'] }).id;
    d = fake.addCheck({ name: 'D', tags: ['prod'], activated: false }).id;
  });

  it('matches tag groups like the CLI', async () => {
    expect(await triggerIds({ target: { matchTags: [['prod']] }, refreshCache: false })).toEqual([a, b].sort());
    expect(await triggerIds({ target: { matchTags: [['prod', '!flaky']] }, refreshCache: false })).toEqual([a]);
    expect(await triggerIds({ target: { matchTags: [['prod', 'api'], ['staging']] }, refreshCache: false })).toEqual([a, c].sort());
  });

  it('matches check ids, both filters together, and every activated check without a target', async () => {
    expect(await triggerIds({ target: { checkId: [b] }, refreshCache: false })).toEqual([b]);
    expect(await triggerIds({ target: { checkId: [a, b], matchTags: [['web']] }, refreshCache: true })).toEqual([b]);
    expect(await triggerIds({ refreshCache: false })).toEqual([a, b, c].sort());
    expect(await triggerIds({})).toEqual([a, b, c].sort());
  });

  it('answers 404 ApiError when nothing matches, deactivated checks included', async () => {
    for (const target of [{ checkId: [d] }, { checkId: [b], matchTags: [['staging']] }, { matchTags: [['nope']] }]) {
      const res = await trigger({ target, refreshCache: false });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'No matching checks were found.' });
    }
    expect(fake.sessions).toHaveLength(0);
  });

  it('answers 201 with one spec-shaped session per check', async () => {
    clock = Date.now();
    const res = await trigger({ target: { checkId: [a] }, refreshCache: false });
    expect(res.status).toBe(201);
    const [s] = json(res).sessions!;
    expect(s).toEqual({
      checkSessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      checkSessionLink: `https://app.checklyhq.com/accounts/${fake.accountId}/checks/${a}/check-sessions/${String(s!.checkSessionId)}`,
      checkId: a,
      checkType: 'API',
      name: 'A',
      status: 'STARTED',
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      stoppedAt: null,
      timeElapsed: 0,
      runLocations: ['eu-west-1'],
      runSource: 'TRIGGER_API',
    });
    expect(fake.sessions.map((v) => v.id)).toEqual([s!.checkSessionId]);
  });

  it('records the sessions a trigger created, even when the client hung up before the (slow) answer', async () => {
    clock = Date.now();
    // The wall clock of a shared machine: waits are for conditions, the delay is long beside them.
    fake.setDelay('trigger', 1_000);
    const gone = new AbortController();
    const request = fetch(`${fake.url}/v2/check-sessions/trigger`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ target: { checkId: [a] }, refreshCache: false }),
      signal: gone.signal,
    });
    const record = await waitFor(() => fake.requests.find((r) => r.op === 'trigger'), 5000, 'the trigger received');
    gone.abort();
    await expect(request).rejects.toThrow();
    expect(record.sessionIds).toBeUndefined(); // not processed yet: the delay comes first, as at a slow Checkly
    await waitFor(() => record.sessionIds, 5000, 'the trigger processed');
    expect(record.sessionIds).toEqual(fake.sessions.map((v) => v.id));
    expect(record.sessionIds).toHaveLength(1);
    expect(record.status).toBeUndefined(); // nobody was there to answer
  });

  it.each([
    ['a non-object body', [1]],
    ['matchTags not nested', { target: { matchTags: ['prod'] }, refreshCache: false }],
    ['a non-string tag', { target: { matchTags: [['prod', 3]] }, refreshCache: false }],
    ['a malformed check id', { target: { checkId: ['abc'] }, refreshCache: false }],
    ['checkId not a list', { target: { checkId: uuid() }, refreshCache: false }],
    ['a non-boolean refreshCache', { refreshCache: 'yes' }],
    ['an unknown field', { refreshCache: false, tags: ['prod'] }],
    ['invalid JSON', '{"target":'],
  ])('answers 400 ApiError for %s', async (_what, body) => {
    const res = await trigger(body);
    expect(res.status).toBe(400);
    expect(json(res)).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    expect(fake.sessions).toHaveLength(0);
  });

  it('names the offending field', async () => {
    const res = await trigger({ target: { checkId: [a, 'abc'] }, refreshCache: false });
    expect(json(res).message).toBe('"target.checkId[1]" must be a valid GUID');
  });
});

describe('fake Checkly: session timeline (injected clock)', () => {
  beforeEach(async () => {
    clock = 1_700_000_000_000;
    fake = await startFakeCheckly({ now: manualClock });
  });

  async function statusAfter(id: string, ms: number): Promise<Json> {
    clock = fake.session(id)!.createdAt + ms;
    const res = await api('GET', `/v2/check-sessions/${id}`);
    expect(res.status).toBe(200);
    return json(res);
  }

  it('goes STARTED, PROGRESS, PROGRESS_FAILED, FAILED, with results only once final', async () => {
    const check = fake.addCheck({
      name: 'Login',
      durationMs: 1000,
      outcome: 'FAILED',
      locations: ['eu-west-1', 'us-east-1'],
      failingLocations: ['us-east-1'],
    });
    const [s] = json(await trigger()).sessions!;
    const id = s!.checkSessionId as string;
    expect(fake.finalAt(id)).toBe(clock + 1000);
    const seen = [];
    for (const ms of [0, 199, 200, 599, 600, 999]) {
      const body = await statusAfter(id, ms);
      seen.push(body.status);
      expect(body.results).toEqual([]);
      expect(body.stoppedAt).toBeNull();
      expect(body.timeElapsed).toBe(ms);
    }
    expect(seen).toEqual(['STARTED', 'STARTED', 'PROGRESS', 'PROGRESS', 'PROGRESS_FAILED', 'PROGRESS_FAILED']);
    const final = await statusAfter(id, 5000);
    expect(final.status).toBe('FAILED');
    expect(final.timeElapsed).toBe(1000);
    expect(final.stoppedAt).toBe(new Date(fake.finalAt(id)!).toISOString());
    const byLocation = Object.fromEntries((final.results ?? []).map((r) => [r.runLocation, r]));
    expect(Object.keys(byLocation).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(byLocation['us-east-1']).toMatchObject({
      checkId: check.id,
      name: 'Login',
      resultType: 'FINAL',
      hasFailures: true,
      hasErrors: true,
      isDegraded: false,
      isCancelled: false,
      aborted: false,
    });
    expect(byLocation['eu-west-1']).toMatchObject({ hasFailures: false, hasErrors: false, isDegraded: false });
    const result = byLocation['us-east-1']!;
    expect(result.checkResultLink).toBe(`${String(final.checkSessionLink)}/results/${String(result.checkResultId)}`);
    expect(fake.session(id)!.status).toBe('FAILED');
  });

  it('goes PROGRESS_DEGRADED then DEGRADED, failing every location by default', async () => {
    fake.addCheck({ name: 'Slow', durationMs: 1000, outcome: 'DEGRADED', locations: ['eu-west-1', 'ap-south-1'] });
    const id = json(await trigger()).sessions![0]!.checkSessionId as string;
    expect((await statusAfter(id, 700)).status).toBe('PROGRESS_DEGRADED');
    const final = await statusAfter(id, 1000);
    expect(final.status).toBe('DEGRADED');
    expect(final.results!.map((r) => [r.isDegraded, r.hasFailures])).toEqual([
      [true, false],
      [true, false],
    ]);
  });

  it('adds ATTEMPT results before the FINAL one when asked', async () => {
    fake.addCheck({ name: 'Retried', durationMs: 100, outcome: 'FAILED', failedAttempts: 1 });
    const id = json(await trigger()).sessions![0]!.checkSessionId as string;
    const final = await statusAfter(id, 100);
    expect(final.results!.map((r) => r.resultType)).toEqual(['ATTEMPT', 'FINAL']);
  });

  it('a check that passed on a retry: a failed ATTEMPT result before its passing FINAL one', async () => {
    fake.addCheck({ name: 'Passed on retry', durationMs: 100, outcome: 'PASSED', failedAttempts: 1 });
    const id = json(await trigger()).sessions![0]!.checkSessionId as string;
    const final = await statusAfter(id, 100);
    expect(final.status).toBe('PASSED');
    expect(final.results!.map((r) => [r.resultType, r.hasFailures])).toEqual([
      ['ATTEMPT', true],
      ['FINAL', false],
    ]);
  });

  it('snapshots the check at trigger time', async () => {
    const check = fake.addCheck({ name: 'Flip', durationMs: 100, outcome: 'FAILED' });
    const first = json(await trigger()).sessions![0]!.checkSessionId as string;
    check.outcome = 'PASSED';
    const second = json(await trigger()).sessions![0]!.checkSessionId as string;
    expect((await statusAfter(first, 100)).status).toBe('FAILED');
    expect((await statusAfter(second, 100)).status).toBe('PASSED');
  });

  it('answers 404 for an unknown session and 400 for a malformed id', async () => {
    const unknown = await api('GET', `/v2/check-sessions/${uuid()}`);
    expect(unknown.status).toBe(404);
    expect(json(unknown)).toEqual({ statusCode: 404, error: 'Not Found', message: 'No such check session.' });
    const malformed = await api('GET', '/v2/check-sessions/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(json(malformed).message).toBe('"checkSessionId" must be a valid GUID');
  });
});

describe('fake Checkly: a field-like account (sessions vary, statuses report response times)', () => {
  it("each session lasts its check's duration varied within ±sessionJitter; statuses and results report response times as shares", async () => {
    clock = 1_700_000_000_000;
    const draws = [0, 1, 0.5];
    fake = await startFakeCheckly({ now: manualClock, sessionJitter: 0.3, responseTimeShare: { min: 0.3, max: 0.6 }, random: () => draws.shift() ?? 0.5 });
    const check = fake.addCheck({ name: 'Varies', tags: ['v'], durationMs: 10_000 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1)
      ids.push(json(await trigger({ target: { matchTags: [['v']] }, refreshCache: false })).sessions![0]!.checkSessionId as string);
    expect(ids.map((id) => fake.finalAt(id)! - fake.session(id)!.createdAt)).toEqual([7_000, 13_000, 10_000]);
    const status = async (): Promise<Json> => (json(await api('GET', '/v1/check-statuses')) as unknown as Json[]).find((s) => s.checkId === check.id)!;
    // Before any session ended here: 0.3 and 0.6 of its duration, less than any session takes.
    expect(await status()).toMatchObject({ shortestRun: 3_000, longestRun: 6_000 });
    clock += 13_000;
    // Results answer in 0.6 of their session: 4,200, 7,800 and 6,000 ms; the statuses widen with them.
    const done = json(await api('GET', `/v2/check-sessions/${ids[1]!}/completion`));
    expect(done.timeElapsed).toBe(13_000);
    expect(done.results!.map((r) => r.responseTime)).toEqual([7_800]);
    expect(await status()).toMatchObject({ shortestRun: 3_000, longestRun: 7_800 });
  });

  it("a calm account by default: every session lasts its check's duration, its results answer in 0.8 of it", async () => {
    clock = 1_700_000_000_000;
    fake = await startFakeCheckly({ now: manualClock, random: () => 0 });
    fake.addCheck({ name: 'Calm', durationMs: 10_000 });
    const id = json(await trigger()).sessions![0]!.checkSessionId as string;
    expect(fake.finalAt(id)! - fake.session(id)!.createdAt).toBe(10_000);
    expect(json(await api('GET', '/v1/check-statuses'))).toMatchObject([{ shortestRun: 6_000, longestRun: 8_000 }]);
    clock += 10_000;
    expect(json(await api('GET', `/v2/check-sessions/${id}`)).results!.map((r) => r.responseTime)).toEqual([8_000]);
  });
});

describe('fake Checkly: completion long poll', () => {
  beforeEach(async () => {
    fake = await startFakeCheckly();
  });

  async function start(durationMs: number): Promise<string> {
    fake.addCheck({ name: `c${durationMs}`, durationMs });
    return json(await trigger({ target: { checkId: [fake.checks.at(-1)!.id] }, refreshCache: false })).sessions![0]!.checkSessionId as string;
  }

  it('answers a final session at once', async () => {
    const id = await start(0);
    const started = Date.now();
    const res = await api('GET', `/v2/check-sessions/${id}/completion?maxWaitSeconds=30`);
    // At once, not after the 30 s wait (the bound leaves room for a busy machine).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.status).toBe(200);
    expect(json(res)).toMatchObject({ checkSessionId: id, status: 'PASSED', timeElapsed: 0 });
    expect(json(res).results).toHaveLength(1);
  });

  it('holds the request until the session is final', async () => {
    const id = await start(400);
    const pending = api('GET', `/v2/check-sessions/${id}/completion?maxWaitSeconds=20`);
    await waitFor(() => fake.heldRequests === 1 || undefined, 5000, 'the request held');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(json(res).status).toBe('PASSED');
    const [, poll] = fake.requests;
    // Answered when final, not at the end of the 20 s wait.
    expect(poll!.answeredAt! - fake.finalAt(id)!).toBeGreaterThanOrEqual(0);
    expect(poll!.answeredAt! - fake.finalAt(id)!).toBeLessThan(5_000);
    expect(fake.heldRequests).toBe(0);
  });

  it('answers 408 ApiError when maxWaitSeconds pass first', async () => {
    const id = await start(10_000);
    const started = Date.now();
    const res = await api('GET', `/v2/check-sessions/${id}/completion?maxWaitSeconds=1`);
    const waited = Date.now() - started;
    expect(res.status).toBe(408);
    expect(json(res)).toMatchObject({ statusCode: 408, error: 'Request Timeout' });
    // At the end of the 1 s wait, not when the 10 s session ends.
    expect(waited).toBeGreaterThanOrEqual(990);
    expect(waited).toBeLessThan(5_000);
  });

  it.each(['0', '31', 'abc', '1.5'])('answers 400 for maxWaitSeconds=%s', async (value) => {
    const id = await start(10_000);
    const res = await api('GET', `/v2/check-sessions/${id}/completion?maxWaitSeconds=${value}`);
    expect(res.status).toBe(400);
    expect(fake.heldRequests).toBe(0);
  });

  it('answers a held request as soon as the session is cancelled', async () => {
    const id = await start(10_000);
    const pending = api('GET', `/v2/check-sessions/${id}/completion?maxWaitSeconds=10`);
    await waitFor(() => fake.heldRequests === 1 || undefined, 5000, 'the request held');
    expect((await api('POST', `/v1/check-sessions/${id}/cancel`, {})).status).toBe(204);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(json(res).status).toBe('CANCELLED');
  });

  it('forgets a held request whose client went away, and close() ends the held ones', async () => {
    const id = await start(10_000);
    const controller = new AbortController();
    const gone = fetch(`${fake.url}/v2/check-sessions/${id}/completion?maxWaitSeconds=10`, {
      headers: headers(),
      signal: controller.signal,
    }).catch((err: unknown) => err);
    await waitFor(() => fake.heldRequests === 1 || undefined, 5000, 'the request held');
    controller.abort();
    await gone;
    await waitFor(() => fake.heldRequests === 0 || undefined, 5000, 'the request forgotten');

    const held = api('GET', `/v2/check-sessions/${id}/completion?maxWaitSeconds=10`);
    const settled = expect(held).rejects.toThrow('fetch failed');
    await waitFor(() => fake.heldRequests === 1 || undefined, 5000, 'the request held');
    const started = Date.now();
    await fake.close();
    await settled;
    // close() ends it, rather than the 10 s wait.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('fake Checkly: cancel', () => {
  beforeEach(async () => {
    clock = 1_700_000_000_000;
    fake = await startFakeCheckly({ now: manualClock });
  });

  it('makes a running session CANCELLED at once, with cancelled results', async () => {
    fake.addCheck({ name: 'Long', durationMs: 60_000, locations: ['eu-west-1', 'us-east-1'], outcome: 'FAILED', failedAttempts: 2 });
    const id = json(await trigger()).sessions![0]!.checkSessionId as string;
    clock += 5000;
    const res = await api('POST', `/v1/check-sessions/${id}/cancel`, {});
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const body = json(await api('GET', `/v2/check-sessions/${id}`));
    expect(body.status).toBe('CANCELLED');
    expect(body.timeElapsed).toBe(5000);
    expect(body.results!.map((r) => [r.resultType, r.isCancelled, r.hasFailures])).toEqual([
      ['FINAL', true, false],
      ['FINAL', true, false],
    ]);
    expect(fake.finalAt(id)).toBe(clock);
    expect(fake.session(id)).toMatchObject({ status: 'CANCELLED', cancelledAt: clock });
  });

  it('leaves a final session as it is and still answers 204', async () => {
    fake.addCheck({ name: 'Quick', durationMs: 100 });
    const id = json(await trigger()).sessions![0]!.checkSessionId as string;
    clock += 100;
    expect((await api('POST', `/v1/check-sessions/${id}/cancel`, {})).status).toBe(204);
    expect(json(await api('GET', `/v2/check-sessions/${id}`)).status).toBe('PASSED');
  });

  it('answers 404 for an unknown session and 400 without a body', async () => {
    expect((await api('POST', `/v1/check-sessions/${uuid()}/cancel`, {})).status).toBe(404);
    fake.addCheck({ name: 'Long', durationMs: 60_000 });
    const id = json(await trigger()).sessions![0]!.checkSessionId as string;
    expect((await api('POST', `/v1/check-sessions/${id}/cancel`)).status).toBe(400);
    expect(fake.session(id)!.status).toBe('STARTED');
  });
});

describe('fake Checkly: check results', () => {
  beforeEach(async () => {
    clock = 1_700_000_000_000;
    fake = await startFakeCheckly({ now: manualClock });
  });

  async function finalResults(): Promise<Json[]> {
    const sessions = json(await trigger()).sessions!;
    clock += 10_000;
    const results: Json[] = [];
    for (const s of sessions) results.push(...(json(await api('GET', `/v2/check-sessions/${String(s.checkSessionId)}`)).results ?? []));
    return results;
  }

  async function detail(r: Json): Promise<Answer> {
    return api('GET', `/v1/check-results/${String(r.checkId)}/${String(r.checkResultId)}`);
  }

  it('puts an API check error in apiCheckResult.requestError, lines and all', async () => {
    const errorMessage = 'Error: connect ECONNREFUSED 10.0.0.1:443\n    at TCPConnectWrap.afterConnect';
    fake.addCheck({ name: 'API', outcome: 'FAILED', errorMessage });
    const [r] = await finalResults();
    const res = await detail(r!);
    expect(res.status).toBe(200);
    expect(json(res)).toMatchObject({
      id: r!.checkResultId,
      checkId: r!.checkId,
      hasFailures: true,
      resultType: 'FINAL',
      runLocation: 'eu-west-1',
      traceId: null,
      errorGroupIds: [],
      apiCheckResult: { requestError: errorMessage },
    });
  });

  it('reports a failed status-code assertion when an API check has no error message', async () => {
    fake.addCheck({ name: 'API', outcome: 'FAILED' });
    const [r] = await finalResults();
    const api = json(await detail(r!)).apiCheckResult as Json;
    expect(api.requestError).toBeNull();
    expect(api.assertions).toEqual([
      { source: 'STATUS_CODE', property: '', comparison: 'EQUALS', target: '200', regex: null, actual: 500, error: 'Expected 500 to equal 200' },
    ]);
  });

  it('puts browser and multi-step errors in their errors lists, as objects or strings', async () => {
    fake.addCheck({ name: 'Browser', checkType: 'BROWSER', outcome: 'FAILED', errorMessage: 'Timeout 30000ms\nwaiting for selector' });
    fake.addCheck({ name: 'Multi', checkType: 'MULTI_STEP', outcome: 'FAILED', errorMessage: 'step 2 failed', errorsAsStrings: true });
    const [browser, multi] = await finalResults();
    expect((json(await detail(browser!)).browserCheckResult as Json).errors).toEqual([
      { message: 'Timeout 30000ms\nwaiting for selector', stack: expect.stringContaining('.spec.ts:14:23') },
    ]);
    expect((json(await detail(multi!)).multiStepCheckResult as Json).errors).toEqual(['step 2 failed']);
  });

  it('serves an asset manifest as the spec shapes it, filtered by type, and a screenshot behind a signed redirect', async () => {
    fake.addCheck({ name: 'Checkout', checkType: 'BROWSER', outcome: 'FAILED', screenshotBytes: 4096 });
    fake.addCheck({ name: 'Fine', checkType: 'BROWSER' });
    const [failed, fine] = await finalResults();
    const assets = (r: Json, query = '') => api('GET', `/v1/check-results/${String(r.checkId)}/${String(r.checkResultId)}/assets${query}`);
    const all = json(await assets(failed!)).assets as Json[];
    expect(all.map((a) => a.type)).toEqual(['log', 'screenshot', 'trace']);
    const [shot] = json(await assets(failed!, '?type=screenshot')).assets as Json[];
    expect(shot).toMatchObject({
      type: 'screenshot',
      name: 'failure.png',
      contentType: 'image/png',
      source: { type: 'check-result', resultId: failed!.checkResultId },
    });
    expect(json(await assets(fine!, '?type=screenshot')).assets).toEqual([]);
    expect((await assets(failed!, '?type=picture')).status).toBe(400);
    expect((await assets({ checkId: failed!.checkId, checkResultId: uuid() })).status).toBe(404);

    // The asset URL needs the key, and redirects to storage that refuses the key.
    const url = String(shot!.url);
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(401);
    const redirect = await fetch(url, { headers: headers(), redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get('location')!, fake.url).href;
    expect((await fetch(location, { headers: headers() })).status).toBe(400);
    const png = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(png.length).toBe(4096);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('reports no error for a passing result', async () => {
    fake.addCheck({ name: 'Fine', checkType: 'BROWSER' });
    const [r] = await finalResults();
    expect(json(await detail(r!))).toMatchObject({ hasFailures: false, browserCheckResult: { errors: [] } });
  });

  it('answers 404 for a result under another check or before the session is final', async () => {
    fake.addCheck({ name: 'API', outcome: 'FAILED' });
    const [r] = await finalResults();
    expect((await api('GET', `/v1/check-results/${uuid()}/${String(r!.checkResultId)}`)).status).toBe(404);
    expect((await api('GET', `/v1/check-results/${String(r!.checkId)}/not-a-uuid`)).status).toBe(400);

    fake.addCheck({ name: 'Long', durationMs: 60_000 });
    const sessionId = json(await trigger({ target: { checkId: [fake.checks[1]!.id] }, refreshCache: false })).sessions![0]!.checkSessionId as string;
    clock += 59_000;
    expect(json(await api('GET', `/v2/check-sessions/${sessionId}`)).results).toEqual([]);
  });
});

describe('fake Checkly: control', () => {
  it('enforces a sliding 60 s window per account with Retry-After', async () => {
    clock = 1_700_000_000_000;
    fake = await startFakeCheckly({ now: manualClock, rateLimitPerMinute: 3 });
    const path = `/v2/check-sessions/${uuid()}`;
    expect((await api('GET', path)).status).toBe(404);
    clock += 20_000;
    expect((await api('GET', path)).status).toBe(404);
    expect((await api('GET', path)).status).toBe(404);
    const limited = await api('GET', path);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('40');
    expect(json(limited)).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Too Many Requests' });
    expect(fake.rateLimited).toBe(1);
    clock += 40_000;
    expect((await api('GET', path)).status).toBe(404);
    expect((await api('GET', path)).status).toBe(429);
    expect(fake.rateLimited).toBe(2);
  });

  it('injects faults for the named operation only, as many times as asked', async () => {
    fake = await startFakeCheckly();
    fake.addCheck({ name: 'A' });
    fake.failNext('trigger', 503, { times: 2, retryAfterSeconds: 2, message: 'Maintenance' });
    expect((await api('GET', `/v2/check-sessions/${uuid()}`)).status).toBe(404);
    for (let i = 0; i < 2; i += 1) {
      const res = await trigger();
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(json(res)).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'Maintenance' });
    }
    expect((await trigger()).status).toBe(201);
    expect(fake.requests.map((r) => r.status)).toEqual([404, 503, 503, 201]);

    fake.failNext('any', 500);
    expect((await api('GET', `/v2/check-sessions/${uuid()}`)).status).toBe(500);
  });

  it('drops the connection when asked', async () => {
    fake = await startFakeCheckly();
    fake.addCheck({ name: 'A' });
    fake.dropNext('trigger');
    await expect(trigger()).rejects.toThrow();
    expect(fake.requests[0]).toMatchObject({ op: 'trigger', dropped: true });
    expect(fake.requests[0]!.status).toBeUndefined();
    expect((await trigger()).status).toBe(201);
  });

  it('adds latency to every answer, and per-operation delays', async () => {
    fake = await startFakeCheckly({ latencyMs: () => 150 });
    fake.addCheck({ name: 'A' });
    let started = Date.now();
    await api('GET', `/v2/check-sessions/${uuid()}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    fake.setDelay('trigger', 200);
    started = Date.now();
    await trigger();
    expect(Date.now() - started).toBeGreaterThanOrEqual(345);
  });
});
