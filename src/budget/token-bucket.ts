/**
 * Smooths a rate: up to `capacity` at once, then `perSecond` steadily. Arithmetic on the clock it is
 * given, no timers. Not a limit (a sliding window is): it keeps work that may wait from going in
 * bursts, so that a window's places free up steadily rather than all at once a minute later.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    now: number,
  ) {
    if (!(capacity >= 1) || !(perSecond > 0)) throw new RangeError('capacity must be ≥ 1 and perSecond > 0');
    this.tokens = capacity;
    this.at = now;
  }

  /** Milliseconds until a token is there: 0 means now. */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }

  /** Takes a token (the bucket may go below zero: whoever takes without asking pays later). */
  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  /** Gives back a token taken for nothing. */
  putBack(): void {
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }

  private refill(now: number): void {
    if (now <= this.at) return;
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
  }
}
