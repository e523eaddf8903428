/** New or already broken (product.md section 13): each check's before and after, classified. */
import { beforeOf, classify, countChanges, flakiness, markChange, type BeforeState, type Change, type RunBefore } from '../../src/runs/changes';
import type { SessionStatus } from '../../src/runs/types';
import { makeSession } from './blocks-fixtures';

const PASS = false;
const FAIL = true;

describe('classify: every combination of before and after', () => {
  const cases: Array<[BeforeState, SessionStatus, Change | undefined]> = [
    ['passing', 'FAILED', 'new'],
    ['passing', 'DEGRADED', 'new'],
    ['passing', 'TIMED_OUT', 'new'],
    ['passing', 'PASSED', 'unchanged'],
    ['failing', 'FAILED', 'still_failing'],
    ['failing', 'DEGRADED', 'still_failing'],
    ['failing', 'TIMED_OUT', 'still_failing'],
    ['failing', 'PASSED', 'fixed'],
    ['degraded', 'DEGRADED', 'still_failing'],
    ['degraded', 'FAILED', 'still_failing'],
    ['degraded', 'PASSED', 'fixed'],
    // A check new since the statuses were read (or never run): nothing to have been failing before.
    ['none', 'FAILED', 'new'],
    ['none', 'PASSED', 'unchanged'],
    // The statuses could not be read: the run cannot tell, and marks nothing new.
    ['unknown', 'FAILED', undefined],
    ['unknown', 'PASSED', undefined],
    ['unknown', 'DEGRADED', undefined],
    // A cancelled session says nothing of its check.
    ['passing', 'CANCELLED', undefined],
    ['failing', 'CANCELLED', undefined],
  ];
  test.each(cases)('before %s, now %s: %s', (before, status, change) => {
    expect(classify({ state: before }, status, [isBad(status)])).toBe(change);
  });

  function isBad(status: SessionStatus): boolean {
    return status === 'FAILED' || status === 'DEGRADED' || status === 'TIMED_OUT';
  }
});

describe('flaky: failed in at least 2 of its last 10 runs in this app', () => {
  test('a check that alternates is flaky at its second failure in 10, not at its first', () => {
    expect(classify({ state: 'passing' }, 'FAILED', [FAIL])).toBe('new');
    expect(classify({ state: 'passing' }, 'FAILED', [FAIL, PASS])).toBe('new');
    expect(classify({ state: 'passing' }, 'FAILED', [FAIL, PASS, FAIL])).toBe('flaky');
    expect(flakiness([FAIL, PASS, FAIL, PASS])).toEqual({ failed: 2, of: 4 });
  });

  test('only the last 10 count; a check that always failed is failing, not flaky', () => {
    expect(flakiness([FAIL, PASS, PASS, PASS, PASS, PASS, PASS, PASS, PASS, PASS, FAIL])).toBeUndefined();
    expect(flakiness([FAIL, FAIL, FAIL])).toBeUndefined();
    expect(flakiness([FAIL, PASS, PASS, FAIL, PASS, PASS, PASS, PASS, PASS, PASS])).toEqual({ failed: 2, of: 10 });
  });

  test('a check that passed only on a retry is flaky, whatever it was before; one that failed with retries is not for that', () => {
    expect(classify({ state: 'passing' }, 'PASSED', [PASS], true)).toBe('flaky');
    expect(classify({ state: 'failing' }, 'PASSED', [PASS], true)).toBe('flaky');
    expect(classify({ state: 'none' }, 'PASSED', [PASS], true)).toBe('flaky');
    expect(classify({ state: 'passing' }, 'FAILED', [FAIL], true)).toBe('new');
    expect(classify({ state: 'unknown' }, 'PASSED', [PASS], true)).toBeUndefined();
    const session = makeSession({ checkId: 'x', status: 'PASSED', retried: true });
    markChange(session, { at: 1, checks: { x: { state: 'passing' } } }, [PASS]);
    expect([session.change, session.flaky]).toEqual(['flaky', undefined]);
  });

  test('a check failing before the run is still failing whatever its history', () => {
    expect(classify({ state: 'failing' }, 'FAILED', [FAIL, PASS, FAIL])).toBe('still_failing');
  });
});

describe('beforeOf and markChange', () => {
  const before: RunBefore = { at: 1000, checks: { a: { state: 'failing', since: 500 }, b: { state: 'passing' } } };

  test('what the statuses said, since when, none, or unknown', () => {
    expect(beforeOf(before, 'a')).toEqual({ state: 'failing', since: 500 });
    expect(beforeOf(before, 'b')).toEqual({ state: 'passing' });
    expect(beforeOf(before, 'c')).toEqual({ state: 'none' });
    expect(beforeOf({ at: 1000 }, 'a')).toEqual({ state: 'unknown' });
    expect(beforeOf(undefined, 'a')).toEqual({ state: 'unknown' });
  });

  test('a session gets its before, its change, and how flaky it is', () => {
    const still = makeSession({ checkId: 'a', status: 'FAILED' });
    markChange(still, before, [FAIL]);
    expect([still.before, still.change, still.flaky]).toEqual([{ state: 'failing', since: 500 }, 'still_failing', undefined]);
    const flaky = makeSession({ checkId: 'b', status: 'FAILED' });
    markChange(flaky, before, [FAIL, PASS, FAIL]);
    expect([flaky.change, flaky.flaky]).toEqual(['flaky', { failed: 2, of: 3 }]);
    const untold = makeSession({ checkId: 'a', status: 'FAILED' });
    markChange(untold, { at: 1 }, [FAIL]);
    expect(untold.change).toBeUndefined();
    expect(untold.before).toEqual({ state: 'unknown' });
  });

  test('countChanges counts each kind and the earliest since', () => {
    const sessions = [
      makeSession({ status: 'FAILED', change: 'new' }),
      makeSession({ status: 'FAILED', change: 'new' }),
      makeSession({ status: 'FAILED', change: 'still_failing', before: { state: 'failing', since: 900 } }),
      makeSession({ status: 'DEGRADED', change: 'still_failing', before: { state: 'degraded', since: 700 } }),
      makeSession({ status: 'PASSED', change: 'fixed' }),
      makeSession({ status: 'FAILED', change: 'flaky' }),
      makeSession({ status: 'FAILED' }),
      makeSession({ status: 'PASSED', change: 'unchanged' }),
    ];
    sessions.push(makeSession({ status: 'PASSED', change: 'flaky', retried: true }));
    expect(countChanges(sessions)).toEqual({ new: 2, stillFailing: 2, fixed: 1, flaky: 1, retried: 1, untold: 1, failingSince: 700 });
  });
});
