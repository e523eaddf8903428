import { Survival } from '../../src/runs/survival';

describe('Survival (Kaplan–Meier)', () => {
  test('values all seen to the end: their plain distribution', () => {
    const s = Survival.estimate([4, 1, 3, 2]);
    expect(s.events).toBe(4);
    expect([0.25, 0.5, 0.75, 1].map((p) => s.quantile(p))).toEqual([1, 2, 3, 4]);
    expect([0.5, 2, 2.5, 4, 9].map((x) => s.below(x))).toEqual([0, 0.5, 0.5, 1, 1]);
  });

  test('a value still running counts as at least so long: the quick ones seen first do not make the whole', () => {
    // Ended after 1 and 3; still running after 2 and 4.
    const s = Survival.estimate([1, 3], [2, 4]);
    // At 1: one of four ends (3/4 above). At 3: one of the two still at risk (3/8 above).
    expect(s.below(1)).toBeCloseTo(0.25, 12);
    expect(s.below(2.9)).toBeCloseTo(0.25, 12);
    expect(s.below(3)).toBeCloseTo(0.625, 12);
    expect(s.quantile(0.5)).toBe(3);
    // What was seen says nothing of the top 37.5 %: no quantile there.
    expect(s.quantile(0.7)).toBeUndefined();
    // Counting the ended ones only would put the median at 1.
    expect(Survival.estimate([1, 3]).quantile(0.5)).toBe(1);
  });

  test('an end and a censored value at the same point: the censored one was still at risk then', () => {
    expect(Survival.estimate([2], [2]).below(2)).toBe(0.5);
  });

  test('nothing seen: no quantile, nothing below', () => {
    const s = Survival.estimate([], [5, 6]);
    expect(s.events).toBe(0);
    expect(s.quantile(0.02)).toBeUndefined();
    expect(s.below(100)).toBe(0);
  });
});
