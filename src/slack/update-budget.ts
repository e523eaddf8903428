import { PlaceWindow } from '../budget/places';
import type { SharedBudgetPlace, TakeResult } from '../budget/redis-window';
import type { WindowTicket } from '../budget/sliding-window';
import { TokenBucket } from '../budget/token-bucket';

/**
 * How an update went: Slack's answer decides whether the budget tries again. 'failed': Slack's own
 * trouble (`internal_error`, a 5xx, no answer), which may pass; 'refused': Slack refused this update
 * (trying it again as it is would not help); 'gone': the message or its channel is gone for good.
 */
export type UpdateResult = 'sent' | 'unchanged' | 'failed' | 'refused' | 'gone' | { retryAfterMs: number };

export interface UpdateJob {
  /** A final state: goes before every intermediate one, and may use the places they leave free. */
  final: boolean;
  /**
   * Sends the message's latest state, or answers 'unchanged' without calling Slack when the message
   * already shows it. Never called twice at once for one message.
   */
  send(): Promise<UpdateResult>;
}

export interface UpdateBudgetOptions {
  /** `chat.update` calls per workspace in any 60 s (Slack's Tier 3 is about 50). */
  maxUpdatesPerMinute: number;
  /** Least time between two updates of one message. */
  intervalMs: number;
  /** Places intermediate states leave free for final ones (default: a quarter of the budget). */
  finalReserve?: number;
  /** Intermediate states that may go at once before they are spread evenly (default: a tenth of the budget). */
  burst?: number;
  windowMs?: number;
  /**
   * Each workspace's window in Redis (a sorted set at `key` + team id), shared by every replica: the
   * budget is then the workspace's, not this process's.
   */
  shared?: SharedBudgetPlace;
  /** Redis did not answer a shared budget (it is asked again a second later). */
  onSharedError?: (err: unknown) => void;
  now?: () => number;
}

/** Longest a `chat.update` may stay unanswered, its client's retries included: a shared place counts that long at most. */
const UPDATE_OPEN_MS = 60_000;
/** Longest wait before a shared window is asked again (another replica's place may free up early). */
const SHARED_RECHECK_MS = 250;
/**
 * A final state that failed is tried again after 1 s, then 2, 4, 8 and 16 s (31 s in all), within the
 * budget like any update; past that, its requester hears it was not shown (and tries later).
 */
const FINAL_RETRY_FIRST_MS = 1000;
const FINAL_RETRIES = 5;

interface Pending {
  key: string;
  final: boolean;
  send: () => Promise<UpdateResult>;
  /** Since when the message has had something new to show. */
  since: number;
  /** Requests this update answers. */
  waiters: Array<() => void>;
  /** A final state that failed: how many times, and not sent again before `notBefore`. */
  failures?: number;
  notBefore?: number;
}

interface MessageTimes {
  /** When its last update was answered. */
  lastDoneAt: number;
  inFlight: boolean;
}

interface Workspace {
  /** Shared, the window every replica counts in (this replica's count kept beside it). */
  window: PlaceWindow;
  /** A place is being asked of the window. */
  taking: boolean;
  /** Spreads intermediate states evenly over the minute. */
  pace: TokenBucket;
  pending: Map<string, Pending>;
  messages: Map<string, MessageTimes>;
  pausedUntil: number;
  timer?: NodeJS.Timeout;
}

/**
 * The `chat.update` scheduler: one budget per workspace (Slack's limit is per workspace and method),
 * never more than `maxUpdatesPerMinute` in any sliding minute, each counted until a minute after
 * Slack answered it. Per message, only the latest state waits: a newer request replaces an older one
 * that has not gone yet, so overtaken intermediate states are dropped, never queued. When the budget
 * is short, final states go first (oldest first); intermediate ones leave `finalReserve` places free
 * for them and go oldest change first, so that every running message gets its turn. They are also
 * spread evenly over the minute: sent in a burst, they would leave the window together a minute
 * later, and a final state arriving in between would find no place for that long. No message is
 * updated twice within `intervalMs`. A 429 pauses the workspace for its Retry-After. A final state
 * that failed otherwise is tried again, backing off from a second (FINAL_RETRIES).
 */
export class UpdateBudget {
  private readonly workspaces = new Map<string, Workspace>();
  private readonly now: () => number;
  private readonly finalReserve: number;
  private stopped = false;

  constructor(private readonly options: UpdateBudgetOptions) {
    this.now = options.now ?? Date.now;
    const limit = options.maxUpdatesPerMinute;
    this.finalReserve = Math.min(limit - 1, options.finalReserve ?? Math.ceil(limit / 4));
  }

  /**
   * Asks for message `key` of workspace `teamId` to be updated. Resolves once an update that started
   * after this request was answered (sent, failed or found unchanged); never rejects.
   */
  request(teamId: string, key: string, job: UpdateJob): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const ws = this.workspace(teamId);
    return new Promise<void>((resolve) => {
      const pending = ws.pending.get(key);
      if (pending) {
        pending.send = job.send;
        pending.final = pending.final || job.final;
        pending.waiters.push(resolve);
      } else {
        ws.pending.set(key, { key, final: job.final, send: job.send, since: this.now(), waiters: [resolve] });
      }
      this.pump(ws);
    });
  }

  /** Updates waiting for their turn, across workspaces (for metrics). */
  get waiting(): number {
    let n = 0;
    for (const ws of this.workspaces.values()) n += ws.pending.size;
    return n;
  }

  /** Calls counted in a workspace's current window. */
  used(teamId: string): number {
    return this.workspaces.get(teamId)?.window.used(this.now()) ?? 0;
  }

  /**
   * Drops whatever waits, and resolves its requests without sending: on shutdown the next process
   * renders afresh. A waiting final state must not hold up shutdown, nor be taken for shown: its
   * requester learns it was not sent (see SlackRunMessages.finished).
   */
  stop(): void {
    this.stopped = true;
    for (const ws of this.workspaces.values()) {
      clearTimeout(ws.timer);
      const waiting = [...ws.pending.values()];
      ws.pending.clear();
      for (const p of waiting) for (const resolve of p.waiters) resolve();
    }
  }

  private workspace(teamId: string): Workspace {
    let ws = this.workspaces.get(teamId);
    if (!ws) {
      const limit = this.options.maxUpdatesPerMinute;
      const windowMs = this.options.windowMs ?? 60_000;
      const { shared } = this.options;
      ws = {
        window: new PlaceWindow(limit, windowMs, shared && { ...shared, key: `${shared.key}${teamId}`, openMs: UPDATE_OPEN_MS }),
        pace: new TokenBucket(Math.max(1, this.options.burst ?? Math.ceil(limit / 10)), ((limit - this.finalReserve) / windowMs) * 1000, this.now()),
        pending: new Map(),
        messages: new Map(),
        pausedUntil: -Infinity,
        taking: false,
      };
      this.workspaces.set(teamId, ws);
    }
    return ws;
  }

  private pump(ws: Workspace): void {
    clearTimeout(ws.timer);
    ws.timer = undefined;
    if (this.stopped || ws.taking) return;
    for (;;) {
      const now = this.now();
      this.forgetIdle(ws, now);
      if (ws.pending.size === 0) return;
      const next = now < ws.pausedUntil ? { wakeAt: ws.pausedUntil } : this.choose(ws, now);
      if ('wakeAt' in next) {
        // Infinity: waiting for an update in flight, whose answer pumps again.
        if (Number.isFinite(next.wakeAt)) this.wakeIn(ws, next.wakeAt - now);
        return;
      }
      const taken = ws.window.take(now, next.pending.final ? 0 : this.finalReserve);
      if (taken instanceof Promise) {
        this.takeShared(ws, next.pending, taken);
        return;
      }
      // Here, the place `choose` saw is there: the update goes now, and the next is chosen.
      if ('waitMs' in taken) {
        if (Number.isFinite(taken.waitMs)) this.wakeIn(ws, taken.waitMs);
        return;
      }
      this.send(ws, next.pending, taken.ticket);
    }
  }

  private wakeIn(ws: Workspace, ms: number): void {
    clearTimeout(ws.timer);
    ws.timer = setTimeout(() => this.pump(ws), Math.max(1, Math.ceil(ms)));
    ws.timer.unref();
  }

  /** The update to send now, or when to look again. */
  private choose(ws: Workspace, now: number): { pending: Pending } | { wakeAt: number } {
    let final: Pending | undefined;
    let other: Pending | undefined;
    let readyAt = Infinity;
    for (const p of ws.pending.values()) {
      const times = ws.messages.get(p.key);
      if (times?.inFlight) continue;
      const ready = Math.max(times ? times.lastDoneAt + this.options.intervalMs : -Infinity, p.notBefore ?? -Infinity);
      if (ready > now) {
        readyAt = Math.min(readyAt, ready);
      } else if (p.final) {
        if (!final || p.since < final.since) final = p;
      } else if (!other || p.since < other.since) {
        other = p;
      }
    }
    let wakeAt = readyAt;
    // Shared, the window is asked in Redis once an update is chosen (take).
    const windowWait = (reserve: number): number => ws.window.waitMs(now, reserve);
    if (final) {
      const wait = windowWait(0);
      if (wait === 0) return { pending: final };
      wakeAt = Math.min(wakeAt, now + wait);
    }
    if (other) {
      const wait = Math.max(windowWait(this.finalReserve), ws.pace.waitMs(now));
      if (wait === 0) return { pending: other };
      wakeAt = Math.min(wakeAt, now + wait);
    }
    return { wakeAt };
  }

  /**
   * Waits for the place Redis is asked for `p` (finals may use the reserve, others leave it), then
   * sends the newest state of its message; with no place (another replica took it), looks again when
   * one may free up, or after SHARED_RECHECK_MS at most.
   */
  private takeShared(ws: Workspace, p: Pending, taking: Promise<TakeResult>): void {
    ws.taking = true;
    const again = (ms: number): void => {
      ws.taking = false;
      this.wakeIn(ws, ms);
    };
    taking.then(
      (taken) => {
        if ('waitMs' in taken) return again(Math.min(taken.waitMs, SHARED_RECHECK_MS));
        ws.taking = false;
        const newest = ws.pending.get(p.key);
        if (this.stopped || newest === undefined) {
          taken.ticket.cancel();
          return this.pump(ws);
        }
        // The newest state of the message goes (a newer request replaces the pending one).
        this.send(ws, newest, taken.ticket);
        this.pump(ws);
      },
      (err: unknown) => {
        this.options.onSharedError?.(err);
        again(1000);
      },
    );
  }

  private send(ws: Workspace, p: Pending, ticket: WindowTicket): void {
    ws.pending.delete(p.key);
    if (!p.final) ws.pace.take(this.now());
    let times = ws.messages.get(p.key);
    if (!times) {
      times = { lastDoneAt: -Infinity, inFlight: false };
      ws.messages.set(p.key, times);
    }
    const messageTimes = times;
    messageTimes.inFlight = true;
    const done = (result: UpdateResult): void => {
      const at = this.now();
      messageTimes.inFlight = false;
      if (result === 'unchanged') {
        ticket.cancel();
        if (!p.final) ws.pace.putBack();
      } else {
        ticket.settle(at);
        messageTimes.lastDoneAt = at;
      }
      if (typeof result === 'object') {
        ws.pausedUntil = Math.max(ws.pausedUntil, at + result.retryAfterMs);
        this.requeue(ws, p);
      } else if (result === 'failed' && p.final && (p.failures ?? 0) < FINAL_RETRIES && !this.stopped) {
        // A final state is what people wait for: Slack's hiccup is waited out here, backing off.
        p.failures = (p.failures ?? 0) + 1;
        p.notBefore = at + FINAL_RETRY_FIRST_MS * 2 ** (p.failures - 1);
        this.requeue(ws, p);
      } else {
        for (const resolve of p.waiters) resolve();
      }
      this.pump(ws);
    };
    p.send().then(done, () => done('failed'));
  }

  /** A rate-limited update waits again, unless a newer state for its message already does. */
  private requeue(ws: Workspace, p: Pending): void {
    const newer = ws.pending.get(p.key);
    if (newer) {
      newer.waiters.unshift(...p.waiters);
      newer.final = newer.final || p.final;
      newer.since = Math.min(newer.since, p.since);
      if (p.failures !== undefined) {
        newer.failures = Math.max(newer.failures ?? 0, p.failures);
        newer.notBefore = Math.max(newer.notBefore ?? -Infinity, p.notBefore ?? -Infinity);
      }
    } else {
      ws.pending.set(p.key, p);
    }
  }

  private forgetIdle(ws: Workspace, now: number): void {
    for (const [key, times] of ws.messages) {
      if (!times.inFlight && !ws.pending.has(key) && times.lastDoneAt + this.options.intervalMs <= now) ws.messages.delete(key);
    }
  }
}
