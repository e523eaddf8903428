import { SlidingWindow } from '../budget/sliding-window';
import { QueueStoppedError, WindowQueue } from '../budget/window-queue';
import type { Logger } from '../log';
import type { ResponseInfo } from './client';
import { RequestAbortedError } from './errors';
import type { ChecklyOperation } from './operation';

/**
 * 0: a person is waiting for it (a trigger from a command or a button, a cancel). 1: a failing row's
 * error line. 2: following sessions, which the long polls do at leisure.
 */
export const OPERATION_PRIORITY: Readonly<Record<ChecklyOperation, number>> = {
  trigger: 0,
  cancel: 0,
  result: 1,
  session: 2,
  completion: 2,
};

export interface ChecklyBudgetOptions {
  /** Requests in any 60 s, retries included. */
  maxRequestsPerMinute: number;
  /** Places that following sessions leave free for triggers and cancels (default: a tenth of the budget); error lines leave half as many. */
  reserve?: number;
  /**
   * How long a request counts from its start (default 61 s). Checkly counts a minute from the request's
   * arrival, which comes a little after our count; the extra second keeps the two windows apart.
   */
  windowMs?: number;
  /** Pause after a 429 that says nothing about when to come back. */
  defaultRetryAfterMs?: number;
  now?: () => number;
  logger?: Logger;
}

/**
 * The one gate for every HTTP attempt to Checkly, wired into ChecklyClient's `beforeRequest` and
 * `onResponse`. It never lets more than the budget through in any sliding minute. Requests wait in
 * priority order: a trigger or cancel goes before any waiting poll, and polls stop short of the
 * budget by `reserve` places, so a trigger arriving while polls fill the window still goes at once.
 * A 429 means someone else spends the account's requests too: everything pauses for Retry-After,
 * then runs at half the budget for a window.
 */
export class ChecklyBudget {
  readonly limit: number;
  private readonly window: SlidingWindow;
  private readonly queue: WindowQueue;
  private readonly now: () => number;
  private rateLimitedCount = 0;

  constructor(private readonly options: ChecklyBudgetOptions) {
    this.limit = options.maxRequestsPerMinute;
    this.now = options.now ?? Date.now;
    this.window = new SlidingWindow(this.limit, options.windowMs ?? 61_000);
    const reserve = Math.min(this.limit - 1, options.reserve ?? Math.ceil(this.limit / 10));
    this.queue = new WindowQueue({ window: this.window, reserves: [0, Math.ceil(reserve / 2), reserve], now: this.now });
  }

  /** For ChecklyClient's `beforeRequest`: resolves when the attempt may go. */
  readonly beforeRequest = async (op: ChecklyOperation): Promise<void> => {
    let ticket;
    try {
      ticket = await this.queue.acquire(OPERATION_PRIORITY[op]);
    } catch (err) {
      if (err instanceof QueueStoppedError) {
        throw new RequestAbortedError({ operation: op, path: '', checklyMessage: 'Shutting down.', neverSent: true });
      }
      throw err;
    }
    // Counted from the start: Checkly counts at arrival, and a long poll may be answered 30 s later.
    ticket.settle(this.now());
  };

  /** For ChecklyClient's `onResponse`. */
  readonly onResponse = (info: ResponseInfo): void => {
    if (info.status !== 429) return;
    this.rateLimitedCount += 1;
    const now = this.now();
    const waitMs = info.retryAfterMs ?? this.options.defaultRetryAfterMs ?? 5_000;
    this.queue.pauseUntil(now + waitMs);
    this.queue.restrict(Math.ceil(this.limit / 2), now + waitMs + this.window.windowMs);
    this.options.logger?.warn({ op: info.op, retryAfterMs: waitMs }, 'Checkly answered 429: pausing every request, then half the budget for a minute');
  };

  /** Requests waiting for a place (for metrics). */
  get waiting(): number {
    return this.queue.waiting;
  }

  /** Requests counted in the current window. */
  used(): number {
    return this.window.used(this.now());
  }

  /** 429s seen since start. */
  get rateLimited(): number {
    return this.rateLimitedCount;
  }

  /** Waiting requests fail as aborted; so do later ones. */
  stop(): void {
    this.queue.stop();
  }
}
