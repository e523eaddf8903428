/**
 * The workflow step's completion (src/workflow): the step's inputs read, its end from its run, and
 * the book and completer that complete each step once, whichever process sees its run end, with a
 * clock of the test's own.
 */
import { MemoryRecords } from '../../src/runs/records';
import type { Run } from '../../src/runs/types';
import { StepBook } from '../../src/workflow/book';
import { StepCompleter } from '../../src/workflow/completion';
import { readStepInputs } from '../../src/workflow/inputs';
import { NOT_STARTED, type StepEnd, stepEnd } from '../../src/workflow/outcome';
import type { StepEnds } from '../../src/workflow/ports';
import { makeRun, makeSession } from './blocks-fixtures';

const quiet = { info: () => undefined, warn: () => undefined };

describe('readStepInputs', () => {
  test('reads the target as /checkly run does, the channel, a title on one line and the person', () => {
    expect(readStepInputs({ target: 'prod,api staging --refresh-cache', channel: 'C0OPS', title: 'Deploy\nweb', user: 'U0ALICE' }, '/checkly')).toEqual({
      target: { tags: [['prod', 'api'], ['staging']], checkIds: [], all: false },
      refreshCache: true,
      channel: 'C0OPS',
      title: 'Deploy web',
      userId: 'U0ALICE',
    });
  });

  test('says in words what is wrong, and starts nothing', () => {
    const problem = (inputs: Record<string, unknown>) => {
      const read = readStepInputs(inputs, '/checkly');
      return 'problem' in read ? read.problem : undefined;
    };
    expect(problem({ target: '  ', channel: 'C1X' })).toContain('The step has no checks to run');
    expect(problem({ target: 'prod,', channel: 'C1X' })).toMatch(/^The step's target `prod,` is not one \/checkly run takes: /);
    expect(problem({ target: 'prod', channel: 'general' })).toBe('The step needs a channel to post the run in.');
    expect(problem({ target: 'prod', channel: 'C1X', title: 'x'.repeat(151) })).toContain('1 to 150 characters');
    expect(problem({ target: 'prod', channel: 'C1X', user: '<!channel>' })).toContain('must be a person');
  });
});

describe('stepEnd', () => {
  const link = 'https://t.slack.com/archives/C1/p1';
  const final = (...statuses: Array<'PASSED' | 'FAILED' | 'DEGRADED' | 'TIMED_OUT' | 'CANCELLED'>) =>
    makeRun({ phase: 'final', sessions: statuses.map((status) => makeSession({ status })) });

  test('the verdict of a final run, and its counts: degraded counts as neither passed nor failed', () => {
    expect(stepEnd(final('PASSED', 'PASSED'), link)).toMatchObject({ outputs: { status: 'passed', passed: 2, failed: 0, permalink: link } });
    expect(stepEnd(final('PASSED', 'FAILED', 'TIMED_OUT', 'DEGRADED'), link)).toMatchObject({ outputs: { status: 'failed', passed: 1, failed: 2 } });
    expect(stepEnd(final('PASSED', 'DEGRADED'), link)).toMatchObject({ outputs: { status: 'degraded', passed: 1, failed: 0 } });
    expect(stepEnd(final('PASSED', 'CANCELLED'), link)).toMatchObject({ outputs: { status: 'cancelled' } });
    expect(stepEnd(makeRun({ phase: 'abandoned', sessions: [makeSession({ status: 'PROGRESS' })] }), link)).toMatchObject({ outputs: { status: 'error' } });
  });

  test('a run that could not start ends the step with an error in words, naming what matched nothing', () => {
    const run = makeRun({
      phase: 'error',
      error: { kind: 'not_found', message: 'No matching checks', status: 404 },
      target: { tags: [['nomatch']], checkIds: [], all: false },
    });
    expect(stepEnd(run, link)).toEqual({ error: `Checkly could not start this run: no check matches nomatch. See ${link}` });
    const cut = makeRun({ phase: 'error', error: { kind: 'interrupted', message: 'cut' } });
    expect(stepEnd(cut, undefined)).toEqual({ error: expect.stringMatching(/^This run was cut off while starting: the app restarted/) });
  });
});

/** Slack's side: who completed which step with what, and how Slack answers. */
function fakeEnds(answer: () => Promise<'ended' | 'gone'> = async () => 'ended') {
  const calls: Array<{ executionId: string; token: string; end: StepEnd }> = [];
  const ends: StepEnds = {
    end: async (executionId, token, end) => {
      calls.push({ executionId, token, end });
      return answer();
    },
  };
  return { ends, calls };
}

describe('StepCompleter', () => {
  let clock: number;
  let records: MemoryRecords;
  let runs: Map<string, Run>;
  const now = () => clock;
  const over = (id: string) =>
    makeRun({
      id,
      phase: 'final',
      ts: '1700000000.000100',
      sessions: [makeSession({ status: 'PASSED' })],
      origin: { kind: 'workflow', executionId: `Fx-${id}` },
    });

  beforeEach(() => {
    clock = 1_700_000_000_000;
    records = new MemoryRecords(now);
    runs = new Map();
  });

  const completer = (ends: StepEnds, processId = 'p1') =>
    new StepCompleter({
      book: new StepBook(records, now),
      ends,
      runs: { read: async (id) => runs.get(id) },
      workspaceUrl: 'https://t.slack.com',
      processId,
      now,
      logger: quiet,
    });

  test('a run that ends completes its step once, with the step’s token and the message’s link; the token is then forgotten', async () => {
    const book = new StepBook(records, now);
    expect(await book.open('Fx-r1', { runId: 'r1', teamId: 'T1', token: 'xwfp-secret' })).toBe(true);
    expect(await book.open('Fx-r1', { runId: 'other', teamId: 'T1', token: 'xwfp-other' })).toBe(false);
    const { ends, calls } = fakeEnds();
    const c = completer(ends);
    c.observer.over?.(over('r1'));
    c.observer.over?.(over('r1'));
    await c.settle(1000);
    expect(calls).toEqual([
      {
        executionId: 'Fx-r1',
        token: 'xwfp-secret',
        end: expect.objectContaining({ outputs: expect.objectContaining({ permalink: 'https://t.slack.com/archives/C1/p1700000000000100' }) }),
      },
    ]);
    expect(JSON.stringify(await records.read('workflow:steps'))).not.toContain('xwfp-secret');
    expect(await book.waiting()).toEqual([]);
  });

  test('two processes seeing the same end at once: one completes it', async () => {
    await new StepBook(records, now).open('Fx-r1', { runId: 'r1', teamId: 'T1', token: 'xwfp-t' });
    const { ends, calls } = fakeEnds();
    const [a, b] = [completer(ends, 'p1'), completer(ends, 'p2')];
    runs.set('r1', over('r1'));
    await Promise.all([a.end('Fx-r1', stepEnd(over('r1'), 'l')), b.end('Fx-r1', stepEnd(over('r1'), 'l')), b.sweep()]);
    expect(calls).toHaveLength(1);
  });

  test('Slack failing the completion: the step waits for the sweep, which completes it; Slack saying never: not tried again', async () => {
    await new StepBook(records, now).open('Fx-r1', { runId: 'r1', teamId: 'T1', token: 'xwfp-t' });
    let fail = true;
    const { ends, calls } = fakeEnds(async () => {
      if (fail) throw new Error('internal_error');
      return 'gone';
    });
    const c = completer(ends);
    runs.set('r1', over('r1'));
    await c.end('Fx-r1', stepEnd(over('r1'), 'l'));
    expect(calls).toHaveLength(1);
    fail = false;
    await c.sweep();
    expect(calls).toHaveLength(2);
    await c.sweep();
    expect(calls).toHaveLength(2);
  });

  test('the sweep: a run never stored ends its step after a grace; a run still going when the token is about to expire ends it without a verdict', async () => {
    const book = new StepBook(records, now);
    await book.open('Fx-lost', { runId: 'lost', teamId: 'T1', token: 'xwfp-1' });
    await book.open('Fx-long', { runId: 'long', teamId: 'T1', token: 'xwfp-2' });
    runs.set('long', makeRun({ id: 'long', phase: 'running', ts: '1700000000.000200' }));
    const { ends, calls } = fakeEnds();
    const c = completer(ends);
    await c.sweep();
    expect(calls).toEqual([]);
    clock += 2 * 60_000;
    await c.sweep();
    expect(calls).toEqual([{ executionId: 'Fx-lost', token: 'xwfp-1', end: NOT_STARTED }]);
    clock += 11 * 60_000;
    await c.sweep();
    expect(calls).toHaveLength(1);
    clock += 60_000;
    await c.sweep();
    expect(calls[1]).toEqual({
      executionId: 'Fx-long',
      token: 'xwfp-2',
      end: {
        error:
          'The run was still going after 14 minutes, the longest a workflow step can wait for it. Its results will be at https://t.slack.com/archives/C1/p1700000000000200',
      },
    });
  });

  test('a process that claimed a step and died: another takes it over once the claim runs out', async () => {
    const book = new StepBook(records, now);
    await book.open('Fx-r1', { runId: 'r1', teamId: 'T1', token: 'xwfp-t' });
    expect(await book.claim('Fx-r1', 'dead')).toBeDefined();
    expect(await book.claim('Fx-r1', 'alive')).toBeUndefined();
    clock += 30_000;
    expect((await book.claim('Fx-r1', 'alive'))?.token).toBe('xwfp-t');
  });
});
