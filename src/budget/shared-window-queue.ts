import type { RedisSlidingWindow, TakeResult } from './redis-window';
import type { WindowTicket } from './sliding-window';
import { PlaceWaiters, type Waiter, type WindowQueue } from './window-queue';

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

/**
 * WindowQueue over a window kept in Redis for every replica: the same order (most urgent first,
 * first come first served within a priority) and the same reserves, so finals and triggers still go
 * first across replicas; the pause and restriction after a 429 stay this replica's own. The head
 * waiter asks Redis for a place; when there is none it asks again when the window says one frees up,
 * or after `recheckMs` at most.
 */
export class SharedWindowQueue extends PlaceWaiters implements PlaceQueue {
  private pumping = false;
  private again = false;

  constructor(private readonly options: SharedWindowQueueOptions) {
    super(options.reserves, options.window.limit, options.now);
  }

  /** One pump at a time: a call while one runs makes it go round once more. */
  protected override pump(): void {
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
      let taken: TakeResult;
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
