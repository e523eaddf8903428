/**
 * The one switch between a budget kept in this process and one kept in Redis for every replica: each
 * budget (Checkly's account, Slack's posts per channel, Slack's updates per workspace) asks here for
 * its queue or its window, and never looks at which it got.
 */
import { RedisSlidingWindow, type SharedBudgetPlace, type TakeResult } from './redis-window';
import { SharedWindowQueue, type PlaceQueue } from './shared-window-queue';
import { SlidingWindow, type WindowTicket } from './sliding-window';
import { WindowQueue } from './window-queue';

export interface PlaceQueueOptions {
  /** This process's own window: the budget itself, or beside a shared one this replica's count. */
  window: SlidingWindow;
  /** Places each priority leaves free for more urgent work (must not decrease). */
  reserves: readonly number[];
  /** In Redis, for every replica: where, and how long a taken place may stay open before it settles. */
  shared?: SharedBudgetPlace & { openMs: number };
  /** Redis did not answer (it is asked again a second later). */
  onSharedError?: (err: unknown) => void;
  now?: () => number;
}

/** A queue over `window`, or over the same window in Redis when `shared` says where. */
export function placeQueue(options: PlaceQueueOptions): PlaceQueue {
  const { window, reserves, shared, now } = options;
  if (!shared) return new WindowQueue({ window, reserves, now });
  return new SharedWindowQueue({
    window: new RedisSlidingWindow({ redis: shared.redis, key: shared.key, limit: window.limit, windowMs: window.windowMs, openMs: shared.openMs }),
    reserves,
    now,
    onError: options.onSharedError,
  });
}

/**
 * A window taken place by place, here or in Redis: `waitMs` says when a place fits here (shared, 0:
 * Redis is asked at `take`), and a place taken in Redis counts in this replica's own window too.
 */
export class PlaceWindow {
  readonly local: SlidingWindow;
  private readonly shared?: RedisSlidingWindow;

  constructor(limit: number, windowMs: number, shared?: SharedBudgetPlace & { openMs: number }) {
    this.local = new SlidingWindow(limit, windowMs);
    if (shared) this.shared = new RedisSlidingWindow({ redis: shared.redis, key: shared.key, limit, windowMs, openMs: shared.openMs });
  }

  /** Milliseconds until a place fits while leaving `reserve` free; shared, always 0 (see `take`). */
  waitMs(now: number, reserve: number): number {
    return this.shared ? 0 : this.local.waitMs(now, reserve);
  }

  /**
   * A place leaving `reserve` free, or how long until one may be: at once here, from Redis when
   * shared (rejecting when Redis does not answer).
   */
  take(now: number, reserve: number): TakeResult | Promise<TakeResult> {
    if (!this.shared) {
      const waitMs = this.local.waitMs(now, reserve);
      return waitMs > 0 ? { waitMs } : { ticket: this.local.open() };
    }
    return this.takeShared(this.shared, reserve);
  }

  private async takeShared(shared: RedisSlidingWindow, reserve: number): Promise<TakeResult> {
    const taken = await shared.take(reserve);
    if ('waitMs' in taken) return taken;
    const local = this.local.open();
    const both: WindowTicket = {
      settle: (at) => {
        taken.ticket.settle(at);
        local.settle(at);
      },
      cancel: () => {
        taken.ticket.cancel();
        local.cancel();
      },
    };
    return { ticket: both };
  }

  /** Places counted here (this replica's, when shared). */
  used(now: number): number {
    return this.local.used(now);
  }
}
