import type { RedisSlidingWindow } from './redis-window';
import type { WindowTicket } from './sliding-window';
import { QueueStoppedError, type WindowQueue } from './window-queue';

/** What the budgets need of a queue, local or shared. */
export type PlaceQueue = Pick<WindowQueue, 'acquire' | 'pauseUntil' | 'restrict' | 'waiting' | 'stop'>;

export interface SharedWindowQueueOptions {
  window: RedisSlidingWindow;
  /** As in WindowQueue: places each priority leaves free for more urgent work (must not decrease). */
  reserves: readonly number[];
  /**
   * Longest wait before asking Redis again. Another replica's place may settle or be cancelled
   * earlier than the window says, and no one tells this one.
   */
  recheckMs?: number;
  /** Pause after Redis failed to answer, before asking again. */
  retryMs?: number;
  onError?: (err: unknown) => void;
  now?: () => number;
}

interface Waiter {
  priority: number;
  resolve(ticket: WindowTicket): void;
  reject(err: Error): void;
}

/**
 * WindowQueue over a window kept in Redis for every replica: the same order (most urgent first,
 * first come first served within a priority) and the same reserves, so finals and triggers still go
 * first across replicas; the pause and restriction after a 429 stay this replica's own. The head
 * waiter asks Redis for a place; when there is none it asks again when the window says one frees up,
 * or after `recheckMs` at most.
 */
export class SharedWindowQueue implements PlaceQueue {
  private readonly waiters: Waiter[] = [];
  private readonly now: () => number;
  private pausedUntil = -Infinity;
  private restriction?: { limit: number; until: number };
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private again = false;
  private stopped = false;

  constructor(private readonly options: SharedWindowQueueOptions) {
    this.now = options.now ?? Date.now;
    for (let i = 1; i < options.reserves.length; i += 1) {
      if ((options.reserves[i] as number) < (options.reserves[i - 1] as number)) throw new RangeError('reserves must not decrease');
    }
  }

  acquire(priority: number): Promise<WindowTicket> {
    if (this.stopped) return Promise.reject(new QueueStoppedError('stopped'));
    return new Promise<WindowTicket>((resolve, reject) => {
      let i = this.waiters.length;
      while (i > 0 && (this.waiters[i - 1] as Waiter).priority > priority) i -= 1;
      this.waiters.splice(i, 0, { priority, resolve, reject });
      this.pump();
    });
  }

  pauseUntil(at: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, at);
    this.pump();
  }

  restrict(limit: number, until: number): void {
    this.restriction = { limit: Math.max(1, Math.min(limit, this.options.window.limit)), until };
    this.pump();
  }

  get waiting(): number {
    return this.waiters.length;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const waiter of this.waiters.splice(0)) waiter.reject(new QueueStoppedError('stopped'));
  }

  /** One pump at a time: a call while one runs makes it go round once more. */
  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    void this.drain().finally(() => {
      this.pumping = false;
      if (this.again) {
        this.again = false;
        this.pump();
      }
    });
  }

  private async drain(): Promise<void> {
    const { window, reserves } = this.options;
    const recheckMs = this.options.recheckMs ?? 250;
    while (!this.stopped && this.waiters.length > 0) {
      this.again = false;
      const head = this.waiters[0] as Waiter;
      const now = this.now();
      if (now < this.pausedUntil) return this.wakeIn(this.pausedUntil - now);
      let reserve = reserves[Math.min(head.priority, reserves.length - 1)] ?? 0;
      let restrictedFor = Infinity;
      const r = this.restriction;
      if (r && now < r.until) {
        reserve += window.limit - r.limit;
        restrictedFor = r.until - now;
      }
      let taken;
      try {
        taken = await window.take(reserve);
      } catch (err) {
        this.options.onError?.(err);
        return this.wakeIn(this.options.retryMs ?? 1000);
      }
      if ('waitMs' in taken) {
        // A more urgent waiter may have come meanwhile: it is the head now, and may fit.
        if (this.again) continue;
        return this.wakeIn(Math.min(taken.waitMs, restrictedFor, recheckMs));
      }
      if (this.stopped) {
        taken.ticket.cancel();
        return;
      }
      // The head may have changed while Redis answered; the place goes to whoever is first now.
      const first = this.waiters.shift() as Waiter;
      first.resolve(this.wrap(taken.ticket));
    }
  }

  private wakeIn(ms: number): void {
    this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(ms)));
    this.timer.unref();
  }

  private wrap(inner: WindowTicket): WindowTicket {
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
