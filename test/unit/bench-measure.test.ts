import { finalCount, finalProblems, rowGlyphs, runDelays, sessionRequests, showsRunFinal, slidingPeak, spread } from '../../bench/measure';
import { renderRun } from '../../src/blocks/run';
import type { Run, Session, SessionStatus } from '../../src/runs/types';
import type { RecordedRequest, SessionView } from '../fakes/checkly';
import type { FakeMessage } from '../fakes/slack';

// The benchmark reads the real renderer's output: these tests fail when the two drift apart.

const ids = Array.from({ length: 30 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

function session(i: number, status: SessionStatus): Session {
  return {
    sessionId: ids[i]!,
    checkId: `c${i}`,
    name: `Check ${i}`,
    checkType: 'API',
    link: `https://app.checklyhq.com/accounts/a/checks/c${i}/check-sessions/${ids[i]}`,
    status,
    locations: ['eu-west-1'],
    failedLocations: status === 'FAILED' ? ['eu-west-1'] : [],
    ...(status === 'FAILED' ? { error: 'boom' } : {}),
  };
}

function run(statuses: SessionStatus[]): Run {
  const final = statuses.every((s) => !['STARTED', 'PROGRESS'].includes(s));
  return {
    id: 'r',
    teamId: 'T',
    channel: 'C',
    requester: 'U1',
    target: { tags: [['prod']], checkIds: [], all: false },
    refreshCache: false,
    phase: final ? 'final' : 'running',
    sessions: statuses.map((s, i) => session(i, s)),
    createdAt: 0,
    ...(final ? { finishedAt: 95_000 } : {}),
  };
}

function message(versions: Array<[number, SessionStatus[]]>): FakeMessage {
  return {
    channel: 'C',
    ts: '1.1',
    versions: versions.map(([at, statuses]) => ({ at, ...renderRun(run(statuses), { now: at, interactive: true }) })),
  };
}

function view(i: number, status: SessionStatus, finalAt: number): SessionView {
  return { id: ids[i]!, checkId: `c${i}`, name: `Check ${i}`, createdAt: 0, finalAt, status };
}

describe('bench measures', () => {
  test('rows, counts and the final phase are read from rendered messages', () => {
    const m = message([[0, ['PASSED', 'FAILED', 'STARTED']]]);
    const v = m.versions[0]!;
    expect(rowGlyphs(v)).toEqual(
      new Map([
        [ids[0], '✅'],
        [ids[1], '❌'],
        [ids[2], '⏳'],
      ]),
    );
    expect(finalCount(v)).toBe(2);
    expect(showsRunFinal(v)).toBe(false);
    expect(showsRunFinal(message([[0, ['PASSED', 'FAILED']]]).versions[0]!)).toBe(true);
  });

  test('a session is shown at the first version with its final glyph; the run when the message turns final', () => {
    const m = message([
      [1000, ['STARTED', 'STARTED']],
      [12_500, ['PASSED', 'STARTED']],
      [31_200, ['PASSED', 'FAILED']],
    ]);
    const delays = runDelays({ message: m, sessions: [view(0, 'PASSED', 12_000), view(1, 'FAILED', 30_000)] });
    expect(delays).toEqual({ sessionShownMs: [500, 1200], runShownMs: 1200, neverShown: 0 });
  });

  test('folded passed rows count as shown once the counts cover them', () => {
    // More than 20 checks with more than 10 passed: passed rows are folded into one line.
    const statuses = (passed: number): SessionStatus[] => Array.from({ length: 25 }, (_, i) => (i < passed ? 'PASSED' : 'STARTED'));
    const m = message([
      [0, statuses(0)],
      [5000, statuses(12)],
      [9000, statuses(25)],
    ]);
    expect(rowGlyphs(m.versions[2]!).size).toBe(0);
    const sessions = Array.from({ length: 25 }, (_, i) => view(i, 'PASSED', i < 12 ? 4000 : 8000 + i));
    const delays = runDelays({ message: m, sessions });
    expect(delays.neverShown).toBe(0);
    expect(delays.sessionShownMs.slice(0, 12)).toEqual(Array.from({ length: 12 }, () => 1000));
    expect(delays.sessionShownMs.slice(12)).toEqual(Array.from({ length: 13 }, (_, k) => 9000 - (8000 + 12 + k)));
    expect(finalProblems({ message: m, sessions })).toEqual([]);
  });

  test('a final message that disagrees with Checkly is reported', () => {
    const m = message([[0, ['PASSED', 'PASSED']]]);
    expect(finalProblems({ message: m, sessions: [view(0, 'PASSED', 0), view(1, 'FAILED', 0)] })).toEqual([
      'Check 1: shows ✅, is FAILED',
      'passed: shows 2, Checkly has 1',
      'failed: shows 0, Checkly has 1',
    ]);
  });

  test('percentiles by nearest rank; the sliding peak counts a half-open minute', () => {
    expect(spread([5, 1, 4, 2, 3])).toEqual({ n: 5, p50: 3, p95: 5, p99: 5, max: 5 });
    expect(slidingPeak([0, 59_999, 60_000, 60_001])).toBe(3);
    expect(slidingPeak([])).toBe(0);
  });

  test('session requests: those that start and follow sessions, not error lines, evidence or the catalogue', () => {
    const ops = [
      'trigger',
      'completion',
      'completion',
      'session',
      'cancel',
      'result',
      'evidence',
      'assets',
      'asset',
      'statuses',
      'account',
      undefined,
    ] as const;
    const requests = ops.map((op): RecordedRequest => ({ method: 'GET', path: '/', query: {}, headers: {}, body: undefined, at: 0, ...(op ? { op } : {}) }));
    expect(sessionRequests(requests)).toBe(5);
  });
});
