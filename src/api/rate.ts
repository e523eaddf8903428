import { SlidingWindow } from '../budget/sliding-window';

const MINUTE_MS = 60_000;

/**
 * Runs each token may start in any 60 s (RUN_API_RATE_PER_MINUTE), counted in this process: with
 * several replicas behind a balancer, a token gets up to that many per replica.
 */
export class TokenRate {
  private readonly windows = new Map<string, SlidingWindow>();

  constructor(private readonly perMinute: number) {}

  /** Counts a run for `token` and answers 0, or answers the seconds to wait and counts nothing. */
  take(token: string, now: number): number {
    let window = this.windows.get(token);
    if (!window) {
      window = new SlidingWindow(this.perMinute, MINUTE_MS);
      this.windows.set(token, window);
    }
    const waitMs = window.waitMs(now);
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    window.record(now);
    return 0;
  }
}
