/**
 * Work a caller waits on comes before work nobody waits on. A run API request holds the foreground
 * from its arrival until its answer is sent; an API run's trigger, which the answer does not wait
 * for, waits until no answer is being prepared (or `maxWaitMs` at most, so that a steady stream of
 * requests delays it by that much and no more). On one event loop this is what keeps a burst of
 * POSTs from sharing the CPU with the triggers of the first ones. The waiting work is let go one
 * piece per turn of the event loop, so that fifty triggers do not start as one long task in front
 * of the next request.
 */
export class Foreground {
  private active = 0;
  private readonly waiters = new Set<() => void>();
  private draining = false;

  /** Marks work a caller waits on; call the returned function (once or more) when it is done. */
  begin(): () => void {
    this.active += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active -= 1;
      if (this.active === 0) this.drain();
    };
  }

  /** Resolves once no foreground work is in progress, or after `maxWaitMs`. */
  quiet(maxWaitMs: number): Promise<void> {
    if (this.active === 0 && this.waiters.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, maxWaitMs);
      this.waiters.add(wake);
      if (this.active === 0) this.drain();
    });
  }

  /** Wakes the first waiter on the next turn, and the next one on the turn after, while nothing is in the foreground. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => {
      this.draining = false;
      if (this.active > 0) return;
      const [first] = this.waiters;
      first?.();
      if (this.waiters.size > 0) this.drain();
    });
  }

  /** Foreground work in progress (for tests and metrics). */
  get size(): number {
    return this.active;
  }
}
