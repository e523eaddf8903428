/** `/checkly history`: a target's last runs as a grid (runs/history.ts, blocks/history.ts) and how it is asked for. */
import { renderHistory } from '../../src/blocks/history';
import { parseCommand } from '../../src/grammar/parse';
import { helpUsage } from '../../src/grammar/usage';
import { historyGrid } from '../../src/runs/history';
import type { Run, SessionStatus } from '../../src/runs/types';
import { T0, allMrkdwn, makeRun, makeSession } from './blocks-fixtures';
import { assertWithinSlackLimits } from './slack-limits';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

/** A run of checks A, B (and C when given) with these statuses; index i started at T0 + i minutes. */
function runOf(i: number, statuses: Record<string, SessionStatus>, over: Partial<Run> = {}): Run {
  return makeRun({
    id: `run-${i}`,
    ts: `1700000000.00010${i}`,
    phase: 'final',
    createdAt: T0 + i * 60_000,
    sessions: Object.entries(statuses).map(([checkId, status]) =>
      makeSession({ checkId, name: { [A]: 'Search', [B]: 'Cart', [C]: 'Login API' }[checkId] ?? checkId, status }),
    ),
    ...over,
  });
}

describe('historyGrid', () => {
  test('a row per check by name, a column per run oldest first, cells by outcome; what changed most', () => {
    // Newest first, as the store lists them.
    const runs = [
      runOf(4, { [A]: 'FAILED', [B]: 'PASSED', [C]: 'DEGRADED' }),
      runOf(3, { [A]: 'PASSED', [B]: 'PASSED' }),
      runOf(2, { [A]: 'FAILED', [B]: 'CANCELLED', [C]: 'PASSED' }),
      runOf(1, { [A]: 'PASSED', [B]: 'TIMED_OUT' }),
    ];
    const grid = historyGrid(runs);
    expect(grid.columns.map((c) => c.runId)).toEqual(['run-1', 'run-2', 'run-3', 'run-4']);
    expect(grid.rows.map((r) => [r.name, r.cells, r.changes])).toEqual([
      ['Cart', ['failed', 'none', 'passed', 'passed'], 1],
      ['Login API', ['none', 'passed', 'none', 'degraded'], 1],
      ['Search', ['passed', 'failed', 'passed', 'failed'], 3],
    ]);
    expect(grid.changedMost.map((r) => r.name)).toEqual(['Search', 'Cart', 'Login API']);
  });

  test('no runs, an empty grid; a run that never started has an empty column', () => {
    expect(historyGrid([])).toEqual({ columns: [], rows: [], changedMost: [] });
    const grid = historyGrid([runOf(2, { [A]: 'PASSED' }), runOf(1, {}, { phase: 'error' })]);
    expect(grid.rows).toEqual([{ checkId: A, name: 'Search', cells: ['none', 'passed'], changes: 0 }]);
  });
});

describe('renderHistory', () => {
  const ctx = {
    target: 'prod',
    permalinks: { 'run-1': 'https://acme.slack.com/archives/C1/p1', 'run-2': 'https://acme.slack.com/archives/C1/p2' },
    commandName: '/checkly',
  };

  test('the grid, each column linking to its run message, the legend, the checks that changed most', () => {
    const runs = [runOf(3, { [A]: 'FAILED', [B]: 'PASSED' }), runOf(2, { [A]: 'PASSED', [B]: 'DEGRADED' }), runOf(1, { [A]: 'FAILED' })];
    const msg = renderHistory(historyGrid(runs), ctx);
    assertWithinSlackLimits(msg);
    const text = allMrkdwn(msg.blocks);
    expect(text).toContain('*The last 3 runs of `prod` in this channel*, oldest on the left');
    expect(text).toContain('Runs <https://acme.slack.com/archives/C1/p1|①> <https://acme.slack.com/archives/C1/p2|②> ③ (the newest started <!date^');
    expect(text).toContain('⬜🟨🟩  Cart\n🟥🟩🟥  Search');
    expect(text).toContain('Changed most often: *Search* (2 times), *Cart* (1 time)');
    expect(msg.text).toBe('The last 3 runs of prod in this channel: 2 checks');
  });

  test('no runs yet: says so, and how to start one', () => {
    const msg = renderHistory(historyGrid([]), ctx);
    expect(allMrkdwn(msg.blocks)).toBe('No runs of `prod` in this channel yet (runs are kept for RUN_RETENTION_DAYS). Start one with `/checkly run prod`.');
  });

  test('500 checks with hostile names stay within Slack’s limits, counting what did not fit', () => {
    const hostile = '<!channel> *x* & <https://evil.example|y> '.repeat(10);
    const sessions = Array.from({ length: 500 }, (_, i) => makeSession({ name: `${hostile}${i}`, status: i % 3 ? 'PASSED' : 'FAILED' }));
    const runs = Array.from({ length: 10 }, (_, i) => makeRun({ id: `r${i}`, phase: 'final', createdAt: T0 + i, sessions }));
    const msg = renderHistory(historyGrid(runs), { ...ctx, target: hostile });
    assertWithinSlackLimits(msg);
    const text = allMrkdwn(msg.blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).toMatch(/…and \d+ more checks/);
  });
});

describe('/checkly history <target>', () => {
  test('takes a target as run does', () => {
    expect(parseCommand('history prod,api web')).toEqual({ kind: 'history', target: { tags: [['prod', 'api'], ['web']], checkIds: [], all: false } });
    expect(parseCommand(`history --check ${A.toUpperCase()}`)).toEqual({ kind: 'history', target: { tags: [], checkIds: [A], all: false } });
    expect(parseCommand('HISTORY --all')).toEqual({ kind: 'history', target: { tags: [], checkIds: [], all: true } });
  });

  test('bad input: a clear problem and the right form', () => {
    expect(parseCommand('history')).toMatchObject({
      kind: 'error',
      problem: expect.stringContaining('`history` needs the target'),
      usage: expect.stringContaining('history <target>'),
    });
    expect(parseCommand('history prod --refresh-cache')).toMatchObject({
      kind: 'error',
      problem: '`--refresh-cache` is an option of `run`, not of `history`.',
    });
    expect(parseCommand('history prod --bogus')).toMatchObject({ kind: 'error', problem: '`--bogus` is not an option of `history`.' });
    expect(helpUsage()).toContain('`/checkly history <target>`');
  });
});
