import { setMaxListeners } from 'node:events';
import { NotFoundError } from '../checkly/errors';
import { failingResults, firstErrorLine } from '../checkly/results';
import type { CompletedSession } from '../checkly/types';
import type { Logger } from '../log';
import type { ChecklyPort } from './ports';
import type { SessionStatus } from './types';

/** What a session's completion tells the run. */
export interface SessionOutcome {
  status: SessionStatus;
  timeElapsed: number;
  failedLocations: string[];
  error?: string;
}

/** A session to follow: its id, or its id with what is known of how long it should take. */
export type SessionToTrack =
  | string
  | {
      sessionId: string;
      /** Lets the tracker use what it learned from earlier sessions of the same check. */
      checkId?: string;
      /** How long the session is expected to take, from its start (which is about now). */
      expectedDurationMs?: number;
    };

export interface TrackerOptions {
  checkly: Pick<ChecklyPort, 'awaitCompletion' | 'getCheckResult'>;
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
   * Resolves when the request budget has a place for a poll (ChecklyBudget.reserve). The tracker
   * then picks the session most worth it at that moment, rather than queueing polls of sessions
   * chosen earlier. Without it, polls go at once.
   */
  beforePoll?: () => Promise<void>;
  /** Pause before asking again about a session whose poll failed. */
  retryDelayMs: number;
  logger: Logger;
  now?: () => number;
  onFinal(runId: string, sessionId: string, outcome: SessionOutcome): Promise<void>;
}

type EntryState = 'idle' | 'polling' | 'retrying' | 'finishing';

interface Entry {
  runId: string;
  sessionId: string;
  checkId?: string;
  expectedMs?: number;
  trackedAt: number;
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
 * Follows check sessions until each is final, by long-polling Checkly's completion endpoint: a poll
 * answers the moment its session is final, so detection is immediate while a waiting session costs
 * one request per `pollWaitSeconds`. The budget pays for so many open polls; with `beforePoll`, each
 * waits for a place in the request budget, and the session is chosen when the place comes:
 *
 * 1. sessions not asked about for the starvation bound (2 poll waits × followed / open polls): none
 *    waits longer than that, however many there are;
 * 2. sessions expected to finish within a poll's wait (elapsed time against a typical duration,
 *    given per session or learned per check), soonest first; one expected later is not polled until
 *    then (or until the starvation bound), which saves the requests its polls would waste;
 * 3. every other session, least recently answered first: round robin.
 */
export class SessionTracker {
  private readonly tracked = new Map<string, Entry>();
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

  constructor(private readonly options: TrackerOptions) {
    this.now = options.now ?? Date.now;
    this.pollWaitMs = options.pollWaitSeconds * 1000;
    const affordable = Math.max(1, Math.floor((options.pollRequestsPerMinute * options.pollWaitSeconds) / 60));
    this.concurrency = Math.max(1, Math.min(affordable, options.maxConcurrentPolls ?? Infinity));
    // Every open poll listens on the one stop signal: a hundred of them is expected, not a leak.
    setMaxListeners(0, this.abort.signal);
  }

  track(runId: string, sessions: readonly SessionToTrack[]): void {
    const now = this.now();
    for (const s of sessions) {
      const sessionId = typeof s === 'string' ? s : s.sessionId;
      if (this.tracked.has(sessionId)) continue;
      const entry: Entry = { runId, sessionId, trackedAt: now, state: 'idle' };
      if (typeof s !== 'string') {
        if (s.checkId !== undefined) entry.checkId = s.checkId;
        const expected = s.expectedDurationMs ?? (s.checkId !== undefined ? this.typical.get(s.checkId) : undefined);
        if (expected !== undefined) entry.expectedMs = expected;
      }
      this.tracked.set(sessionId, entry);
    }
    this.pump();
  }

  /**
   * Final outcomes of a run's sessions known here but not recorded yet (recording failed and will
   * be tried again): whoever ends the run records them with it.
   */
  heldOutcomes(runId: string): Map<string, SessionOutcome> {
    const held = new Map<string, SessionOutcome>();
    for (const entry of this.tracked.values()) if (entry.runId === runId && entry.outcome) held.set(entry.sessionId, entry.outcome);
    return held;
  }

  untrackRun(runId: string): void {
    for (const [sessionId, entry] of this.tracked) {
      if (entry.runId === runId) this.tracked.delete(sessionId);
    }
    this.pump();
  }

  /** Sessions being followed. */
  get size(): number {
    return this.tracked.size;
  }

  /** Sessions followed but not being polled right now (for metrics). */
  get waiting(): number {
    let n = 0;
    for (const entry of this.tracked.values()) if (entry.state === 'idle' || entry.state === 'retrying') n += 1;
    return n;
  }

  /** The longest a session goes unasked while this many are followed. */
  starvationBoundMs(followed = this.tracked.size): number {
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
    for (const entry of this.tracked.values()) {
      if (entry.state !== 'idle') continue;
      const last = entry.answeredAt ?? entry.trackedAt;
      let rank: number;
      let key: number;
      if (now - last >= bound) {
        rank = 0;
        key = last;
      } else if (entry.expectedMs !== undefined) {
        const dueAt = entry.trackedAt + DUE_FROM * entry.expectedMs - this.pollWaitMs;
        if (now < dueAt) {
          wakeAt = Math.min(wakeAt, dueAt, last + bound);
          continue;
        }
        rank = 1;
        key = entry.trackedAt + entry.expectedMs;
      } else {
        rank = 2;
        // Never answered first (oldest first), then least recently answered.
        key = entry.answeredAt ?? entry.trackedAt - 1e15;
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
    let completed: CompletedSession | null;
    try {
      completed = await checkly.awaitCompletion(entry.sessionId, this.options.pollWaitSeconds, this.abort.signal);
    } catch (err) {
      this.active -= 1;
      this.failed(entry, err);
      this.pump();
      return;
    }
    this.active -= 1;
    entry.answeredAt = this.now();
    if (this.stopped || this.tracked.get(entry.sessionId) !== entry) return this.pump();
    if (!completed) {
      entry.state = 'idle';
      return this.pump();
    }
    // The poll's place goes to the next session now; the error line and the run's update follow.
    entry.state = 'finishing';
    this.learn(completed);
    this.pump();
    entry.outcome = await this.describe(completed);
    await this.finish(entry);
  }

  /**
   * Hands a final outcome to the run. The entry stays until that succeeds: when recording fails
   * (the store is down), it is tried again after `retryDelayMs`, never lost.
   */
  private async finish(entry: Entry): Promise<void> {
    const { logger } = this.options;
    if (this.stopped || this.tracked.get(entry.sessionId) !== entry || !entry.outcome) return;
    entry.state = 'finishing';
    try {
      await this.options.onFinal(entry.runId, entry.sessionId, entry.outcome);
    } catch (err) {
      if (this.stopped || this.tracked.get(entry.sessionId) !== entry) return;
      logger.warn({ runId: entry.runId, sessionId: entry.sessionId, err: errorText(err) }, 'recording a final session failed; will try again');
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        void this.finish(entry);
      }, this.options.retryDelayMs);
      this.retryTimers.add(timer);
      return;
    }
    if (this.tracked.get(entry.sessionId) === entry) this.tracked.delete(entry.sessionId);
  }

  private failed(entry: Entry, err: unknown): void {
    const { logger } = this.options;
    if (this.stopped || this.tracked.get(entry.sessionId) !== entry) return;
    if (err instanceof NotFoundError) {
      // Checkly no longer knows the session: asking again cannot help; the run timeout ends the run.
      logger.warn({ runId: entry.runId, sessionId: entry.sessionId }, 'session not found at Checkly; no longer followed');
      this.tracked.delete(entry.sessionId);
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
  private learn(session: CompletedSession): void {
    if (session.status === 'CANCELLED' || !(session.timeElapsed > 0)) return;
    this.typical.delete(session.checkId);
    this.typical.set(session.checkId, session.timeElapsed);
    if (this.typical.size > MAX_TYPICAL) {
      const oldest = this.typical.keys().next().value;
      if (oldest !== undefined) this.typical.delete(oldest);
    }
  }

  /** The outcome of a final session, with the first error of its first failing location. */
  private async describe(session: CompletedSession): Promise<SessionOutcome> {
    const failing = failingResults(session.results);
    const outcome: SessionOutcome = {
      status: session.status,
      timeElapsed: session.timeElapsed,
      failedLocations: [...new Set(failing.map((r) => r.runLocation))],
    };
    const first = failing[0];
    if (first) {
      try {
        const result = await this.options.checkly.getCheckResult(session.checkId, first.checkResultId);
        outcome.error = firstErrorLine(result);
      } catch (err) {
        // The row still shows the failure and its locations; the error line is a nicety.
        this.options.logger.warn({ sessionId: session.checkSessionId, err: errorText(err) }, 'could not fetch the check result');
      }
    }
    return outcome;
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
