import { renderDetailsModal, renderLoadingModal, type LocationDetail } from '../../src/blocks/details-modal';
import { evidenceSessions, renderEvidenceReplies } from '../../src/blocks/evidence';
import { textLength as blockText } from '../../src/blocks/message';
import { renderFailureReply } from '../../src/blocks/thread';
import { NotFoundError } from '../../src/checkly/errors';
import { ResultReadings, evidencePort, resultDetail, resultReader, type EvidenceSource } from '../../src/checkly/result-detail';
import { sessionWatcher } from '../../src/checkly/sessions';
import type { ResultDetail } from '../../src/runs/types';
import type { CheckResult } from '../../src/checkly/types';
import { createLogger } from '../../src/shared/log';
import { gatherEvidence, gatherScreenshots, type FailureEvidence } from '../../src/runs/gather-evidence';
import type { Session } from '../../src/runs/types';
import { fakePng } from '../fakes/checkly-model';
import { makeRun, makeSession } from './blocks-fixtures';
import { assertWithinSlackLimits } from './slack-limits';

const logger = createLogger({ level: 'silent' });
const HOSTILE = '<!channel> & <@U0BOSS> <https://evil.example|click> ``` *bold* _it_ ~x~ \u202e';

function failing(n: number, over: Partial<Session> = {}): Session[] {
  return Array.from({ length: n }, (_, i) =>
    makeSession({
      status: 'FAILED',
      name: `Check ${String(i).padStart(3, '0')}`,
      failedLocations: ['eu-west-1'],
      results: [
        { resultId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, location: 'eu-west-1', link: `https://app.checklyhq.com/r/${i}`, failing: true },
        {
          resultId: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          location: 'us-east-1',
          link: `https://app.checklyhq.com/r/${i}b`,
          failing: false,
        },
      ],
      ...over,
    }),
  );
}

const apiResult: CheckResult = {
  resultType: 'FINAL',
  traceId: null,
  errorGroupIds: [],
  runLocation: 'eu-west-1',
  hasFailures: true,
  hasErrors: true,
  attempts: 3,
  responseTime: 1234,
  apiCheckResult: {
    assertions: [
      { source: 'STATUS_CODE', property: '', comparison: 'EQUALS', target: '200', actual: 500, error: 'Expected 500 to equal 200' },
      { source: 'RESPONSE_TIME', property: '', comparison: 'LESS_THAN', target: '2000', actual: 1234 },
    ],
    request: {
      method: 'post',
      url: 'https://user:pa55word@api.example.com/orders?x=1',
      headers: { authorization: 'Bearer target-token' },
      data: '{"card":"4111"}',
    },
    response: { status: 500, statusText: 'Internal Server Error', body: 'stack trace', headers: { 'set-cookie': 'sid=secret-cookie' } },
    requestError: null,
    jobLog: { setup: [{ msg: 'setup done' }], request: [{ msg: 'POST /orders' }, { msg: 'answered 500' }] },
  },
};

const browserResult: CheckResult = {
  resultType: 'FINAL',
  traceId: null,
  errorGroupIds: [],
  runLocation: 'us-east-1',
  hasFailures: true,
  browserCheckResult: {
    errors: [{ message: 'Timeout 30000ms exceeded', stack: 'Error: Timeout\n    at node_modules/x.js:1:1\n    at /check/flow.spec.ts:14:23' }],
    jobLog: Array.from({ length: 25 }, (_, i) => ({ time: i, level: 'INFO', msg: `line ${i + 1}` })),
  },
};

describe('resultDetail: what a check result says, from every check type', () => {
  test('API: the assertions with expected and actual, the request line without credentials, headers or body, the response, the log', () => {
    const d = resultDetail(apiResult);
    expect(d).toMatchObject({ location: 'eu-west-1', outcome: 'failed', attempts: 3, responseTimeMs: 1234 });
    expect(d.request).toEqual({ method: 'POST', url: 'https://api.example.com/orders?x=1' });
    expect(d.response).toEqual({ status: 500, statusText: 'Internal Server Error' });
    expect(d.assertions).toEqual([
      { source: 'STATUS_CODE', property: '', comparison: 'EQUALS', target: '200', actual: '500', passed: false },
      { source: 'RESPONSE_TIME', property: '', comparison: 'LESS_THAN', target: '2000', actual: '1234', passed: true },
    ]);
    expect(d.errors).toEqual(['Assertion failed: STATUS_CODE EQUALS 200 (got 500)']);
    expect(d.logTail).toEqual(['setup done', 'POST /orders', 'answered 500']);
    const all = JSON.stringify(d);
    for (const secret of ['target-token', 'pa55word', '4111', 'secret-cookie', 'stack trace']) expect(all).not.toContain(secret);
  });

  test('browser: the errors, the failing step from the stack, the last 20 of 25 log lines', () => {
    const d = resultDetail(browserResult);
    expect(d.errors).toEqual(['Timeout 30000ms exceeded']);
    expect(d.failingStep).toBe('at /check/flow.spec.ts:14:23');
    expect(d.logTail).toHaveLength(20);
    expect(d.logTail[0]).toBe('line 6');
    expect(d.logTail.at(-1)).toBe('line 25');
  });

  test('Playwright names the failing test; multi-step errors may be plain strings; degraded and cancelled are told apart', () => {
    expect(
      resultDetail({
        resultType: 'FINAL',
        traceId: null,
        errorGroupIds: [],
        hasFailures: true,
        playwrightCheckResult: { errors: [{ title: 'cart › pays', message: 'boom' }], playwrightTraceFiles: [] },
      }),
    ).toMatchObject({
      failingStep: 'cart › pays',
      errors: ['boom'],
    });
    expect(
      resultDetail({ resultType: 'FINAL', traceId: null, errorGroupIds: [], hasFailures: true, multiStepCheckResult: { errors: ['step 2 failed'] } }).errors,
    ).toEqual(['step 2 failed']);
    expect(resultDetail({ resultType: 'FINAL', traceId: null, errorGroupIds: [], isDegraded: true }).outcome).toBe('degraded');
    expect(resultDetail({ resultType: 'FINAL', traceId: null, errorGroupIds: [], isCancelled: true }).outcome).toBe('cancelled');
  });
});

function source(over: Partial<EvidenceSource> = {}): EvidenceSource & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    getCheckResult: async (_checkId, resultId, op) => {
      calls.push(`${op}:${resultId}`);
      return { ...browserResult, id: resultId };
    },
    getAssets: async (_checkId, resultId) => {
      calls.push(`assets:${resultId}`);
      return {
        assets: [{ type: 'screenshot', name: 'failure.png', url: `https://api/${resultId}`, contentType: 'image/png', source: { type: 'check-result' } }],
      };
    },
    downloadAsset: async (url) => {
      calls.push(`download:${url}`);
      return { contentType: 'image/png', bytes: fakePng(2048) };
    },
    ...over,
  };
}

describe('gathering the evidence of a run: bounded whatever its size', () => {
  test('100 failing checks cost 10 result fetches (as evidence), of the failing location each', async () => {
    const src = source();
    const found = await gatherEvidence(failing(100), { checkly: evidencePort(src), logger, waitMs: 1000 });
    expect(src.calls).toHaveLength(10);
    expect(src.calls.every((c) => c.startsWith('evidence:00000000-'))).toBe(true);
    expect(found.size).toBe(10);
    expect([...found.values()].every((e) => e.detail?.errors[0] === 'Timeout 30000ms exceeded')).toBe(true);
  });

  test('a 404 gives a clear line; a result that does not come in time is left out', async () => {
    const [gone, slow] = failing(2);
    let slowSignal: AbortSignal | undefined;
    const src = source({
      getCheckResult: async (_checkId, resultId, _op, signal) => {
        if (resultId === gone!.results![0]!.resultId)
          throw new NotFoundError({ operation: 'evidence', path: '/v1/check-results', checklyMessage: 'Not found', status: 404 });
        slowSignal = signal;
        return new Promise<CheckResult>(() => undefined);
      },
    });
    const started = Date.now();
    const found = await gatherEvidence([gone!, slow!], { checkly: evidencePort(src), logger, waitMs: 50 });
    // After its 50 ms, not when the hung fetch ends (never); the bound leaves room for a busy machine.
    expect(Date.now() - started).toBeLessThan(5_000);
    // The fetch still queued is called off, so it costs Checkly nothing once the reply has gone.
    expect(slowSignal?.aborted).toBe(true);
    expect(found.get(gone!.checkId)!.problem).toBe('Checkly no longer has this result (404): open it in Checkly.');
    expect(found.get(slow!.checkId)).toEqual({ checkId: slow!.checkId, result: slow!.results![0] });
  });

  test('100 failed browser checks cost 3 manifests and 3 downloads; degraded ones and API checks have none; a non-PNG is refused', async () => {
    const src = source();
    const sessions = [
      ...failing(1, { status: 'DEGRADED', checkType: 'BROWSER' }),
      ...failing(1, { checkType: 'API' }),
      ...failing(100, { checkType: 'BROWSER' }),
    ];
    const shots = await gatherScreenshots(sessions, { checkly: evidencePort(src), logger, waitMs: 1000 });
    expect(shots).toHaveLength(3);
    expect(src.calls.filter((c) => c.startsWith('assets:'))).toHaveLength(3);
    expect(src.calls.filter((c) => c.startsWith('download:'))).toHaveLength(3);
    expect(shots[0]!.filename).toMatch(/^Check-\d{3}-eu-west-1\.png$/);

    const html = source({ downloadAsset: async () => ({ contentType: 'text/html', bytes: Buffer.from('<html>') }) });
    expect(await gatherScreenshots(failing(1, { checkType: 'PLAYWRIGHT' }), { checkly: evidencePort(html), logger, waitMs: 1000 })).toEqual([]);
  });
});

describe('final results read once: the error line, the evidence and Details share one fetch', () => {
  test("a result read for a row's error line is not fetched again for the thread reply or a Details click", async () => {
    const src = source();
    const results = new ResultReadings(src);
    const watcher = sessionWatcher({ awaitCompletion: async () => null, getCheckResult: () => Promise.reject(new Error('unused')) }, results);
    const [session] = failing(1);
    const resultId = session!.results![0]!.resultId;
    expect(await watcher.errorLine(session!.checkId, resultId)).toBe('Timeout 30000ms exceeded');
    expect(src.calls).toEqual([`result:${resultId}`]);
    const found = await gatherEvidence([session!], { checkly: evidencePort(src, results), logger, waitMs: 1000 });
    expect(found.get(session!.checkId)?.detail?.errors[0]).toBe('Timeout 30000ms exceeded');
    const details = resultReader({ getCheckResult: () => Promise.reject(new Error('unused')), sessionResults: async () => [] }, results);
    expect((await details.resultDetail(session!.checkId, resultId)).errors[0]).toBe('Timeout 30000ms exceeded');
    expect(src.calls).toEqual([`result:${resultId}`]);
    // Another result is another fetch.
    const [other] = failing(2).slice(1);
    await watcher.errorLine(other!.checkId, other!.results![0]!.resultId);
    expect(src.calls).toHaveLength(2);
  });

  test('a fetch that failed is not kept: the next reader asks again', async () => {
    let fail = true;
    const calls: string[] = [];
    const flaky = {
      getCheckResult: async (_checkId: string, resultId: string, op: 'result' | 'evidence'): Promise<CheckResult> => {
        calls.push(`${op}:${resultId}`);
        if (fail) {
          fail = false;
          throw new NotFoundError({ operation: op, path: '/v1/check-results', checklyMessage: 'Not found', status: 404 });
        }
        return { ...browserResult, id: resultId };
      },
    };
    const results = new ResultReadings(flaky);
    const [session] = failing(1);
    const resultId = session!.results![0]!.resultId;
    await expect(results.read(session!.checkId, resultId, 'result')).rejects.toBeInstanceOf(NotFoundError);
    expect((await results.read(session!.checkId, resultId, 'evidence')).errorLine).toBe('Timeout 30000ms exceeded');
    expect(await results.read(session!.checkId, resultId, 'result')).toMatchObject({ errorLine: 'Timeout 30000ms exceeded' });
    expect(calls).toEqual([`result:${resultId}`, `evidence:${resultId}`]);
  });

  test('kept within its bound: the oldest reading goes first', async () => {
    const src = source();
    const results = new ResultReadings(src, { max: 2 });
    const ids = failing(3).map((s) => ({ checkId: s.checkId, resultId: s.results![0]!.resultId }));
    const [a, b, c] = ids as [(typeof ids)[0], (typeof ids)[0], (typeof ids)[0]];
    for (const r of [a, b, b, c, a]) await results.read(r.checkId, r.resultId, 'result');
    // b read twice, one fetch; a, pushed out by c, fetched again.
    expect(src.calls.map((x) => x.split(':')[1])).toEqual([a.resultId, b.resultId, c.resultId, a.resultId]);
  });
});

function hostileDetail(): ResultDetail {
  return {
    location: HOSTILE,
    outcome: 'failed',
    attempts: 2,
    responseTimeMs: 812,
    errors: [`${HOSTILE}\n`.repeat(200)],
    request: { method: 'GET', url: `https://api.example.com/${'a'.repeat(2000)}?q=${HOSTILE}` },
    response: { status: 503, statusText: HOSTILE },
    assertions: Array.from({ length: 20 }, () => ({
      source: HOSTILE,
      property: HOSTILE,
      comparison: 'EQUALS',
      target: HOSTILE,
      actual: HOSTILE,
      passed: false,
    })),
    failingStep: HOSTILE.repeat(20),
    logTail: Array.from({ length: 20 }, () => HOSTILE.repeat(10)),
  };
}

function texts(blocks: readonly unknown[]): string {
  return JSON.stringify(blocks);
}

describe('the thread reply with evidence', () => {
  test('50 hostile failures: details of the first 10, then "and 40 more"; every message within limits and 10,000 characters; mentions once', () => {
    const sessions = failing(50, { name: HOSTILE.repeat(5), error: HOSTILE });
    const run = makeRun({ phase: 'final', sessions });
    const evidence = new Map<string, FailureEvidence>(
      evidenceSessions(run).map((s) => [s.checkId, { checkId: s.checkId, result: s.results![0]!, detail: hostileDetail() }]),
    );
    const replies = renderEvidenceReplies(run, renderFailureReply(run), evidence);
    expect(replies.length).toBeGreaterThan(1);
    for (const reply of replies) {
      assertWithinSlackLimits(reply);
      expect(reply.blocks.reduce((n, b) => n + blockText(b), 0)).toBeLessThanOrEqual(10_000);
      const json = texts(reply.blocks);
      expect(json).not.toMatch(/<!channel>|<@U0BOSS>|<https:\/\/evil/);
    }
    const all = replies.flatMap((r) => r.blocks);
    const buttons = all.map((b) => (b as { accessory?: { action_id: string } }).accessory?.action_id).filter(Boolean);
    expect(buttons).toEqual(Array.from({ length: 10 }, (_, i) => `failure_details:${i}`));
    expect(texts(all)).toContain('…and 40 more failing checks');
    expect(replies.filter((r) => texts(r.blocks).includes('<@U123ABC>'))).toHaveLength(1);
  });

  test('one failed API check: one message, the failed assertion with expected and actual, the response, the attempts, the link', () => {
    const [session] = failing(1, { name: 'Orders API' });
    const run = makeRun({ phase: 'final', sessions: [session!] });
    const evidence = new Map([[session!.checkId, { checkId: session!.checkId, result: session!.results![0]!, detail: resultDetail(apiResult) }]]);
    const replies = renderEvidenceReplies(run, renderFailureReply(run), evidence);
    expect(replies).toHaveLength(1);
    const section = (replies[0]!.blocks[1] as { text: { text: string } }).text.text;
    expect(section.split('\n')).toEqual([
      expect.stringMatching(/^❌ \*<https:\/\/app\.checklyhq\.com\/checks\/\d+\/check-sessions\/sess-\d+\|Orders API>\* · failed in eu-west-1 · 3 attempts$/),
      '`Assertion failed: STATUS_CODE expected EQUALS 200, got 500`',
      'HTTP 500 Internal Server Error in 1.2s · `POST https://api.example.com/orders?x=1`',
      '<https://app.checklyhq.com/r/0|Result in eu-west-1 in Checkly>',
    ]);
  });

  test('an API check only over its degradation limit: its response time is the reason (said once), never an assertion that passed', () => {
    const [session] = failing(1, {
      name: 'Refunds API',
      status: 'DEGRADED',
      results: [
        {
          resultId: '00000000-0000-4000-8000-000000000001',
          location: 'eu-west-1',
          link: 'https://app.checklyhq.com/r/1',
          failing: true,
          slowOnly: true,
          responseTimeMs: 2_400,
        },
      ],
    });
    const passedOnly: CheckResult = {
      ...apiResult,
      hasFailures: false,
      hasErrors: false,
      isDegraded: true,
      attempts: 1,
      apiCheckResult: {
        ...apiResult.apiCheckResult!,
        assertions: [{ source: 'STATUS_CODE', property: '', comparison: 'EQUALS', target: '200', actual: 200 }],
        response: { status: 200, statusText: 'OK', body: '', headers: {} },
        requestError: null,
      },
    };
    const run = makeRun({ phase: 'final', sessions: [session!] });
    const evidence = new Map([[session!.checkId, { checkId: session!.checkId, result: session!.results![0]!, detail: resultDetail(passedOnly) }]]);
    const [reply] = renderEvidenceReplies(run, renderFailureReply(run), evidence);
    const section = (reply!.blocks[1] as { text: { text: string } }).text.text;
    expect(section.split('\n')).toEqual([
      expect.stringMatching(/Refunds API>\* · degraded in eu-west-1$/),
      'responded in 2.4s, over its degradation limit',
      // The time is said once, on the line above.
      'HTTP 200 OK · `POST https://api.example.com/orders?x=1`',
      '<https://app.checklyhq.com/r/1|Result in eu-west-1 in Checkly>',
    ]);
    // Not fetched in time: the same reason, from the session alone.
    const [bare] = renderEvidenceReplies(run, renderFailureReply(run), new Map());
    expect((bare!.blocks[1] as { text: { text: string } }).text.text).toMatch(/ · degraded in eu-west-1\nresponded in 2\.4s, over its degradation limit$/);
  });

  test('without details (not fetched in time) a failure still shows its error line and where it failed', () => {
    const [session] = failing(1, { error: 'connect ECONNREFUSED' });
    const run = makeRun({ phase: 'final', sessions: [session!] });
    const [reply] = renderEvidenceReplies(run, renderFailureReply(run), new Map());
    expect(texts(reply!.blocks)).toContain('`connect ECONNREFUSED`');
    expect(texts(reply!.blocks)).toContain('failed in eu-west-1');
  });
});

describe('the Details modal', () => {
  const count = (blocks: readonly unknown[] | undefined) => blocks?.length ?? 0;

  test('25 hostile locations stay within 100 blocks, every text within its limit, nothing unescaped, code blocks unbroken', () => {
    const session = makeSession({ status: 'FAILED', name: HOSTILE.repeat(20) });
    const locations: LocationDetail[] = Array.from({ length: 25 }, (_, i) => ({
      result: { resultId: `r${i}`, location: `loc-${i}`, link: `https://app.checklyhq.com/r/${i}`, failing: true },
      detail: hostileDetail(),
    }));
    const view = renderDetailsModal(session, locations, '{"run":"r","check":"c"}');
    expect(count(view.blocks)).toBeLessThanOrEqual(100);
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(view.private_metadata).toBe('{"run":"r","check":"c"}');
    assertWithinSlackLimits({ text: 'modal', blocks: view.blocks }, { kind: 'view' });
    const json = texts(view.blocks.filter((b) => b.type !== 'header'));
    expect(json).not.toMatch(/<!channel>|<@U0BOSS>|<https:\/\/evil/);
    // Only our own fences: the hostile ``` became look-alikes.
    for (const block of view.blocks) {
      const text = (block as { text?: { text?: string } }).text?.text ?? '';
      expect((text.match(/```/g) ?? []).length % 2).toBe(0);
    }
    expect(texts(view.blocks)).toContain('…and 19 more locations');
  });

  test('shows per location the status, the request line, the response, the assertions table, the errors, the log; links to the result and the check', () => {
    const session = makeSession({ status: 'FAILED', name: 'Orders API', link: 'https://app.checklyhq.com/accounts/a/checks/c1/check-sessions/s1' });
    const view = renderDetailsModal(
      session,
      [
        { result: { resultId: 'r1', location: 'eu-west-1', link: 'https://app.checklyhq.com/r/1', failing: true }, detail: resultDetail(apiResult) },
        {
          result: { resultId: 'r2', location: 'us-east-1', link: 'https://app.checklyhq.com/r/2', failing: false },
          problem: 'Checkly no longer has this result (404).',
        },
      ],
      '',
    );
    const all = texts(view.blocks);
    expect(all).toContain('Check in Checkly');
    expect(all).toContain('<https://app.checklyhq.com/accounts/a/checks/c1|Check in Checkly>');
    expect(all).toContain('❌ *eu-west-1* failed · 3 attempts · 1.2s · <https://app.checklyhq.com/r/1|Result in Checkly>');
    expect(all).toContain('*Request* `POST https://api.example.com/orders?x=1`');
    expect(all).toContain('*Response* `500 Internal Server Error` in 1.2s');
    expect(all).toContain('❌ `STATUS_CODE` expected `EQUALS 200` · got `500`');
    expect(all).toContain('✅ `RESPONSE_TIME` expected `LESS_THAN 2000` · got `1234`');
    expect(all).toContain('Checkly no longer has this result (404).');
    expect(all).not.toContain('target-token');
    expect(renderLoadingModal('m').blocks).toHaveLength(1);
  });
});
