import { setMaxListeners } from 'node:events';
import type { Logger } from '../shared/log';
import type { CheckHistory } from './duration-model';
import { PollChoice, type Candidate } from './poll-choice';
import { errorText } from '../shared/error-text';
import type { SessionWatcher } from './ports';
import { SessionGone, type FinalSession, type LocationResult, type SessionStatus } from './types';

/** What a session's completion tells the run. */
export interface SessionOutcome {
  status: SessionStatus;
  timeElapsed: number;
  failedLocations: string[];
  error?: string;
  /** Failing sessions only: where each location's result is, for the thread reply and Details. */
  results?: LocationResult[];
  /** Checkly retried it (see FinalSession.retried). */
  retried?: boolean;
}

/** A session to follow: its id, or its id with what places it among its check's sessions. */
export type SessionToFollow =
  | string
  | {
      sessionId: string;
      /** Lets the follower use what it knows of the check's sessions (its past ones, its response times). */
      checkId?: string;
      /** Sessions of one type relate alike to their checks' response times and past sessions. */
      checkType?: string;
      /** When the session started, or shortly before (epoch ms; default: now, capped at now). */
      startedAt?: number;
    };

/** Where the follower reads what is known of checks' sessions, and tells it what it saw end (TypicalDurations). */
export interface DurationSource {
  lookup(checkIds: readonly string[]): Promise<Map<string, CheckHistory>>;
  learn(checkId: string, ms: number): void;
}

export interface FollowerDeps {
  checkly: SessionWatcher;
  /** `maxWaitSeconds` of each long poll. */
  pollWaitSeconds: number;
  /**
   * Requests a minute the long polls may spend. A poll left waiting costs one request per
   * `pollWaitSeconds`, so this sets how many stay open at once.
   */
  pollRequestsPerMinute: number;
  /** A cap on open polls whatever the budget. */
  maxConcurrentPolls?: number;
  /**
   * Resolves when the request budget has a place for a poll (ChecklyBudget.reserve). The follower
   * then picks the session most worth it at that moment, rather than queueing polls of sessions
   * chosen earlier. Without it, polls go at once.
   */
  beforePoll?: () => Promise<void>;
  /** Pause before asking again about a session whose poll failed. */
  retryDelayMs: number;
  /**
   * What is known of checks' sessions, from the store and Checkly's statuses: a session is then polled
   * from where its end is likely on, and at once when it outlives that (see DurationModel).
   */
  durations?: DurationSource;
  logger: Logger;
  now?: () => number;
  /** Where final outcomes go; or set later with `deliverFinalsTo`, once their receiver exists. */
  onFinal?: FinalHandler;
}

export type FinalHandler = (runId: string, sessionId: string, outcome: SessionOutcome) => Promise<void>;

interface Entry extends Candidate {
  runId: string;
  sessionId: string;
  /** The session's final outcome, once known: kept until the run has recorded it. */
  outcome?: SessionOutcome;
}

/** A lookup of durations slower than this is not waited for: the sessions are followed without. */
const LOOKUP_WAIT_MS = 3_000;

/**
 * Follows check sessions until each is final, by long-polling Checkly's completion endpoint: a poll
 * answers the moment its session is final, so detection is immediate while a waiting session costs
 * one request per `pollWaitSeconds`. The budget pays for so many open polls; with `beforePoll`, each
 * waits for a place in the request budget, and the session is chosen when the place comes: overdue
 * or starved ones first, then those in the window where their end is likely, then the rest in
 * turn (poll-choice.ts). Polls of one session are chained until it is final.
 */
export class SessionFollower {
  private readonly followed = new Map<string, Entry>();
  /** Which session the next poll goes to (poll-choice.ts). */
  private readonly choice: PollChoice;
  private readonly abort = new AbortController();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly pollWaitMs: number;
  /** Polls open at once. */
  readonly concurrency: number;
  private active = 0;
  /** Places asked of the budget and not given yet. */
  private reserving = 0;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;
  private stopped = false;

  private onFinal: FinalHandler | undefined;

  constructor(private readonly options: FollowerDeps) {
    this.onFinal = options.onFinal;
    this.now = options.now ?? Date.now;
    this.pollWaitMs = options.pollWaitSeconds * 1000;
    this.choice = new PollChoice(this.pollWaitMs);
    const affordable = Math.max(1, Math.floor((options.pollRequestsPerMinute * options.pollWaitSeconds) / 60));
    this.concurrency = Math.max(1, Math.min(affordable, options.maxConcurrentPolls ?? Infinity));
    // Every open poll listens on the one stop signal: a hundred of them is expected, not a leak.
    setMaxListeners(0, this.abort.signal);
  }
  /**
   * Sends final outcomes to `handler` (the runner, which itself needs this follower: the cycle is
   * closed here, after both are built). An outcome that comes before is kept and tried again.
   */
  deliverFinalsTo(handler: FinalHandler): void {
    this.onFinal = handler;
  }

  follow(runId: string, sessions: readonly SessionToFollow[]): void {
    const now = this.now();
    const lookups: Entry[] = [];
    const added: Entry[] = [];
    for (const s of sessions) {
      const sessionId = typeof s === 'string' ? s : s.sessionId;
      if (this.followed.has(sessionId)) continue;
      const entry: Entry = { runId, sessionId, followedAt: now, startedAt: now, state: 'idle', boundMs: 0 };
      if (typeof s !== 'string') {
        if (s.checkId !== undefined) entry.checkId = s.checkId;
        if (s.checkType !== undefined) entry.checkType = s.checkType;
        if (s.startedAt !== undefined) entry.startedAt = Math.min(now, s.startedAt);
        if (s.checkId !== undefined && this.options.durations) {
          entry.lookingUp = true;
          lookups.push(entry);
        }
      }
      this.followed.set(sessionId, entry);
      added.push(entry);
    }
    const bound = this.starvationBoundMs();
    for (const entry of added) entry.boundMs = bound;
    if (lookups.length > 0) this.lookUp(lookups);
    this.pump();
  }

  /** Tells the model what is known of the entries' checks; after LOOKUP_WAIT_MS they are followed without. */
  private lookUp(entries: Entry[]): void {
    const durations = this.options.durations as DurationSource;
    const settle = (histories: Map<string, CheckHistory>): void => {
      clearTimeout(timer);
      for (const entry of entries) {
        if (!entry.lookingUp) continue;
        entry.lookingUp = false;
        const history = entry.checkId !== undefined ? histories.get(entry.checkId) : undefined;
        if (history) this.choice.know(entry.checkId as string, entry.checkType, history);
      }
      this.choice.replan();
      this.pump();
    };
    const timer = setTimeout(() => settle(new Map()), LOOKUP_WAIT_MS);
    timer.unref();
    durations.lookup([...new Set(entries.map((e) => e.checkId as string))]).then(settle, () => settle(new Map()));
  }

  /**
   * Final outcomes of a run's sessions known here but not recorded yet (recording failed and will
   * be tried again): whoever ends the run records them with it.
   */
  heldOutcomes(runId: string): Map<string, SessionOutcome> {
    const held = new Map<string, SessionOutcome>();
    for (const entry of this.followed.values()) if (entry.runId === runId && entry.outcome) held.set(entry.sessionId, entry.outcome);
    return held;
  }

  unfollowRun(runId: string): void {
    for (const [sessionId, entry] of this.followed) {
      if (entry.runId === runId) this.followed.delete(sessionId);
    }
    this.pump();
  }

  /** Sessions being followed. */
  get size(): number {
    return this.followed.size;
  }

  /** Sessions followed but not being polled right now (for metrics). */
  get waiting(): number {
    let n = 0;
    for (const entry of this.followed.values()) if (entry.state === 'idle' || entry.state === 'retrying') n += 1;
    return n;
  }

  /** The longest a session goes unasked while this many are followed. */
  starvationBoundMs(followed = this.followed.size): number {
    return 2 * this.pollWaitMs * Math.max(1, Math.ceil(followed / this.concurrency));
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    clearTimeout(this.wakeTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private pump(): void {
    if (this.stopped) return;
    while (this.active + this.reserving < this.concurrency) {
      const next = this.choice.pick(this.followed.values(), this.now(), this.starvationBoundMs());
      if (!next.entry) {
        this.wake(next.wakeAt);
        return;
      }
      if (next.eligible <= this.reserving) return; // enough places asked for already
      const { beforePoll } = this.options;
      if (!beforePoll) {
        void this.poll(next.entry);
        continue;
      }
      this.reserving += 1;
      beforePoll().then(
        () => this.reserved(),
        () => {
          this.reserving -= 1;
        },
      );
    }
  }

  /** A place in the budget: it goes to the session most worth it now (if none is, the budget takes it back). */
  private reserved(): void {
    this.reserving -= 1;
    if (this.stopped) return;
    const next = this.choice.pick(this.followed.values(), this.now(), this.starvationBoundMs());
    if (next.entry) void this.poll(next.entry);
    this.pump();
  }

  /** Pumps again at `at`, unless an earlier wake is already set. */
  private wake(at: number): void {
    if (at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    if (!Number.isFinite(at)) return;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeAt = Infinity;
        this.pump();
      },
      Math.max(1, Math.ceil(at - this.now())),
    );
    this.wakeTimer.unref();
  }

  private async poll(entry: Entry): Promise<void> {
    const { checkly } = this.options;
    entry.state = 'polling';
    this.active += 1;
    let completed: FinalSession | null;
    try {
      completed = await checkly.awaitFinal(entry.sessionId, this.options.pollWaitSeconds, this.abort.signal);
    } catch (err) {
      this.active -= 1;
      this.failed(entry, err);
      this.pump();
      return;
    }
    this.active -= 1;
    entry.answeredAt = this.now();
    if (this.stopped || this.followed.get(entry.sessionId) !== entry) return this.pump();
    if (!completed) {
      entry.state = 'idle';
      return this.pump();
    }
    // The poll's place goes to the next session now; the error line and the run's update follow.
    entry.state = 'finishing';
    this.learn(entry, completed);
    this.pump();
    entry.outcome = await this.describe(entry.sessionId, completed);
    await this.finish(entry);
  }

  /**
   * Hands a final outcome to the run. The entry stays until that succeeds: when recording fails
   * (the store is down), it is tried again after `retryDelayMs`, never lost.
   */
  private async finish(entry: Entry): Promise<void> {
    const { logger } = this.options;
    if (this.stopped || this.followed.get(entry.sessionId) !== entry || !entry.outcome) return;
    entry.state = 'finishing';
    try {
      if (!this.onFinal) throw new Error('no receiver for final outcomes yet');
      await this.onFinal(entry.runId, entry.sessionId, entry.outcome);
    } catch (err) {
      if (this.stopped || this.followed.get(entry.sessionId) !== entry) return;
      logger.warn({ runId: entry.runId, sessionId: entry.sessionId, err: errorText(err) }, 'recording a final session failed; will try again');
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        void this.finish(entry);
      }, this.options.retryDelayMs);
      this.retryTimers.add(timer);
      return;
    }
    if (this.followed.get(entry.sessionId) === entry) this.followed.delete(entry.sessionId);
  }

  private failed(entry: Entry, err: unknown): void {
    const { logger } = this.options;
    if (this.stopped || this.followed.get(entry.sessionId) !== entry) return;
    if (err instanceof SessionGone) {
      // Checkly no longer knows the session: asking again cannot help; the run timeout ends the run.
      logger.warn({ runId: entry.runId, sessionId: entry.sessionId }, 'session not found at Checkly; no longer followed');
      this.followed.delete(entry.sessionId);
      return;
    }
    logger.warn({ runId: entry.runId, sessionId: entry.sessionId, err: errorText(err) }, 'polling a session failed; will ask again');
    entry.state = 'retrying';
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (entry.state === 'retrying') entry.state = 'idle';
      this.pump();
    }, this.options.retryDelayMs);
    this.retryTimers.add(timer);
  }

  /** Remembers how long the check took, for its next sessions and for the sessions of its type still running. */
  private learn(entry: Entry, session: FinalSession): void {
    if (session.status === 'CANCELLED' || !(session.timeElapsed > 0)) return;
    this.options.durations?.learn(session.checkId, session.timeElapsed);
    // The plan takes it in when it is next built (poll-choice.ts): a burst of ends builds it once.
    this.choice.learn(session.checkId, entry.checkType, session.timeElapsed);
  }

  /**
   * The outcome of a final session, with the first error of its first failing location. A location
   * only slower than its limit (LocationResult.slowOnly) has no error at Checkly: nothing is read for it.
   */
  private async describe(sessionId: string, session: FinalSession): Promise<SessionOutcome> {
    const outcome: SessionOutcome = {
      status: session.status,
      timeElapsed: session.timeElapsed,
      failedLocations: session.failedLocations,
    };
    const first = session.results.find((r) => r.failing && !r.slowOnly);
    if (session.failedLocations.length > 0) outcome.results = session.results;
    if (session.retried) outcome.retried = true;
    if (first) {
      try {
        outcome.error = await this.options.checkly.errorLine(session.checkId, first.resultId);
      } catch (err) {
        // The row still shows the failure and its locations; the error line is a nicety.
        this.options.logger.warn({ sessionId, err: errorText(err) }, 'could not fetch the check result');
      }
    }
    return outcome;
  }
}
