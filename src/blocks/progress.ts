/** Counting a run's sessions by status: the progress line, its bar and the fallback text. */
import type { Session } from '../runs/types';
import { plural } from './format';

export interface StatusCounts {
  passed: number;
  failed: number;
  degraded: number;
  timedOut: number;
  cancelled: number;
  /** Not final yet, including PROGRESS_FAILED and PROGRESS_DEGRADED. */
  running: number;
  total: number;
}

export function countStatuses(sessions: readonly Session[]): StatusCounts {
  const counts: StatusCounts = { passed: 0, failed: 0, degraded: 0, timedOut: 0, cancelled: 0, running: 0, total: 0 };
  for (const { status } of sessions) {
    counts.total += 1;
    if (status === 'PASSED') counts.passed += 1;
    else if (status === 'FAILED') counts.failed += 1;
    else if (status === 'DEGRADED') counts.degraded += 1;
    else if (status === 'TIMED_OUT') counts.timedOut += 1;
    else if (status === 'CANCELLED') counts.cancelled += 1;
    else counts.running += 1;
  }
  return counts;
}

/** The counts that are not zero, in reading order, as [glyph, words]. */
function countParts(counts: StatusCounts): Array<[string, string]> {
  const parts: Array<[number, string, string]> = [
    [counts.passed, '✅', 'passed'],
    [counts.failed, '❌', 'failed'],
    [counts.degraded, '⚠️', 'degraded'],
    [counts.timedOut, '⌛', 'timed out'],
    [counts.cancelled, '🚫', 'cancelled'],
    [counts.running, '⏳', 'running'],
  ];
  return parts.filter(([n]) => n > 0).map(([n, glyph, words]) => [glyph, `${n} ${words}`]);
}

/** `✅ 7 passed · ❌ 2 failed · ⏳ 3 running` */
export function formatCounts(counts: StatusCounts): string {
  const parts = countParts(counts);
  return parts.length === 0 ? 'No checks yet' : parts.map(([glyph, words]) => `${glyph} ${words}`).join(' · ');
}

/** `7 passed, 2 failed, 3 running (12 checks)`: for plain-text fallbacks. */
export function formatCountsPlain(counts: StatusCounts): string {
  const parts = countParts(counts).map(([, words]) => words);
  return `${parts.length === 0 ? 'no checks yet' : parts.join(', ')} (${plural(counts.total, 'check')})`;
}

const BAR_CELLS: ReadonlyArray<[keyof StatusCounts, string]> = [
  ['passed', '🟩'],
  ['failed', '🟥'],
  ['degraded', '🟨'],
  ['cancelled', '⬛'],
  ['running', '⬜'],
];

/**
 * A bar of `cells` squares, proportional by largest remainder, except that every status present gets
 * at least one square: one failure among 500 must still show red.
 */
export function progressBar(counts: StatusCounts, cells = 10): string {
  const values = BAR_CELLS.map(([key]) => (key === 'failed' ? counts.failed + counts.timedOut : counts[key]));
  const total = values.reduce((a, b) => a + b, 0);
  if (total === 0) return '⬜'.repeat(cells);
  const exact = values.map((v) => (v * cells) / total);
  const sizes = exact.map(Math.floor);
  let left = cells - sizes.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    sizes[i] = (sizes[i] ?? 0) + 1;
    left -= 1;
  }
  values.forEach((v, i) => {
    if (v === 0 || (sizes[i] ?? 0) > 0) return;
    const largest = sizes.reduce((best, size, j) => (size > (sizes[best] ?? 0) ? j : best), 0);
    if ((sizes[largest] ?? 0) <= 1) return;
    sizes[largest] = (sizes[largest] ?? 0) - 1;
    sizes[i] = 1;
  });
  return BAR_CELLS.map(([, cell], i) => cell.repeat(sizes[i] ?? 0)).join('');
}
