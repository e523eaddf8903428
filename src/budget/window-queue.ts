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

interface Waiter {
  priority: number;
  seq: number;
  resolve(ticket: WindowTicket): void;
  reject(err: Error): void;
}

/**
 * Hands out places in a sliding window, most urgent first and first come first served within a
 * priority. Less urgent work leaves `reserves` places free, so that urgent work arriving while the
 * window is busy still goes at once. Since reserves never decrease with the priority number, work
 * that cannot go now holds up only less urgent work behind it, never more urgent work.
 */
export class WindowQueue {
  private readonly waiters: Waiter[] = [];
  private readonly now: () => number;
  private seq = 0;
  private pausedUntil = -Infinity;
  private restriction?: { limit: number; until: number };
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: WindowQueueOptions) {
    this.now = options.now ?? Date.now;
    for (let i = 1; i < options.reserves.length; i += 1) {
      if ((options.reserves[i] as number) < (options.reserves[i - 1] as number)) throw new RangeError('reserves must not decrease');
    }
  }

  /** Resolves with a place in the window once `priority` may have one; settle or cancel it. */
  acquire(priority: number): Promise<WindowTicket> {
    if (this.stopped) return Promise.reject(new QueueStoppedError('stopped'));
    return new Promise<WindowTicket>((resolve, reject) => {
      const waiter: Waiter = { priority, seq: this.seq++, resolve, reject };
      let i = this.waiters.length;
      while (i > 0 && (this.waiters[i - 1] as Waiter).priority > priority) i -= 1;
      this.waiters.splice(i, 0, waiter);
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
    this.restriction = { limit: Math.max(1, Math.min(limit, this.options.window.limit)), until };
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

  private pump(): void {
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
