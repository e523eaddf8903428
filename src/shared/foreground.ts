/**
 * Work a caller waits on comes before work nobody waits on. A run API request holds the foreground
 * from its arrival until its answer is sent; an API run's trigger, which the answer does not wait
 * for, waits until no answer is being prepared (or `maxWaitMs` at most, so that a steady stream of
 * requests delays it by that much and no more). On one event loop this is what keeps a burst of
 * POSTs from sharing the CPU with the triggers of the first ones.
 */
export class Foreground {
  private active = 0;
  private readonly waiters = new Set<() => void>();

  /** Marks work a caller waits on; call the returned function (once or more) when it is done. */
  begin(): () => void {
    this.active += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active -= 1;
      if (this.active === 0) for (const wake of [...this.waiters]) wake();
    };
  }

  /** Resolves once no foreground work is in progress, or after `maxWaitMs`. */
  quiet(maxWaitMs: number): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, maxWaitMs);
      this.waiters.add(wake);
    });
  }

  /** Foreground work in progress (for tests and metrics). */
  get size(): number {
    return this.active;
  }
}
