import type { SlidingWindow, WindowTicket } from './sliding-window';

export interface WindowQueueOptions {
  window: SlidingWindow;
  /**
   * Places each priority leaves free in the window for more urgent work, by priority (0 is the most
   * urgent; priorities past the end use the last entry). Must not decrease.
   */
  reserves: readonly number[];
  now?: () => number;
}

/** Thrown to whoever still waits when the queue stops. */
export class QueueStoppedError extends Error {
  override readonly name = 'QueueStoppedError';
}

export interface Waiter {
  priority: number;
  resolve(ticket: WindowTicket): void;
  reject(err: Error): void;
}

/**
 * The waiting line of a window, local or shared: most urgent first and first come first served
 * within a priority, a pause and a restriction after a server's 429, and a stop. What a place costs
 * and when the head may have one is the subclass's `pump`.
 */
export abstract class PlaceWaiters {
  protected readonly waiters: Waiter[] = [];
  protected readonly now: () => number;
  protected pausedUntil = -Infinity;
  protected restriction?: { limit: number; until: number };
  protected timer?: NodeJS.Timeout;
  protected stopped = false;

  constructor(
    reserves: readonly number[],
    private readonly windowLimit: number,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
    for (let i = 1; i < reserves.length; i += 1) {
      if ((reserves[i] as number) < (reserves[i - 1] as number)) throw new RangeError('reserves must not decrease');
    }
  }

  /** Resolves with a place in the window once `priority` may have one; settle or cancel it. */
  acquire(priority: number): Promise<WindowTicket> {
    if (this.stopped) return Promise.reject(new QueueStoppedError('stopped'));
    return new Promise<WindowTicket>((resolve, reject) => {
      let i = this.waiters.length;
      while (i > 0 && (this.waiters[i - 1] as Waiter).priority > priority) i -= 1;
      this.waiters.splice(i, 0, { priority, resolve, reject });
      this.pump();
    });
  }

  /** Nothing goes before `at` (a server said to come back then). */
  pauseUntil(at: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, at);
    this.pump();
  }

  /** Until `until`, fill the window to `limit` at most instead of the window's own limit. */
  restrict(limit: number, until: number): void {
    this.restriction = { limit: Math.max(1, Math.min(limit, this.windowLimit)), until };
    this.pump();
  }

  /** Work waiting for a place. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Rejects whoever waits, and whoever comes later. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const waiter of this.waiters.splice(0)) waiter.reject(new QueueStoppedError('stopped'));
  }

  /** Hands places to the head of the line while it may have one. */
  protected abstract pump(): void;
}

/**
 * Hands out places in a sliding window, most urgent first and first come first served within a
 * priority. Less urgent work leaves `reserves` places free, so that urgent work arriving while the
 * window is busy still goes at once. Since reserves never decrease with the priority number, work
 * that cannot go now holds up only less urgent work behind it, never more urgent work.
 */
export class WindowQueue extends PlaceWaiters {
  constructor(private readonly options: WindowQueueOptions) {
    super(options.reserves, options.window.limit, options.now);
  }

  protected override pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (!this.stopped && this.waiters.length > 0) {
      const head = this.waiters[0] as Waiter;
      const wait = this.waitMs(head.priority, this.now());
      if (wait > 0) {
        // Infinity: an open place must settle first, and settling pumps.
        if (Number.isFinite(wait)) {
          this.timer = setTimeout(() => this.pump(), Math.ceil(wait));
          this.timer.unref();
        }
        return;
      }
      this.waiters.shift();
      head.resolve(this.ticket());
    }
  }

  private waitMs(priority: number, now: number): number {
    const { window, reserves } = this.options;
    const reserve = reserves[Math.min(priority, reserves.length - 1)] ?? 0;
    let wait = window.waitMs(now, reserve);
    const r = this.restriction;
    if (r && now < r.until) {
      const restricted = window.waitMs(now, reserve + window.limit - r.limit);
      // Either the window thins out to the restricted limit, or the restriction ends.
      wait = Math.min(restricted, Math.max(r.until - now, wait));
    }
    return Math.max(0, this.pausedUntil - now, wait);
  }

  /** A window place whose settling or cancelling may let the next one go. */
  private ticket(): WindowTicket {
    const inner = this.options.window.open();
    return {
      settle: (at) => {
        inner.settle(at);
        this.pump();
      },
      cancel: () => {
        inner.cancel();
        this.pump();
      },
    };
  }
}
