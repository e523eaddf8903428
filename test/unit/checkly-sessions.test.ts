/**
 * The ports of the run domain over Checkly's wire (checkly/sessions.ts, checkly/result-detail.ts): the
 * trigger body, the sessions as a run records them, and Checkly's errors as the domain's failures.
 */
import { evidencePort, type EvidenceSource } from '../../src/checkly/result-detail';
import { NotFoundError, ServerError } from '../../src/checkly/errors';
import { sessionStarter, sessionWatcher, toTriggerRequest } from '../../src/checkly/sessions';
import type { CompletedSession, TriggeredSession } from '../../src/checkly/types';
import { ResultGone, RunFailure, SessionGone } from '../../src/runs/types';

const ID = '3f1e2a9c-0b4d-4c6e-9f7a-1b2c3d4e5f60';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('toTriggerRequest', () => {
  test('tags and check ids as Checkly takes them; --all sends no filter at all', () => {
    expect(toTriggerRequest({ tags: [['prod', 'api'], ['web']], checkIds: [ID], all: false }, true)).toEqual({
      target: { matchTags: [['prod', 'api'], ['web']], checkId: [ID] },
      refreshCache: true,
    });
    expect(toTriggerRequest({ tags: [['prod']], checkIds: [], all: false }, false)).toEqual({ target: { matchTags: [['prod']] }, refreshCache: false });
    expect(toTriggerRequest({ tags: [], checkIds: [], all: true }, false)).toEqual({ target: {}, refreshCache: false });
  });
});

describe('sessionStarter', () => {
  const started = (status: TriggeredSession['status'], timeElapsed?: number): TriggeredSession =>
    ({
      checkSessionId: 's1',
      checkId: 'c1',
      name: null,
      checkType: 'API',
      checkSessionLink: 'https://app/s1',
      status,
      runLocations: ['eu-west-1'],
      timeElapsed,
    }) as unknown as TriggeredSession;

  test('the triggered sessions as a run records them: the check id stands in for a missing name; a duration only once final', async () => {
    const port = sessionStarter({ trigger: async () => [started('STARTED', 5)], cancel: async () => undefined });
    expect(await port.start({ tags: [['prod']], checkIds: [], all: false }, false)).toEqual([
      {
        sessionId: 's1',
        checkId: 'c1',
        name: 'c1',
        checkType: 'API',
        link: 'https://app/s1',
        status: 'STARTED',
        locations: ['eu-west-1'],
        failedLocations: [],
      },
    ]);
    const final = sessionStarter({ trigger: async () => [started('PASSED', 1200)], cancel: async () => undefined });
    expect((await final.start({ tags: [], checkIds: [], all: true }, false))[0]!.timeElapsed).toBe(1200);
  });

  test("Checkly's errors become RunFailures carrying the run's error; so do a cancel's", async () => {
    const boom = new ServerError({ operation: 'trigger', path: '/v2/check-sessions/trigger', status: 500, checklyMessage: 'boom' });
    const port = sessionStarter({ trigger: () => Promise.reject(boom), cancel: () => Promise.reject(boom) });
    const failed = await rejection(port.start({ tags: [], checkIds: [], all: true }, false));
    expect(failed).toBeInstanceOf(RunFailure);
    expect((failed as RunFailure).error).toEqual({ kind: 'server', message: 'boom', status: 500 });
    const cancelled = await rejection(port.cancel('s1'));
    expect((cancelled as RunFailure).error.kind).toBe('server');
    // Not Checkly's: nothing of its message is told.
    const odd = sessionStarter({ trigger: () => Promise.reject(new Error('https://user:secret@host')), cancel: async () => undefined });
    expect(((await rejection(odd.start({ tags: [], checkIds: [], all: true }, false))) as RunFailure).error).toEqual({
      kind: 'network',
      message: 'Unexpected error while talking to Checkly.',
    });
  });
});

describe('sessionWatcher', () => {
  const completed = {
    checkSessionId: 's1',
    checkId: 'c1',
    status: 'FAILED',
    timeElapsed: 900,
    results: [
      { resultType: 'FINAL', runLocation: 'us-east-1', checkResultId: 'r2', checkResultLink: 'https://app/r2', hasFailures: true },
      { resultType: 'FINAL', runLocation: 'eu-west-1', checkResultId: 'r1', checkResultLink: 'https://app/r1', hasFailures: false },
      { resultType: 'FINAL', runLocation: 'us-east-1', checkResultId: 'r3', checkResultLink: 'https://app/r3', hasErrors: true },
    ],
  } as unknown as CompletedSession;

  test('a final session: its failing locations once each, its results failing first; null while running', async () => {
    const port = sessionWatcher({ awaitCompletion: async (id) => (id === 's1' ? completed : null), getCheckResult: () => Promise.reject(new Error('unused')) });
    expect(await port.awaitFinal('s2', 5)).toBeNull();
    const final = await port.awaitFinal('s1', 5);
    expect(final).toMatchObject({ checkId: 'c1', status: 'FAILED', timeElapsed: 900, failedLocations: ['us-east-1'] });
    expect(final!.results.map((r) => [r.resultId, r.failing])).toEqual([
      ['r2', true],
      ['r3', true],
      ['r1', false],
    ]);
  });

  test('a protocol check only over its degradation limit is slowOnly, with its response time; a browser check degraded (a soft assertion) or a failed one is not', async () => {
    const degraded = (checkType: string, over: Record<string, unknown> = {}) =>
      ({
        checkSessionId: 's1',
        checkId: 'c1',
        status: 'DEGRADED',
        timeElapsed: 6_000,
        results: [
          {
            resultType: 'FINAL',
            runLocation: 'eu-west-1',
            checkType,
            checkResultId: 'r1',
            checkResultLink: 'https://app/r1',
            isDegraded: true,
            responseTime: 4_180,
            ...over,
          },
          { resultType: 'FINAL', runLocation: 'us-east-1', checkType, checkResultId: 'r2', checkResultLink: 'https://app/r2', responseTime: null },
        ],
      }) as unknown as CompletedSession;
    const watch = (session: CompletedSession) =>
      sessionWatcher({ awaitCompletion: async () => session, getCheckResult: () => Promise.reject(new Error('unused')) }).awaitFinal('s1', 5);
    for (const type of ['API', 'URL', 'TCP', 'DNS', 'SSL', 'GRPC']) {
      expect((await watch(degraded(type)))!.results).toEqual([
        { resultId: 'r1', location: 'eu-west-1', link: 'https://app/r1', failing: true, slowOnly: true, responseTimeMs: 4_180 },
        { resultId: 'r2', location: 'us-east-1', link: 'https://app/r2', failing: false },
      ]);
    }
    for (const type of ['BROWSER', 'MULTI_STEP', 'PLAYWRIGHT']) expect((await watch(degraded(type)))!.results[0]!.slowOnly).toBeUndefined();
    expect((await watch(degraded('API', { hasFailures: true })))!.results[0]!.slowOnly).toBeUndefined();
    expect((await watch(degraded('API', { hasErrors: true })))!.results[0]!.slowOnly).toBeUndefined();
  });

  test('a session Checkly no longer knows is SessionGone; other errors pass as they are', async () => {
    const gone = new NotFoundError({ operation: 'completion', path: '/x', checklyMessage: 'No such check session.' });
    const boom = new ServerError({ operation: 'completion', path: '/x', status: 503, checklyMessage: 'busy' });
    const port = sessionWatcher({ awaitCompletion: (id) => Promise.reject(id === 'gone' ? gone : boom), getCheckResult: () => Promise.reject(boom) });
    const a = await rejection(port.awaitFinal('gone', 5));
    expect(a).toBeInstanceOf(SessionGone);
    expect((a as SessionGone).sessionId).toBe('gone');
    expect(await rejection(port.awaitFinal('other', 5))).toBe(boom);
  });
});

describe('evidencePort', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]);
  const source = (over: Partial<EvidenceSource> = {}): EvidenceSource => ({
    getCheckResult: async () => ({ resultType: 'FINAL', traceId: null, errorGroupIds: [], hasFailures: true, browserCheckResult: { errors: ['boom'] } }),
    getAssets: async () => ({
      assets: [
        { type: 'video', name: 'run.webm', url: 'https://api/video', contentType: 'video/webm', source: { type: 'check-result' } },
        { type: 'screenshot', name: 'failure.png', url: 'https://api/shot', source: { type: 'check-result' } },
      ],
    }),
    downloadAsset: async (url) => ({ contentType: 'image/png', bytes: url === 'https://api/shot' ? png : Buffer.alloc(0) }),
    ...over,
  });

  test("a result's details; a result Checkly no longer has is ResultGone", async () => {
    expect((await evidencePort(source()).resultDetail('c1', 'r1')).errors).toEqual(['boom']);
    const notFound = new NotFoundError({ operation: 'evidence', path: '/v1/check-results', checklyMessage: 'Not found', status: 404 });
    const err = await rejection(evidencePort(source({ getCheckResult: () => Promise.reject(notFound) })).resultDetail('c1', 'r1'));
    expect(err).toBeInstanceOf(ResultGone);
    expect((err as ResultGone).reason).toBe(notFound);
  });

  test('the screenshot is the PNG screenshot asset; none when the manifest has none', async () => {
    expect(await evidencePort(source()).screenshot('c1', 'r1', 1000)).toEqual(png);
    const none = source({ getAssets: async () => ({ assets: [] }) });
    expect(await evidencePort(none).screenshot('c1', 'r1', 1000)).toBeUndefined();
  });
});
