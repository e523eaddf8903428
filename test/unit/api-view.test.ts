import { apiStatus, permalink, runView } from '../../src/api/view';
import type { Run, Session, SessionStatus } from '../../src/runs/types';

function session(status: SessionStatus, extra: Partial<Session> = {}): Session {
  return {
    sessionId: `s-${status}`,
    checkId: `c-${status}`,
    name: status,
    checkType: 'API',
    link: 'https://app.checklyhq.com/s',
    status,
    locations: ['eu-west-1'],
    failedLocations: [],
    ...extra,
  };
}

function run(phase: Run['phase'], statuses: SessionStatus[], extra: Partial<Run> = {}): Run {
  return {
    id: 'r1',
    teamId: 'T1',
    channel: 'C1',
    ts: '1700000000.000100',
    requester: 'U1',
    target: { tags: [['prod', 'api'], ['staging']], checkIds: [], all: false },
    refreshCache: false,
    phase,
    sessions: statuses.map((s) => session(s)),
    createdAt: Date.UTC(2026, 0, 1),
    ...extra,
  };
}

describe('the run as the API shows it', () => {
  it.each<[Run['phase'], SessionStatus[], string]>([
    ['triggering', [], 'triggering'],
    ['running', ['PASSED', 'PROGRESS_FAILED'], 'running'],
    ['final', ['PASSED', 'PASSED'], 'passed'],
    ['final', ['PASSED', 'DEGRADED'], 'degraded'],
    ['final', ['DEGRADED', 'TIMED_OUT'], 'failed'],
    ['final', ['FAILED', 'CANCELLED'], 'failed'],
    ['final', ['PASSED', 'CANCELLED'], 'cancelled'],
    ['error', [], 'error'],
    ['abandoned', ['PASSED', 'PROGRESS'], 'failed'],
  ])('%s with %j is %s', (phase, statuses, expected) => {
    expect(apiStatus(run(phase, statuses))).toBe(expected);
  });

  it('counts by status, lists checks, and names the end and what went wrong', () => {
    const view = runView(
      run('abandoned', ['PASSED', 'TIMED_OUT', 'PROGRESS'], { finishedAt: Date.UTC(2026, 0, 1, 0, 30), title: 'Deploy', link: 'https://ci/1' }),
      'https://acme.slack.com/',
    );
    expect(view).toMatchObject({
      status: 'failed',
      target: 'prod,api staging',
      title: 'Deploy',
      link: 'https://ci/1',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:30:00.000Z',
      counts: { passed: 1, failed: 0, degraded: 0, timedOut: 1, cancelled: 0, running: 1 },
      message: { channel: 'C1', ts: '1700000000.000100', permalink: 'https://acme.slack.com/archives/C1/p1700000000000100' },
    });
    expect(view.checks.map((c) => c.status)).toEqual(['passed', 'timedOut', 'running']);
    expect(view.error).toContain('1 check(s)');
  });

  it('gives each check its before and change, and counts the new failures (only adding to the fields there were)', () => {
    const view = runView(
      run('final', [], {
        before: { at: Date.UTC(2026, 0, 1), checks: {} },
        sessions: [
          session('FAILED', { checkId: 'a', change: 'new', before: { state: 'passing' } }),
          session('DEGRADED', { checkId: 'b', change: 'new', before: { state: 'none' } }),
          session('TIMED_OUT', { checkId: 'c', change: 'still_failing', before: { state: 'failing', since: 5 } }),
          session('PASSED', { checkId: 'd', change: 'fixed', before: { state: 'degraded' } }),
          session('PASSED', { checkId: 'e' }),
        ],
      }),
      undefined,
    );
    expect(view.counts).toEqual({ passed: 2, failed: 1, degraded: 1, timedOut: 1, cancelled: 0, running: 0, new: 2 });
    expect(view.checks.map((c) => [c.checkId, c.before, c.change])).toEqual([
      ['a', 'passing', 'new'],
      ['b', 'none', 'new'],
      ['c', 'failing', 'still_failing'],
      ['d', 'degraded', 'fixed'],
      ['e', null, null],
    ]);
    expect(Object.keys(view.checks[0] ?? {})).toEqual(['checkId', 'name', 'status', 'locations', 'durationMs', 'error', 'link', 'before', 'change']);
  });

  it('says what Checkly said when the trigger failed', () => {
    const view = runView(run('error', [], { error: { kind: 'not_found', message: 'No checks match', status: 404 } }), undefined);
    expect(view).toMatchObject({ status: 'error', error: 'No checks match', checks: [], message: { permalink: null } });
  });

  it('links a reply in its thread', () => {
    expect(permalink('https://acme.slack.com/', { channel: 'C1', ts: '1700000001.000200', threadTs: '1700000000.000100' })).toBe(
      'https://acme.slack.com/archives/C1/p1700000001000200?thread_ts=1700000000.000100&cid=C1',
    );
  });
});
