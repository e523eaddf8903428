import { detailsAction } from '../../src/buttons/details';
import type { ButtonDeps } from '../../src/buttons/deps';
import { resultReader } from '../../src/checkly/result-detail';
import { Secrets } from '../../src/shared/secrets';
import { runChain } from '../helpers';
import { createLogger } from '../../src/shared/log';
import type { LocationResult, Run } from '../../src/runs/types';
import type { CheckResult } from '../../src/checkly/types';
import { makeRun, makeSession } from './blocks-fixtures';

const logger = createLogger({ level: 'silent' });

type Args = Parameters<typeof runChain<Parameters<ReturnType<typeof detailsAction>[number]>[0]>>[1];

/** The wire calls the Details port is built on, as the test fakes them. */
interface DetailsCalls {
  getCheckResult(checkId: string, resultId: string): Promise<CheckResult>;
  getSessionResults(sessionId: string): Promise<LocationResult[]>;
}

function setup(run: Run | undefined, details: Partial<DetailsCalls> = {}, allowedChannels?: Set<string>) {
  const order: string[] = [];
  const views: Array<{ method: string; view: { blocks: unknown[]; private_metadata?: string } }> = [];
  const deps: ButtonDeps = {
    runs: { read: async () => run } as unknown as ButtonDeps['runs'],
    commandName: '/checkly',
    logger,
    access: { policy: { allowAll: false, ...(allowedChannels ? { allowedChannels } : {}) } },
    metrics: { refused: () => undefined },
  };
  const full: DetailsCalls = {
    getCheckResult: async () =>
      ({
        resultType: 'FINAL',
        traceId: null,
        errorGroupIds: [],
        runLocation: 'eu-west-1',
        hasFailures: true,
        browserCheckResult: { errors: ['boom'] },
      }) as CheckResult,
    getSessionResults: async () => [],
    ...details,
  };
  const results = resultReader({
    getCheckResult: (checkId, resultId) => full.getCheckResult(checkId, resultId),
    sessionResults: (id) => full.getSessionResults(id),
  });
  const client = {
    views: {
      open: async (args: { view: { blocks: unknown[] } }) => {
        order.push('views.open');
        views.push({ method: 'open', view: args.view });
        return { ok: true, view: { id: 'V1', hash: 'h1' } };
      },
      update: async (args: { view: { blocks: unknown[] } }) => {
        order.push('views.update');
        views.push({ method: 'update', view: args.view });
        return { ok: true };
      },
    },
  };
  const click = (value: string) =>
    runChain(detailsAction(deps, { results, secrets: Secrets.none }), {
      ack: async () => {
        order.push('ack');
      },
      action: { type: 'button', action_id: 'failure_details:0', value },
      body: { trigger_id: 't', user: { id: 'U1' }, channel: { id: 'C1' } },
      client,
    } as unknown as Args);
  return { order, views, click };
}

const text = (view: { blocks: unknown[] }) => JSON.stringify(view.blocks);

describe('the Details click', () => {
  test('acks, opens the loading modal before any lookup, then updates it with the result', async () => {
    const session = makeSession({
      status: 'FAILED',
      results: [{ resultId: 'r1', location: 'eu-west-1', link: 'https://app.checklyhq.com/r/1', failing: true }],
    });
    const { order, views, click } = setup(makeRun({ phase: 'final', sessions: [session] }));
    await click(JSON.stringify({ run: 'run-1', check: session.checkId }));
    expect(order).toEqual(['ack', 'views.open', 'views.update']);
    expect(text(views[0]!.view)).toContain('Loading');
    expect(text(views[1]!.view)).toContain('boom');
  });

  test("a run from before results were kept: the session's results are asked of Checkly", async () => {
    const session = makeSession({ status: 'FAILED' });
    const asked: string[] = [];
    const results: LocationResult[] = [{ resultId: 'r9', location: 'ap-south-1', link: 'https://app.checklyhq.com/r/9', failing: true }];
    const { views, click } = setup(makeRun({ phase: 'final', sessions: [session] }), {
      getSessionResults: async (id) => {
        asked.push(id);
        return results;
      },
    });
    await click(JSON.stringify({ run: 'run-1', check: session.checkId }));
    expect(asked).toEqual([session.sessionId]);
    expect(text(views[1]!.view)).toContain('ap-south-1');
  });

  test('an unknown run, a check not in the run, a foreign value and a refused channel each get a clear modal', async () => {
    const session = makeSession({ status: 'FAILED', results: [] });
    const cases: Array<[Run | undefined, string, RegExp, Set<string> | undefined]> = [
      [undefined, JSON.stringify({ run: 'gone', check: session.checkId }), /no longer knows that run/, undefined],
      [makeRun({ sessions: [session] }), JSON.stringify({ run: 'run-1', check: 'other' }), /not part of this run/, undefined],
      [makeRun({ sessions: [session] }), 'not json', /not one of ours/, undefined],
      [
        makeRun({ sessions: [session] }),
        JSON.stringify({ run: 'run-1', check: session.checkId }),
        /does not run checks in this conversation.*<#C9>/,
        new Set(['C9']),
      ],
    ];
    for (const [run, value, expected, channels] of cases) {
      const { views, click } = setup(run, {}, channels);
      await click(value);
      expect(views.map((v) => v.method)).toEqual(['open', 'update']);
      expect(text(views[1]!.view)).toMatch(expected);
    }
  });
});
