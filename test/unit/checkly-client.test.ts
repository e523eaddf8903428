import net from 'node:net';
import util from 'node:util';
import { type ChecklyClientOptions, ChecklyClient, type ChecklyOperation, type ResponseInfo } from '../../src/checkly/client';
import {
  BadRequestError,
  ChecklyError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  PaymentRequiredError,
  RateLimitedError,
  RequestAbortedError,
  ServerError,
  UnauthorizedError,
  toRunError,
} from '../../src/checkly/errors';
import { allowingOrigin } from '../../src/checkly/redirects';
import { backoffMs, parseRetryAfter } from '../../src/checkly/retry';
import { type FakeCheckly, startFakeCheckly, uuid } from '../fakes/checkly';
import { sleep } from '../helpers';

const FAST_RETRY = { retries: 2, minTimeoutMs: 20, maxTimeoutMs: 50, maxRetryTimeMs: 5000 };

let fake: FakeCheckly;
const clients: ChecklyClient[] = [];

beforeEach(async () => {
  fake = await startFakeCheckly();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fake.close();
});

interface Recorder {
  attempts: ChecklyOperation[];
  responses: ResponseInfo[];
}

function client(over: Partial<ChecklyClientOptions> = {}, recorder?: Recorder): ChecklyClient {
  const c = new ChecklyClient({
    baseUrl: `${fake.url}/`,
    apiKey: fake.apiKey,
    accountId: fake.accountId,
    userAgent: 'checkly-slack/0.1.0 (test)',
    timeoutMs: 2000,
    retry: FAST_RETRY,
    // The fake's storage is on loopback over http, which production refuses (asset-redirects.test.ts).
    assetRedirects: allowingOrigin(fake.url),
    beforeRequest: async (op) => {
      recorder?.attempts.push(op);
    },
    onResponse: (info) => recorder?.responses.push(info),
    ...over,
  });
  clients.push(c);
  return c;
}

function recorder(): Recorder {
  return { attempts: [], responses: [] };
}

/** The rejection of `promise`, which must reject. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ChecklyClient: requests', () => {
  it('sends the auth headers, the User-Agent and Accept on every call', async () => {
    const check = fake.addCheck({ name: 'A', durationMs: 0 });
    const c = client();
    const [s] = await c.trigger({ target: { checkId: [check.id] }, refreshCache: false });
    await c.getSession(s!.checkSessionId);
    expect(fake.requests).toHaveLength(2);
    for (const r of fake.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
      expect(r.headers['x-checkly-account']).toBe(fake.accountId);
      expect(r.headers['user-agent']).toBe('checkly-slack/0.1.0 (test)');
      expect(r.headers.accept).toBe('application/json');
    }
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v2/check-sessions/trigger',
      body: { target: { checkId: [check.id] }, refreshCache: false },
      status: 201,
    });
    // The trigger avoids pooled sockets (a stale one would make a failure ambiguous); reads reuse them.
    expect(fake.requests.map((r) => r.headers.connection)).toEqual(['close', 'keep-alive']);
  });

  it('triggers by tags, by negated tags and by check id', async () => {
    const a = fake.addCheck({ name: 'A', tags: ['prod', 'api'] });
    const b = fake.addCheck({ name: 'B', tags: ['prod', 'flaky'] });
    const c = client();
    const names = async (target: { matchTags?: string[][]; checkId?: string[] }): Promise<string[]> =>
      (await c.trigger({ target, refreshCache: false })).map((s) => s.name ?? '').sort();
    expect(await names({ matchTags: [['prod']] })).toEqual(['A', 'B']);
    expect(await names({ matchTags: [['prod', '!flaky']] })).toEqual(['A']);
    expect(await names({ checkId: [b.id] })).toEqual(['B']);
    const [session] = await c.trigger({ target: { checkId: [a.id] }, refreshCache: true });
    expect(session).toMatchObject({ checkId: a.id, status: 'STARTED', runSource: 'TRIGGER_API', runLocations: ['eu-west-1'] });
  });

  it('throws NotFoundError with what Checkly said when nothing matches, without retrying', async () => {
    fake.addCheck({ name: 'A', tags: ['prod'] });
    const err = await failure(client().trigger({ target: { matchTags: [['nope']] }, refreshCache: false }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ status: 404, checklyMessage: 'No matching checks were found.', operation: 'trigger', kind: 'not_found' });
    expect(toRunError(err)).toEqual({ kind: 'not_found', message: 'No matching checks were found.', status: 404 });
    expect(fake.requests).toHaveLength(1);
  });

  it('rejects malformed ids locally, without a request', async () => {
    const rec = recorder();
    const c = client({}, rec);
    const attempts = [
      c.getSession('nope'),
      c.awaitCompletion('../trigger', 5),
      c.cancel(''),
      c.getCheckResult(uuid(), 'x'),
      c.getCheckResult('x', uuid()),
      c.trigger({ target: { checkId: [uuid(), 'not-a-uuid'] }, refreshCache: false }),
      c.awaitCompletion(uuid(), 31),
      c.awaitCompletion(uuid(), 0),
    ];
    for (const attempt of attempts) {
      const err = await failure(attempt);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).status).toBeUndefined();
    }
    expect(fake.requests).toHaveLength(0);
    expect(rec.attempts).toHaveLength(0);
  });

  it('cancels with an empty body; the session becomes CANCELLED', async () => {
    fake.addCheck({ name: 'Long', durationMs: 60_000 });
    const c = client();
    const [s] = await c.trigger({ refreshCache: false });
    await expect(c.cancel(s!.checkSessionId)).resolves.toBeUndefined();
    expect(fake.requests[1]).toMatchObject({ method: 'POST', path: `/v1/check-sessions/${s!.checkSessionId}/cancel`, body: {}, status: 204 });
    expect((await c.getSession(s!.checkSessionId)).status).toBe('CANCELLED');
  });

  it('reads the error text of a failing check result', async () => {
    const errorMessage = 'Error: expected 200, got 503\n  at assertion 1';
    fake.addCheck({ name: 'Failing', durationMs: 50, outcome: 'FAILED', errorMessage, locations: ['eu-west-1', 'us-east-1'], failingLocations: ['us-east-1'] });
    const c = client();
    const [s] = await c.trigger({ refreshCache: false });
    const done = await c.awaitCompletion(s!.checkSessionId, 5);
    expect(done?.status).toBe('FAILED');
    const failing = done!.results.filter((r) => r.hasFailures);
    expect(failing.map((r) => r.runLocation)).toEqual(['us-east-1']);
    const result = await c.getCheckResult(failing[0]!.checkId, failing[0]!.checkResultId);
    expect(result.apiCheckResult?.requestError).toBe(errorMessage);
    expect(result.runLocation).toBe('us-east-1');
  });
});

describe('ChecklyClient: completion long poll', () => {
  it('returns the session as soon as it is final', async () => {
    fake.addCheck({ name: 'Quick', durationMs: 300 });
    const c = client();
    const [s] = await c.trigger({ refreshCache: false });
    const done = await c.awaitCompletion(s!.checkSessionId, 10);
    const knownAt = Date.now();
    expect(done).toMatchObject({ checkSessionId: s!.checkSessionId, status: 'PASSED' });
    // When final, not at the end of the 10 s wait; the bound leaves room for a busy machine.
    expect(knownAt - fake.finalAt(s!.checkSessionId)!).toBeLessThan(5_000);
    expect(fake.requests.filter((r) => r.op === 'completion')).toHaveLength(1);
    expect(fake.requests[1]!.query).toEqual({ maxWaitSeconds: '10' });
  });

  it('returns null on 408, once, without retrying', async () => {
    fake.addCheck({ name: 'Long', durationMs: 60_000 });
    const rec = recorder();
    const c = client({}, rec);
    const [s] = await c.trigger({ refreshCache: false });
    fake.failNext('completion', 408);
    await expect(c.awaitCompletion(s!.checkSessionId, 30)).resolves.toBeNull();
    expect(rec.attempts).toEqual(['trigger', 'completion']);
  });

  it('waits past timeoutMs for the long poll: its HTTP timeout is maxWaitSeconds plus timeoutMs', async () => {
    fake.addCheck({ name: 'Long', durationMs: 60_000 });
    const rec = recorder();
    const c = client({ timeoutMs: 300 }, rec);
    const [s] = await c.trigger({ refreshCache: false });
    const started = Date.now();
    await expect(c.awaitCompletion(s!.checkSessionId, 1)).resolves.toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(rec.responses.map((r) => r.status)).toEqual([201, 408]);
  });

  it('gives up when its signal fires, with RequestAbortedError and no retry', async () => {
    fake.addCheck({ name: 'Long', durationMs: 60_000 });
    const rec = recorder();
    const c = client({}, rec);
    const [s] = await c.trigger({ refreshCache: false });
    const controller = new AbortController();
    const pending = failure(c.awaitCompletion(s!.checkSessionId, 30, controller.signal));
    await sleep(100);
    const started = Date.now();
    controller.abort();
    const err = await pending;
    // At once, not at the end of the 30 s wait.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(RequestAbortedError);
    expect(err).toBeInstanceOf(NetworkError);
    expect(rec.attempts).toEqual(['trigger', 'completion']);
    await expect(failure(c.awaitCompletion(s!.checkSessionId, 30, controller.signal))).resolves.toBeInstanceOf(RequestAbortedError);
    expect(rec.attempts).toHaveLength(2);
  });
});

describe('ChecklyClient: retries', () => {
  let sessionId: string;
  beforeEach(async () => {
    fake.addCheck({ name: 'A', durationMs: 0 });
    const [s] = await client().trigger({ refreshCache: false });
    sessionId = s!.checkSessionId;
    fake.requests.length = 0;
  });

  it('does not retry 401 and throws UnauthorizedError', async () => {
    const rec = recorder();
    const err = await failure(client({ apiKey: 'wrong-key' }, rec).getSession(sessionId));
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err).toMatchObject({ status: 401, checklyMessage: 'Bad Token' });
    expect(fake.requests).toHaveLength(1);
    expect(rec.attempts).toEqual(['session']);
  });

  it.each([
    [400, BadRequestError],
    [402, PaymentRequiredError],
    [403, ForbiddenError],
    [404, NotFoundError],
  ])('does not retry %i', async (status, type) => {
    fake.failNext('any', status, { times: 5, message: `said ${status}` });
    const err = await failure(client().getSession(sessionId));
    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ status, checklyMessage: `said ${status}` });
    expect(fake.requests).toHaveLength(1);
  });

  it('honours Retry-After on 429, then succeeds', async () => {
    fake.failNext('session', 429, { retryAfterSeconds: 1 });
    const rec = recorder();
    const session = await client({}, rec).getSession(sessionId);
    expect(session.status).toBe('PASSED');
    const [first, second] = fake.requests;
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(second!.at - first!.answeredAt!).toBeGreaterThanOrEqual(1000);
    expect(rec.responses.map((r) => [r.op, r.status, r.retryAfterMs])).toEqual([
      ['session', 429, 1000],
      ['session', 200, undefined],
    ]);
  });

  it('gives up at once with RateLimitedError when Retry-After exceeds the retry time left', async () => {
    fake.failNext('session', 429, { retryAfterSeconds: 120 });
    const started = Date.now();
    const err = await failure(client().getSession(sessionId));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(120_000);
    // At once, not after the 120 s Checkly asked for.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.requests).toHaveLength(1);
    expect(toRunError(err)).toEqual({ kind: 'rate_limited', message: 'Too Many Requests', status: 429 });
  });

  it('retries 500 on reads, with beforeRequest and onResponse called for every attempt', async () => {
    fake.failNext('session', 500, { times: 2 });
    const rec = recorder();
    const session = await client({}, rec).getSession(sessionId);
    expect(session.checkSessionId).toBe(sessionId);
    expect(rec.attempts).toEqual(['session', 'session', 'session']);
    expect(rec.responses.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(rec.responses.every((r) => r.durationMs >= 0)).toBe(true);
  });

  it('throws the last ServerError once retries are spent', async () => {
    fake.failNext('session', 502, { times: 10, message: 'upstream down' });
    const err = await failure(client().getSession(sessionId));
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ status: 502, checklyMessage: 'upstream down', kind: 'server' });
    expect(fake.requests).toHaveLength(FAST_RETRY.retries + 1);
  });

  it('does not retry a 500 from the trigger: sessions may have been created', async () => {
    fake.failNext('trigger', 500, { times: 5 });
    const err = await failure(client().trigger({ refreshCache: false }));
    expect(err).toBeInstanceOf(ServerError);
    expect(fake.requests).toHaveLength(1);
  });

  it('does not retry a trigger whose connection dropped after sending', async () => {
    fake.dropNext('trigger', { times: 5 });
    const err = await failure(client().trigger({ refreshCache: false }));
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).neverSent).toBe(false);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a trigger turned away with 503, 502 or 429', async () => {
    fake.failNext('trigger', 503);
    fake.failNext('trigger', 429);
    const sessions = await client({ retry: { ...FAST_RETRY, retries: 3 } }).trigger({ refreshCache: false });
    expect(sessions).toHaveLength(1);
    expect(fake.requests.map((r) => r.status)).toEqual([503, 429, 201]);
    fake.requests.length = 0;
    fake.failNext('trigger', 502);
    await client({ retry: { ...FAST_RETRY, retries: 3 } }).trigger({ refreshCache: false });
    expect(fake.requests.map((r) => r.status)).toEqual([502, 201]);
  });

  it('does not retry a trigger after a gateway timeout, which may follow created sessions', async () => {
    fake.failNext('trigger', 504);
    const err = await failure(client({ retry: { ...FAST_RETRY, retries: 3 } }).trigger({ refreshCache: false }));
    expect(err).toBeInstanceOf(ServerError);
    expect(fake.requests.map((r) => r.status)).toEqual([504]);
  });

  it('retries a read whose connection dropped', async () => {
    fake.dropNext('session');
    await expect(client().getSession(sessionId)).resolves.toMatchObject({ checkSessionId: sessionId });
    expect(fake.requests).toHaveLength(2);
  });

  it('retries a timed-out read and says so when it keeps timing out', async () => {
    fake.setDelay('session', 300);
    const rec = recorder();
    const err = await failure(client({ timeoutMs: 100 }, rec).getSession(sessionId));
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ checklyMessage: 'No answer from Checkly within 100 ms.', status: undefined });
    expect(rec.attempts).toHaveLength(FAST_RETRY.retries + 1);
    expect(rec.responses.map((r) => r.status)).toEqual([undefined, undefined, undefined]);
  });

  it('throws NetworkError after retries when the connection is refused, trigger included', async () => {
    const rec = recorder();
    const c = client({ baseUrl: `http://127.0.0.1:${await closedPort()}` }, rec);
    const err = await failure(c.getSession(sessionId));
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ neverSent: true, checklyMessage: 'Could not reach Checkly (ECONNREFUSED).' });
    expect(rec.attempts).toHaveLength(FAST_RETRY.retries + 1);
    // Refused means never sent: safe to repeat even the trigger.
    await failure(c.trigger({ refreshCache: false }));
    expect(rec.attempts.filter((op) => op === 'trigger')).toHaveLength(FAST_RETRY.retries + 1);
    expect(toRunError(err)).toEqual({ kind: 'network', message: 'Could not reach Checkly (ECONNREFUSED).' });
  });

  it('stops within maxRetryTimeMs', async () => {
    fake.failNext('session', 500, { times: 100 });
    const started = Date.now();
    const retry = { retries: 50, minTimeoutMs: 100, maxTimeoutMs: 100, maxRetryTimeMs: 500 };
    const err = await failure(client({ retry }).getSession(sessionId));
    expect(err).toBeInstanceOf(ServerError);
    // Within its 500 ms, not after 50 retries of 100 ms (5 s).
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    expect(fake.requests.length).toBeLessThanOrEqual(5);
  });

  it('lets a throwing beforeRequest end the call without a request', async () => {
    const budget = new Error('budget exhausted');
    const err = await failure(client({ beforeRequest: () => Promise.reject(budget) }).getSession(sessionId));
    expect(err).toBe(budget);
    expect(fake.requests).toHaveLength(0);
  });

  it('ignores a throwing onResponse', async () => {
    const c = client({
      onResponse: () => {
        throw new Error('metrics broke');
      },
    });
    await expect(c.getSession(sessionId)).resolves.toMatchObject({ status: 'PASSED' });
  });
});

describe('ChecklyClient: secret hygiene', () => {
  async function everyError(): Promise<ChecklyError[]> {
    fake.addCheck({ name: 'A', durationMs: 0 });
    const c = client();
    const id = uuid();
    const errors: unknown[] = [];
    for (const status of [400, 402, 403, 404, 429, 500]) {
      // Even a server that echoes the key back must not get it into our errors.
      const times = status >= 429 ? FAST_RETRY.retries + 1 : 1;
      fake.failNext('any', status, { times, message: `rejected Bearer ${fake.apiKey} for ${fake.accountId}` });
      errors.push(await failure(c.getSession(id)));
    }
    errors.push(await failure(client({ apiKey: `${fake.apiKey}x` }).getSession(id)));
    errors.push(await failure(client({ baseUrl: `http://127.0.0.1:${await closedPort()}` }).getSession(id)));
    fake.setDelay('session', 200);
    errors.push(await failure(client({ timeoutMs: 50 }).getSession(id)));
    errors.push(await failure(c.getSession(fake.apiKey)));
    return errors as ChecklyError[];
  }

  it('keeps the API key out of every error, however it is printed', async () => {
    const errors = await everyError();
    expect(errors.map((e) => e.constructor.name)).toEqual([
      'BadRequestError',
      'PaymentRequiredError',
      'ForbiddenError',
      'NotFoundError',
      'RateLimitedError',
      'ServerError',
      'UnauthorizedError',
      'NetworkError',
      'NetworkError',
      'BadRequestError',
    ]);
    for (const err of errors) {
      expect(err).toBeInstanceOf(ChecklyError);
      const renderings = [JSON.stringify(err), String(err), err.stack ?? '', util.inspect(err, { depth: 10 }), err.message];
      for (const text of renderings) {
        expect(text).not.toContain(fake.apiKey);
        expect(text).not.toContain(`Bearer ${fake.apiKey}`);
      }
      expect(String(err)).toContain(err.name);
      expect(err.stack).toContain(err.name);
    }
    expect(errors[0]!.checklyMessage).toBe(`rejected Bearer [REDACTED] for ${fake.accountId}`);
  });

  it('serializes to what happened and nothing else', async () => {
    fake.failNext('session', 404, { message: 'No such check session.' });
    const id = uuid();
    const err = await failure(client().getSession(id));
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: 'NotFoundError',
      kind: 'not_found',
      operation: 'session',
      path: `/v2/check-sessions/${id}`,
      status: 404,
      message: 'No such check session.',
    });
    expect(String(err)).toBe(`NotFoundError: Checkly session (/v2/check-sessions/${id}) answered 404: No such check session.`);
  });

  it('truncates long Checkly messages', async () => {
    fake.failNext('session', 400, { message: 'x'.repeat(5000) });
    const err = (await failure(client().getSession(uuid()))) as BadRequestError;
    expect(err.checklyMessage).toHaveLength(500);
    expect(err.checklyMessage.endsWith('…')).toBe(true);
  });
});

describe('toRunError', () => {
  it('maps every error class to its kind and hides foreign errors', () => {
    const details = { operation: 'session' as const, path: '/p', checklyMessage: 'said' };
    expect(toRunError(new ForbiddenError({ ...details, status: 403 }))).toEqual({ kind: 'forbidden', message: 'said', status: 403 });
    expect(toRunError(new PaymentRequiredError({ ...details, status: 402 }))).toEqual({ kind: 'payment_required', message: 'said', status: 402 });
    expect(toRunError(new BadRequestError(details))).toEqual({ kind: 'bad_request', message: 'said' });
    expect(toRunError(new Error('https://user:secret@host failed'))).toEqual({
      kind: 'network',
      message: 'Unexpected error while talking to Checkly.',
    });
    expect(toRunError('weird')).toEqual({ kind: 'network', message: 'Unexpected error while talking to Checkly.' });
  });
});

describe('retry helpers', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped', () => {
    const options = { retries: 5, minTimeoutMs: 500, maxTimeoutMs: 3000, maxRetryTimeMs: 60_000 };
    expect([1, 2, 3, 4].map((n) => backoffMs(n, options, () => 0))).toEqual([500, 1000, 2000, 3000]);
    expect([1, 2, 3].map((n) => backoffMs(n, options, () => 0.5))).toEqual([750, 1500, 3000]);
  });
});

describe('ChecklyClient: failure evidence (asset manifest and download)', () => {
  async function failedBrowserResult(screenshotBytes?: number): Promise<{ checkId: string; resultId: string }> {
    const check = fake.addCheck({ name: 'Checkout', checkType: 'BROWSER', outcome: 'FAILED', durationMs: 10, ...(screenshotBytes ? { screenshotBytes } : {}) });
    const [session] = await client().trigger({ target: { checkId: [check.id] }, refreshCache: false });
    const done = await client().awaitCompletion(session!.checkSessionId, 5);
    return { checkId: check.id, resultId: done!.results.find((r) => r.resultType === 'FINAL')!.checkResultId };
  }

  it('asks for the manifest with the type repeated as the spec says, and downloads the PNG: the key to the API only, not to storage', async () => {
    const { checkId, resultId } = await failedBrowserResult();
    const rec = recorder();
    const c = client({}, rec);
    const manifest = await c.getAssets(checkId, resultId, ['screenshot', 'trace']);
    expect(fake.requests.at(-1)!.path).toBe(`/v1/check-results/${checkId}/${resultId}/assets`);
    expect(fake.requests.at(-1)!.query).toEqual({ type: 'trace' }); // the last of the repeated values
    expect(manifest.assets.map((a) => a.type)).toEqual(['screenshot', 'trace']);
    const asset = await c.downloadAsset(manifest.assets[0]!.url, 5 * 1024 * 1024);
    expect(asset.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(asset.contentType).toBe('image/png');
    expect(fake.requests.filter((r) => r.op === 'asset')[0]!.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(fake.storageRequests.map((r) => r.headers.authorization)).toEqual([undefined]);
    // Both go through the budget hook, under their own names.
    expect(rec.attempts).toEqual(['assets', 'asset']);
    expect(rec.responses.map((r) => [r.op, r.status])).toEqual([
      ['assets', 200],
      ['asset', 200], // the storage's answer, after the API's redirect
    ]);
  });

  it('sends the key nowhere but the API: an asset URL on another origin is refused before any request', async () => {
    const before = fake.requests.length;
    await expect(client().downloadAsset('https://evil.example/steal', 1000)).rejects.toBeInstanceOf(BadRequestError);
    await expect(client().downloadAsset('file:///etc/passwd', 1000)).rejects.toBeInstanceOf(BadRequestError);
    expect(fake.requests.length).toBe(before);
  });

  it('refuses an asset larger than asked, and says so without the URL', async () => {
    const { checkId, resultId } = await failedBrowserResult(6 * 1024 * 1024);
    const c = client();
    const [shot] = (await c.getAssets(checkId, resultId, ['screenshot'])).assets;
    const err = (await c.downloadAsset(shot!.url, 5 * 1024 * 1024).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain('larger than 5242880 bytes');
    expect(err.message).not.toContain('/storage/');
    expect(JSON.stringify(err)).not.toContain(fake.apiKey);
  });

  it('answers a 404 for a result Checkly does not have as NotFoundError', async () => {
    await expect(client().getAssets(uuid(), uuid(), ['screenshot'])).rejects.toBeInstanceOf(NotFoundError);
    await expect(client().getCheckResult(uuid(), uuid(), 'evidence')).rejects.toBeInstanceOf(NotFoundError);
    expect(fake.requests.at(-1)!.op).toBe('result');
  });
});
