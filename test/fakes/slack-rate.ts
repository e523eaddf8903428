/** A sliding-window rate limit: at most `limit` calls in any `windowMs`, as Slack's tiers behave. */
export class SlidingWindow {
  private readonly times: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records a call at `now` if the window has room; otherwise returns the whole seconds to wait (for `Retry-After`). */
  take(now: number): number | undefined {
    while (this.times.length > 0 && (this.times[0] as number) <= now - this.windowMs) this.times.shift();
    if (this.times.length < this.limit) {
      this.times.push(now);
      return undefined;
    }
    const oldest = this.times[0] as number;
    return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
  }
}
