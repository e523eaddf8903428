import { formatDuration, plural, slackDate } from '../../src/blocks/format';
import { STATUS_GLYPH, orderSessions, statusGroup } from '../../src/blocks/order';
import { countStatuses, formatCounts, formatCountsPlain, progressBar } from '../../src/blocks/progress';
import type { SessionStatus } from '../../src/runs/types';
import { makeSession } from './blocks-fixtures';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [1000, '1s'],
    [4200, '4.2s'],
    [4249, '4.2s'],
    [42000, '42s'],
    [59960, '1m'],
    [72000, '1m 12s'],
    [120000, '2m'],
    [3_900_000, '1h 5m'],
    [7_200_000, '2h'],
    [-5, '0ms'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('slackDate', () => {
  it('is a date token in epoch seconds with an ISO fallback', () => {
    expect(slackDate(Date.UTC(2025, 0, 15, 9, 30, 0, 999))).toBe('<!date^1736933400^{date_short_pretty} {time}|2025-01-15T09:30:00Z>');
  });
});

describe('plural', () => {
  it('says 1 check, 2 checks', () => {
    expect([plural(0, 'check'), plural(1, 'check'), plural(2, 'check')]).toEqual(['0 checks', '1 check', '2 checks']);
  });
});

const ALL_STATUSES: SessionStatus[] = ['STARTED', 'PROGRESS', 'PROGRESS_FAILED', 'PROGRESS_DEGRADED', 'PASSED', 'FAILED', 'DEGRADED', 'TIMED_OUT', 'CANCELLED'];

describe('status glyphs and groups', () => {
  it('has a distinct glyph for every status', () => {
    const glyphs = ALL_STATUSES.map((s) => STATUS_GLYPH[s]);
    expect(glyphs.every((g) => typeof g === 'string' && g.length > 0)).toBe(true);
    expect(new Set(glyphs).size).toBe(ALL_STATUSES.length);
  });
  it('puts failing first, running next, passed and cancelled last', () => {
    expect(ALL_STATUSES.map((s) => [s, statusGroup(s)])).toEqual([
      ['STARTED', 1],
      ['PROGRESS', 1],
      ['PROGRESS_FAILED', 0],
      ['PROGRESS_DEGRADED', 0],
      ['PASSED', 2],
      ['FAILED', 0],
      ['DEGRADED', 0],
      ['TIMED_OUT', 0],
      ['CANCELLED', 2],
    ]);
  });
});

describe('orderSessions', () => {
  it('orders by group, then by name', () => {
    const sessions = [
      makeSession({ name: 'b passed', status: 'PASSED' }),
      makeSession({ name: 'a cancelled', status: 'CANCELLED' }),
      makeSession({ name: 'z failed', status: 'FAILED' }),
      makeSession({ name: 'c running', status: 'PROGRESS' }),
      makeSession({ name: 'a started', status: 'STARTED' }),
      makeSession({ name: 'b degraded', status: 'DEGRADED' }),
      makeSession({ name: 'y failing', status: 'PROGRESS_FAILED' }),
      makeSession({ name: 'a timed out', status: 'TIMED_OUT' }),
    ];
    expect(orderSessions(sessions).map((s) => s.name)).toEqual([
      'a timed out',
      'b degraded',
      'y failing',
      'z failed',
      'a started',
      'c running',
      'a cancelled',
      'b passed',
    ]);
  });
  it('compares names case-insensitively and numbers by value, and does not change its input', () => {
    const sessions = [makeSession({ name: 'check 10' }), makeSession({ name: 'Check 9' }), makeSession({ name: 'check 1' })];
    const before = sessions.map((s) => s.name);
    expect(orderSessions(sessions).map((s) => s.name)).toEqual(['check 1', 'Check 9', 'check 10']);
    expect(sessions.map((s) => s.name)).toEqual(before);
  });
});

describe('counts', () => {
  const sessions = [
    ...Array.from({ length: 7 }, () => makeSession({ status: 'PASSED' })),
    makeSession({ status: 'FAILED' }),
    makeSession({ status: 'FAILED' }),
    makeSession({ status: 'DEGRADED' }),
    makeSession({ status: 'STARTED' }),
    makeSession({ status: 'PROGRESS_FAILED' }),
    makeSession({ status: 'PROGRESS' }),
  ];
  it('counts by status, with every unfinished status as running', () => {
    expect(countStatuses(sessions)).toEqual({
      passed: 7,
      failed: 2,
      degraded: 1,
      timedOut: 0,
      cancelled: 0,
      running: 3,
      total: 13,
    });
  });
  it('formats the counts that are not zero', () => {
    expect(formatCounts(countStatuses(sessions))).toBe('✅ 7 passed · ❌ 2 failed · ⚠️ 1 degraded · ⏳ 3 running');
    expect(formatCountsPlain(countStatuses(sessions))).toBe('7 passed, 2 failed, 1 degraded, 3 running (13 checks)');
  });
  it('names timed out and cancelled', () => {
    const counts = countStatuses([makeSession({ status: 'TIMED_OUT' }), makeSession({ status: 'CANCELLED' })]);
    expect(formatCounts(counts)).toBe('⌛ 1 timed out · 🚫 1 cancelled');
  });
  it('says when there is nothing to count', () => {
    expect(formatCounts(countStatuses([]))).toBe('No checks yet');
    expect(formatCountsPlain(countStatuses([]))).toBe('no checks yet (0 checks)');
  });
});

describe('progressBar', () => {
  const bar = (passed: number, failed: number, degraded: number, running: number, timedOut = 0, cancelled = 0): string =>
    progressBar({ passed, failed, degraded, running, timedOut, cancelled, total: passed + failed + degraded + running + timedOut + cancelled });

  it('is proportional in ten cells', () => {
    expect(bar(7, 2, 1, 0)).toBe('🟩🟩🟩🟩🟩🟩🟩🟥🟥🟨');
    expect(bar(5, 0, 0, 5)).toBe('🟩🟩🟩🟩🟩⬜⬜⬜⬜⬜');
  });
  it('rounds by largest remainder so there are always ten cells', () => {
    expect(bar(1, 1, 1, 0)).toBe('🟩🟩🟩🟩🟥🟥🟥🟨🟨🟨');
    expect([...bar(1, 1, 1, 0)].length).toBe(10);
  });
  it('shows one failure among 500 as one red cell', () => {
    expect(bar(499, 1, 0, 0)).toBe('🟩🟩🟩🟩🟩🟩🟩🟩🟩🟥');
  });
  it('counts timed out as failed and shows cancelled in black', () => {
    expect(bar(0, 0, 0, 0, 5, 5)).toBe('🟥🟥🟥🟥🟥⬛⬛⬛⬛⬛');
  });
  it('is all white before anything is known', () => {
    expect(bar(0, 0, 0, 0)).toBe('⬜'.repeat(10));
  });
});
