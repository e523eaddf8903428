/**
 * At most `limit` events in any span of `windowMs`: a log of the times events counted, oldest first.
 *
 * This is the shape of the limits we live under (Checkly's per-account minute, Slack's Tier 3), and
 * unlike a fixed window it cannot let 2 × limit through across a window boundary. An event counts
 * from the moment it is taken. While it is open (sent, not answered yet) it keeps counting; once
 * settled it counts until `windowMs` after the settle time. Settling at the answer rather than at the
 * send keeps the bound true at the server, which counts somewhere in between, whatever the latency.
 */
export class SlidingWindow {
  /** Settle times, ascending. */
  private readonly times: number[] = [];
  private openCount = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number ≥ 1, not ${limit}`);
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be > 0, not ${windowMs}`);
  }

  /** Events counting at `now`, open ones included. */
  used(now: number): number {
    this.prune(now);
    return this.times.length + this.openCount;
  }

  /**
   * Milliseconds until one more event fits while leaving `reserve` places free: 0 means now; Infinity
   * means not before an open event settles (or never, when the reserve leaves no room at all).
   */
  waitMs(now: number, reserve = 0): number {
    const allowed = this.limit - reserve;
    if (allowed <= 0) return Infinity;
    this.prune(now);
    const mustExpire = this.times.length + this.openCount - allowed + 1;
    if (mustExpire <= 0) return 0;
    if (mustExpire > this.times.length) return Infinity;
    return (this.times[mustExpire - 1] as number) + this.windowMs - now;
  }

  /** Counts an event that happened at `at` (taken and settled at once). */
  record(at: number): void {
    let i = this.times.length;
    while (i > 0 && (this.times[i - 1] as number) > at) i -= 1;
    this.times.splice(i, 0, at);
  }

  /** Counts an event from now until it is settled; cancelling it means it never happened. */
  open(): WindowTicket {
    this.openCount += 1;
    let done = false;
    const close = (): boolean => {
      if (done) return false;
      done = true;
      this.openCount -= 1;
      return true;
    };
    return {
      settle: (at: number) => {
        if (close()) this.record(at);
      },
      cancel: () => {
        close();
      },
    };
  }

  private prune(now: number): void {
    let expired = 0;
    while (expired < this.times.length && (this.times[expired] as number) + this.windowMs <= now) expired += 1;
    if (expired > 0) this.times.splice(0, expired);
  }
}

/** One event's place in a window. Only the first of settle/cancel counts. */
export interface WindowTicket {
  /** The event was answered at `at`: it counts until `at + windowMs`. */
  settle(at: number): void;
  /** The event never happened after all: its place is free at once. */
  cancel(): void;
}
