import { setMaxListeners } from 'node:events';
import type { Logger } from '../shared/log';
import type { DurationRange } from './durations';
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
}

/** A session to follow: its id, or its id with what is known of how long it should take. */
export type SessionToFollow =
  | string
  | {
      sessionId: string;
      /** Lets the follower use what it learned from earlier sessions of the same check. */
      checkId?: string;
      /** How long the session is expected to take, from its start (which is about now). */
      expectedDurationMs?: number;
      /** When the session started, or shortly before (epoch ms; default: now, capped at now). */
      startedAt?: number;
    };

/** Where the follower learns how long a check's sessions take, and tells it (TypicalDurations). */
export interface DurationSource {
  lookup(checkIds: readonly string[]): Promise<Map<string, DurationRange>>;
  learn(checkId: string, ms: number): void;
}

export interface FollowerOptions {
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
   * Typical durations per check, from past sessions and Checkly's statuses: a session is then polled
   * from its check's shortest duration on, and at once when it is overdue against the longest.
   */
  durations?: DurationSource;
  logger: Logger;
  now?: () => number;
  /** Where final outcomes go; or set later with `deliverFinalsTo`, once their receiver exists. */
  onFinal?: FinalHandler;
}

export type FinalHandler = (runId: string, sessionId: string, outcome: SessionOutcome) => Promise<void>;

type EntryState = 'idle' | 'polling' | 'retrying' | 'finishing';

interface Entry {
  runId: string;
  sessionId: string;
  checkId?: string;
  expectedMs?: number;
  /** The check's shortest and longest sessions, when known (`durations`). */
  range?: DurationRange;
  /** Its range is being looked up: not polled until known (or until the lookup gives up). */
  lookingUp?: boolean;
  /** When the session started (or shortly before); the range counts from there. */
  startedAt: number;
  followedAt: number;
  /** When Checkly last answered about this session; undefined until the first answer. */
  answeredAt?: number;
  state: EntryState;
  /** The session's final outcome, once known: kept until the run has recorded it. */
  outcome?: SessionOutcome;
}

/** What to poll next (or nothing before `wakeAt`), and how many sessions could be polled now. */
interface Choice {
  entry?: Entry;
  eligible: number;
  wakeAt: number;
}

/** Typical durations remembered, per check (the most recently seen checks). */
const MAX_TYPICAL = 5_000;
/** A session with a known typical duration is watched from this share of it, less a poll's wait. */
const DUE_FROM = 0.8;
/**
 * A session with a known range is watched from this long before its shortest duration: the start
 * time known is a little early or late (the trigger's round trip), and a poll's answer takes a moment.
 */
const RANGE_LEAD_MS = 2_000;
/**
 * A poll opened this long before a session's longest duration, less a poll's wait, lasts until just
 * after it: one request then most likely covers the end, and a poll that waited for a place in the
 * budget still does.
 */
const RANGE_COVER_MS = 3_000;
/** Past its longest duration by this much, a session is overdue: watched at once, before any other. */
const OVERDUE_AFTER_MS = 1_000;
/** A lookup of durations slower than this is not waited for: the sessions are followed without. */
const LOOKUP_WAIT_MS = 3_000;

/**
 * Follows check sessions until each is final, by long-polling Checkly's completion endpoint: a poll
 * answers the moment its session is final, so detection is immediate while a waiting session costs
 * one request per `pollWaitSeconds`. The budget pays for so many open polls; with `beforePoll`, each
 * waits for a place in the request budget, and the session is chosen when the place comes:
 *
 * 1. sessions not asked about for the starvation bound (2 poll waits × followed / open polls): none
 *    waits longer than that, however many there are;
 *    and, with `durations`, sessions overdue: past their check's longest duration;
 * 2. sessions expected to finish within a poll's wait (elapsed time against the check's shortest
 *    duration, or a typical duration given per session or learned per check), soonest first; one
 *    expected later is not polled until then (or until the starvation bound), which saves the
 *    requests its polls would waste;
 * 3. every other session, least recently answered first: round robin.
 */
export class SessionFollower {
  private readonly followed = new Map<string, Entry>();
  private readonly typical = new Map<string, number>();
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

  constructor(private readonly options: FollowerOptions) {
    this.onFinal = options.onFinal;
    this.now = options.now ?? Date.now;
    this.pollWaitMs = options.pollWaitSeconds * 1000;
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
    for (const s of sessions) {
      const sessionId = typeof s === 'string' ? s : s.sessionId;
      if (this.followed.has(sessionId)) continue;
      const entry: Entry = { runId, sessionId, followedAt: now, startedAt: now, state: 'idle' };
      if (typeof s !== 'string') {
        if (s.checkId !== undefined) entry.checkId = s.checkId;
        if (s.startedAt !== undefined) entry.startedAt = Math.min(now, s.startedAt);
        if (s.expectedDurationMs !== undefined) entry.expectedMs = s.expectedDurationMs;
        else if (s.checkId !== undefined && this.options.durations) {
          entry.lookingUp = true;
          lookups.push(entry);
        } else if (s.checkId !== undefined) {
          const learned = this.typical.get(s.checkId);
          if (learned !== undefined) entry.expectedMs = learned;
        }
      }
      this.followed.set(sessionId, entry);
    }
    if (lookups.length > 0) this.lookUp(lookups);
    this.pump();
  }

  /** Gives the entries their checks' ranges; after LOOKUP_WAIT_MS they are followed without. */
  private lookUp(entries: Entry[]): void {
    const durations = this.options.durations as DurationSource;
    const settle = (ranges: Map<string, DurationRange>): void => {
      clearTimeout(timer);
      for (const entry of entries) {
        if (!entry.lookingUp) continue;
        entry.lookingUp = false;
        const range = entry.checkId !== undefined ? ranges.get(entry.checkId) : undefined;
        if (range) entry.range = range;
        else if (entry.checkId !== undefined) {
          const learned = this.typical.get(entry.checkId);
          if (learned !== undefined) entry.expectedMs = learned;
        }
      }
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
      const next = this.pick(this.now());
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
    const next = this.pick(this.now());
    if (next.entry) void this.poll(next.entry);
    this.pump();
  }

  /** Pumps again at `at`, unless an earlier wake is already set. */
  private wake(at: number): void {
    if (at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    if (!Number.isFinite(at)) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeAt = Infinity;
      this.pump();
    }, Math.max(1, Math.ceil(at - this.now())));
    this.wakeTimer.unref();
  }

  /** The session most worth a poll now (see the class comment), or when to look again. */
  private pick(now: number): Choice {
    const bound = this.starvationBoundMs();
    let best: Entry | undefined;
    let bestRank = Infinity;
    let bestKey = Infinity;
    let wakeAt = Infinity;
    let eligible = 0;
    for (const entry of this.followed.values()) {
      if (entry.state !== 'idle' || entry.lookingUp) continue;
      const last = entry.answeredAt ?? entry.followedAt;
      const overdueAt = entry.range?.longestMs !== undefined ? entry.startedAt + entry.range.longestMs + OVERDUE_AFTER_MS : Infinity;
      let rank: number;
      let key: number;
      if (now >= overdueAt) {
        rank = 0;
        key = overdueAt - bound;
      } else if (now - last >= bound) {
        rank = 0;
        key = last;
      } else if (entry.range) {
        // As early as one poll still lasts past the longest: the same one request, with room to wait
        // for a place in the budget; never later than just before the shortest.
        const dueAt = Math.min(
          entry.startedAt + entry.range.shortestMs - RANGE_LEAD_MS,
          entry.startedAt + (entry.range.longestMs ?? Infinity) + RANGE_COVER_MS - this.pollWaitMs,
        );
        if (now < dueAt) {
          wakeAt = Math.min(wakeAt, dueAt, last + bound);
          continue;
        }
        rank = 1;
        key = entry.startedAt + entry.range.shortestMs;
      } else if (entry.expectedMs !== undefined) {
        const dueAt = entry.followedAt + DUE_FROM * entry.expectedMs - this.pollWaitMs;
        if (now < dueAt) {
          wakeAt = Math.min(wakeAt, dueAt, last + bound);
          continue;
        }
        rank = 1;
        key = entry.followedAt + entry.expectedMs;
      } else {
        rank = 2;
        // Never answered first (oldest first), then least recently answered.
        key = entry.answeredAt ?? entry.followedAt - 1e15;
      }
      eligible += 1;
      if (rank < bestRank || (rank === bestRank && key < bestKey)) {
        best = entry;
        bestRank = rank;
        bestKey = key;
      }
    }
    return best ? { entry: best, eligible, wakeAt } : { eligible, wakeAt };
  }

  private async poll(entry: Entry): Promise<void> {
    const { checkly, logger } = this.options;
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
    this.learn(completed);
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

  /** Remembers how long the check took, for its next sessions. */
  private learn(session: FinalSession): void {
    if (session.status === 'CANCELLED' || !(session.timeElapsed > 0)) return;
    this.options.durations?.learn(session.checkId, session.timeElapsed);
    this.typical.delete(session.checkId);
    this.typical.set(session.checkId, session.timeElapsed);
    if (this.typical.size > MAX_TYPICAL) {
      const oldest = this.typical.keys().next().value;
      if (oldest !== undefined) this.typical.delete(oldest);
    }
  }

  /** The outcome of a final session, with the first error of its first failing location. */
  private async describe(sessionId: string, session: FinalSession): Promise<SessionOutcome> {
    const outcome: SessionOutcome = {
      status: session.status,
      timeElapsed: session.timeElapsed,
      failedLocations: session.failedLocations,
    };
    const first = session.results.find((r) => r.failing);
    if (session.failedLocations.length > 0) outcome.results = session.results;
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
