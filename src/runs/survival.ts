/**
 * A distribution learned from values seen to the end (events) and values known only to be at least
 * so large (censored): the Kaplan–Meier estimate. The follower's sessions are both: those that ended
 * took so long, those still running have taken at least so long. Counting only the ended ones would
 * see the quick sessions first and believe every session quick. Pure.
 */
export class Survival {
  /** Each distinct event value, ascending, with the share of values still above it after it. */
  private constructor(
    private readonly values: readonly number[],
    private readonly above: readonly number[],
    /** Events it was learned from. */
    readonly events: number,
  ) {}

  static estimate(events: readonly number[], censored: readonly number[] = []): Survival {
    const all = [...events.map((v) => ({ v, event: true })), ...censored.map((v) => ({ v, event: false }))]
      // At a tie the event comes first: a value censored at x was still at risk of ending at x.
      .sort((a, b) => a.v - b.v || Number(b.event) - Number(a.event));
    const values: number[] = [];
    const above: number[] = [];
    let share = 1;
    let atRisk = all.length;
    for (let i = 0; i < all.length; ) {
      const { v } = all[i] as { v: number };
      let ended = 0;
      let gone = 0;
      for (let at = all[i]; at !== undefined && at.v === v; at = all[i]) {
        if (at.event) ended += 1;
        gone += 1;
        i += 1;
      }
      if (ended > 0) {
        share *= 1 - ended / atRisk;
        values.push(v);
        above.push(share);
      }
      atRisk -= gone;
    }
    return new Survival(values, above, events.length);
  }

  /** The smallest value with at least a share `p` at or below it; undefined when what was seen does not reach `p`. */
  quantile(p: number): number | undefined {
    const i = this.above.findIndex((share) => 1 - share >= p - 1e-9);
    return i >= 0 ? this.values[i] : undefined;
  }

  /** The share of values at or below `x`. */
  below(x: number): number {
    let share = 1;
    for (const [i, value] of this.values.entries()) {
      if (value > x) break;
      share = this.above[i] ?? share;
    }
    return 1 - share;
  }
}
