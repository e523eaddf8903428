import type { EndEstimate } from '../../src/runs/duration-model';
import { pollWindow, pollWorth } from '../../src/runs/poll-window';

describe('pollWindow', () => {
  const started = 1_000;
  const wait = 30_000;

  test('a window shorter than a poll: opened as early as one poll still lasts 3 s past its end', () => {
    // From 40 s to 50 s: one poll opened at 24 s lasts to 54 s, 3 s past the likely end.
    expect(pollWindow({ fromMs: 40_000, toMs: 50_000 }, started, wait)).toEqual({ opensAt: 24_000, overdueAt: 52_000 });
  });

  test('a window longer than a poll: opened 2 s after its start (the few that end sooner are known then), polls chained from there', () => {
    expect(pollWindow({ fromMs: 40_000, toMs: 100_000 }, started, wait)).toEqual({ opensAt: 43_000, overdueAt: 102_000 });
  });

  test('a window a little shorter than a poll: one poll still covers it from just after its start', () => {
    // From 40 s to 68 s after the start: a poll opened 41 s after it lasts to 71 s, 3 s past the likely end (sooner than 42 s).
    expect(pollWindow({ fromMs: 40_000, toMs: 68_000 }, started, wait)).toEqual({ opensAt: 42_000, overdueAt: 70_000 });
  });

  test('an end nothing bounds (how late it runs not known yet): opened 2 s before its earliest, never overdue', () => {
    expect(pollWindow({ fromMs: 40_000, toMs: Infinity }, started, wait)).toEqual({ opensAt: 39_000, overdueAt: Infinity });
  });
});

describe('pollWorth', () => {
  test("the chance that the session ends within one poll's wait, counted from its start", () => {
    const asked: Array<[number, number]> = [];
    const estimate: Pick<EndEstimate, 'endsWithin'> = {
      endsWithin: (elapsed, span) => {
        asked.push([elapsed, span]);
        return 0.25;
      },
    };
    expect(pollWorth(estimate, 1_000, 41_000, 30_000)).toBe(0.25);
    // A start known a little late (after now) counts as just started.
    expect(pollWorth(estimate, 50_000, 41_000, 30_000)).toBe(0.25);
    expect(asked).toEqual([
      [40_000, 30_000],
      [0, 30_000],
    ]);
  });
});
