import { placeQueue } from '../budget/places';
import type { SharedBudgetPlace } from '../budget/redis-window';
import type { PlaceQueue } from '../budget/shared-window-queue';
import { SlidingWindow, type WindowTicket } from '../budget/sliding-window';
import { QueueStoppedError } from '../budget/window-queue';
import type { Logger } from '../shared/log';
import { errorText } from '../shared/error-text';
import type { ResponseInfo } from './client';
import { RequestAbortedError } from './errors';
import type { ChecklyOperation } from './operation';

/**
 * 0: a person is waiting for it (a trigger from a command or a button, a cancel). 1: a failing row's
 * error line, a Details modal someone just opened, and the catalogue (a person waits for it too, but
 * a cold fetch is 20 pages that must not crowd out a trigger). 2: following sessions, which the long
 * polls do at leisure. 3: the failure evidence of a finished run's thread reply (results,
 * screenshots): it must never slow down learning that a running session is final.
 */
const OPERATION_PRIORITY: Readonly<Record<ChecklyOperation, number>> = {
  trigger: 0,
  cancel: 0,
  result: 1,
  checks: 1,
  check: 1,
  groups: 1,
  statuses: 1,
  alerts: 1,
  session: 2,
  completion: 2,
  evidence: 3,
  assets: 3,
  asset: 3,
  // Once, at start-up (the key check).
  account: 0,
  // An admin waiting for `/checkly alerts on` to answer.
  'alert-channel-create': 0,
  'alert-channel': 0,
};

/** A place taken ahead by `reserve` and not used within this long is given back. */
const RESERVATION_TTL_MS = 2_000;

interface Reservation {
  ticket: WindowTicket;
  timer: NodeJS.Timeout;
}

export interface ChecklyBudgetOptions {
  /** Requests in any 60 s, retries included. */
  maxRequestsPerMinute: number;
  /**
   * Places that following sessions leave free for triggers and cancels (default: a tenth of the budget);
   * error lines leave half as many, failure evidence twice as many.
   */
  reserve?: number;
  /**
   * How long a request counts from its start (default 61 s). Checkly counts a minute from the request's
   * arrival, which comes a little after our count; the extra second keeps the two windows apart.
   */
  windowMs?: number;
  /** Pause after a 429 that says nothing about when to come back. */
  defaultRetryAfterMs?: number;
  /**
   * The account's window in Redis (a sorted set at `key`), shared by every replica: the budget is then
   * the account's, not this process's.
   */
  shared?: SharedBudgetPlace;
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
  private readonly queue: PlaceQueue;
  private readonly now: () => number;
  private readonly reservations = new Map<ChecklyOperation, Reservation[]>();
  private rateLimitedCount = 0;

  constructor(private readonly options: ChecklyBudgetOptions) {
    this.limit = options.maxRequestsPerMinute;
    this.now = options.now ?? Date.now;
    this.window = new SlidingWindow(this.limit, options.windowMs ?? 61_000);
    const reserve = Math.min(this.limit - 1, options.reserve ?? Math.ceil(this.limit / 10));
    const reserves = [0, Math.ceil(reserve / 2), reserve, Math.min(this.limit - 1, 2 * reserve)];
    const { shared, logger } = options;
    this.queue = placeQueue({
      window: this.window,
      reserves,
      // A place is open from its turn until its request starts: a reservation's life at most.
      ...(shared && { shared: { ...shared, openMs: RESERVATION_TTL_MS + 1_000 } }),
      onSharedError: (err) => logger?.warn({ err: errorText(err) }, 'the shared Checkly budget in Redis did not answer; waiting'),
      now: this.now,
    });
  }

  /** For ChecklyClient's `beforeRequest`: resolves when the attempt may go. */
  readonly beforeRequest = async (op: ChecklyOperation): Promise<void> => {
    const reserved = this.reservations.get(op)?.shift();
    const ticket = reserved ? reserved.ticket : await this.acquire(op);
    if (reserved) clearTimeout(reserved.timer);
    // Counted from the start: Checkly counts at arrival, and a long poll may be answered 30 s later.
    ticket.settle(this.now());
    // Shared, the window lives in Redis; this replica's own count is kept for `used`.
    if (this.options.shared) this.window.record(this.now());
  };

  /**
   * Takes a place for the next request of `op`, in its turn, before that request exists: the follower
   * waits here and only then picks which session to poll, so that the place goes to the session most
   * worth it at the moment it can be spent, not when the poll was queued. Unused, it is given back.
   */
  readonly reserve = async (op: ChecklyOperation): Promise<void> => {
    const ticket = await this.acquire(op);
    const reservation: Reservation = {
      ticket,
      timer: setTimeout(() => {
        const list = this.reservations.get(op) ?? [];
        const i = list.indexOf(reservation);
        if (i >= 0) list.splice(i, 1);
        ticket.cancel();
      }, RESERVATION_TTL_MS),
    };
    reservation.timer.unref();
    const list = this.reservations.get(op);
    if (list) list.push(reservation);
    else this.reservations.set(op, [reservation]);
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

  /** Requests counted in the current window (this replica's, when the window is shared). */
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
    for (const list of this.reservations.values()) for (const r of list.splice(0)) clearTimeout(r.timer);
  }

  private async acquire(op: ChecklyOperation): Promise<WindowTicket> {
    try {
      return await this.queue.acquire(OPERATION_PRIORITY[op]);
    } catch (err) {
      if (err instanceof QueueStoppedError) {
        throw new RequestAbortedError({ operation: op, path: '', checklyMessage: 'Shutting down.', neverSent: true });
      }
      throw err;
    }
  }
}
