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

export interface TrackerOptions {
  checkly: Pick<ChecklyPort, 'awaitCompletion' | 'getCheckResult'>;
  /** `maxWaitSeconds` of each long poll. */
  pollWaitSeconds: number;
  /** Long polls open at once, across every run this process follows. */
  maxConcurrentPolls: number;
  /** Pause before asking again about a session whose poll failed. */
  retryDelayMs: number;
  logger: Logger;
  onFinal(runId: string, sessionId: string, outcome: SessionOutcome): Promise<void>;
}

interface Entry {
  runId: string;
  sessionId: string;
}

/**
 * Follows check sessions until each is final, by long-polling Checkly's completion endpoint: a poll
 * answers the moment its session is final, so detection is immediate and a waiting session costs one
 * request per `pollWaitSeconds`. Sessions beyond the concurrency limit wait their turn, round robin.
 */
export class SessionTracker {
  private readonly queue: Entry[] = [];
  private readonly tracked = new Map<string, Entry>();
  private readonly abort = new AbortController();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private active = 0;
  private stopped = false;

  constructor(private readonly options: TrackerOptions) {}

  track(runId: string, sessionIds: readonly string[]): void {
    for (const sessionId of sessionIds) {
      if (this.tracked.has(sessionId)) continue;
      const entry = { runId, sessionId };
      this.tracked.set(sessionId, entry);
      this.queue.push(entry);
    }
    this.pump();
  }

  untrackRun(runId: string): void {
    for (const [sessionId, entry] of this.tracked) {
      if (entry.runId === runId) this.tracked.delete(sessionId);
    }
  }

  /** Sessions being followed. */
  get size(): number {
    return this.tracked.size;
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.options.maxConcurrentPolls && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      if (this.tracked.get(entry.sessionId) !== entry) continue; // untracked meanwhile
      this.active += 1;
      void this.poll(entry).finally(() => {
        this.active -= 1;
        this.pump();
      });
    }
  }

  private async poll(entry: Entry): Promise<void> {
    const { checkly, logger } = this.options;
    try {
      const completed = await checkly.awaitCompletion(entry.sessionId, this.options.pollWaitSeconds, this.abort.signal);
      if (this.stopped || this.tracked.get(entry.sessionId) !== entry) return;
      if (!completed) {
        this.queue.push(entry);
        return;
      }
      const outcome = await this.describe(completed);
      if (this.tracked.get(entry.sessionId) !== entry) return;
      this.tracked.delete(entry.sessionId);
      await this.options.onFinal(entry.runId, entry.sessionId, outcome);
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof NotFoundError) {
        // Checkly no longer knows the session: asking again cannot help; the run timeout ends the run.
        logger.warn({ runId: entry.runId, sessionId: entry.sessionId }, 'session not found at Checkly; no longer followed');
        this.tracked.delete(entry.sessionId);
        return;
      }
      logger.warn({ runId: entry.runId, sessionId: entry.sessionId, err: errorText(err) }, 'polling a session failed; will ask again');
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        this.queue.push(entry);
        this.pump();
      }, this.options.retryDelayMs);
      this.retryTimers.add(timer);
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
