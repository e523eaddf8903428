import type { Logger } from '../shared/log';
import type { CheckHistory, ResponseTimes } from './duration-model';
import { errorText } from '../shared/error-text';

/**
 * Past sessions' durations per check, kept by the run store: across restarts (SQLite) and for every
 * replica (Redis).
 */
export interface DurationStore {
  /** Remembers that a session of `checkId` took `ms` (only the most recent few are kept). */
  recordDuration(checkId: string, ms: number): Promise<void>;
  /** The durations remembered per check, most recent first; checks with none are left out. */
  recentDurations(checkIds: readonly string[]): Promise<Map<string, number[]>>;
}

/** Sessions remembered per check: enough to follow a check that changed, few enough to forget old ones. */
export const DURATIONS_KEPT = 10;

/** A check's status as Checkly lists it (GET /v1/check-statuses): the fields used here. */
export interface StatusDurations {
  checkId?: string;
  shortestRun?: number | null;
  longestRun?: number | null;
}

export interface TypicalDurationsDeps {
  store: DurationStore;
  /** Every check's shortest and longest response time, in one request (catalogue.listCheckStatuses). */
  fetchStatuses?: () => Promise<readonly StatusDurations[]>;
  /** How old the statuses may get before the next lookup asks again (default 5 minutes). */
  refreshMs?: number;
  /** Longest a lookup waits for the first statuses before it answers without them (default 3 s). */
  firstFetchWaitMs?: number;
  now?: () => number;
  logger: Logger;
}

const DEFAULT_REFRESH_MS = 5 * 60_000;

/**
 * What the follower knows of a check's sessions before it follows one: its past sessions (the store:
 * what sessions of it took on this account) and Checkly's statuses. Their `shortestRun` and
 * `longestRun` are response times (the spec's words), the part of a run that calls the target, which
 * a session spends and more (scheduling, set-up, every location): a session takes at least the
 * shortest, and how much more is for the follower to learn (DurationModel). One request for every
 * check, asked again only when a lookup finds them older than `refreshMs`, so an idle app asks nothing.
 */
export class TypicalDurations {
  private statuses = new Map<string, ResponseTimes>();
  private fetchedAt = -Infinity;
  private fetching?: Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: TypicalDurationsDeps) {
    this.now = options.now ?? Date.now;
  }

  /** What is known of each check (checks with nothing known are left out). Never rejects. */
  async lookup(checkIds: readonly string[]): Promise<Map<string, CheckHistory>> {
    const statuses = this.freshStatuses();
    const past = await this.options.store.recentDurations(checkIds).catch((err: unknown) => {
      this.options.logger.warn({ err: errorText(err) }, 'could not read past session durations');
      return new Map<string, number[]>();
    });
    // Checks with a past wait for no one; the statuses place those without, and relate sessions to response times.
    if (checkIds.some((id) => !past.has(id))) await statuses;
    const histories = new Map<string, CheckHistory>();
    for (const id of checkIds) {
      const pastMs = past.get(id)?.filter((ms) => ms > 0) ?? [];
      const responseTimes = this.statuses.get(id);
      if (pastMs.length > 0 || responseTimes) histories.set(id, { pastMs, ...(responseTimes ? { responseTimes } : {}) });
    }
    return histories;
  }

  /** Remembers a session's duration for the check's next sessions. Never rejects. */
  learn(checkId: string, ms: number): void {
    if (!(ms > 0)) return;
    this.options.store.recordDuration(checkId, Math.round(ms)).catch((err: unknown) => {
      this.options.logger.warn({ err: errorText(err) }, 'could not record a session duration');
    });
  }

  /** Resolves once the statuses are fresh enough to use, or after `firstFetchWaitMs` at most; never rejects. */
  private freshStatuses(): Promise<void> {
    const { fetchStatuses } = this.options;
    if (!fetchStatuses) return Promise.resolve();
    const now = this.now();
    if (!this.fetching && now - this.fetchedAt >= (this.options.refreshMs ?? DEFAULT_REFRESH_MS)) {
      // Counted as asked even if it fails: a failing Checkly is not asked again at every lookup.
      this.fetchedAt = now;
      this.fetching = fetchStatuses()
        .then((list) => {
          this.statuses = rangesOf(list);
        })
        .catch((err: unknown) => {
          this.options.logger.warn({ err: errorText(err) }, 'could not read check statuses; durations from past sessions only');
        })
        .finally(() => {
          this.fetching = undefined;
        });
    }
    // Statuses already known serve while they are refreshed.
    if (!this.fetching || this.statuses.size > 0) return Promise.resolve();
    const fetching = this.fetching;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.firstFetchWaitMs ?? 3_000);
      timer.unref();
      void fetching.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Each check's shortest response time (a lower bound of a session) and its longest, when Checkly gives them. */
function rangesOf(list: readonly StatusDurations[]): Map<string, ResponseTimes> {
  const ranges = new Map<string, ResponseTimes>();
  for (const { checkId, shortestRun, longestRun } of list) {
    if (typeof checkId !== 'string' || typeof shortestRun !== 'number' || !(shortestRun > 0)) continue;
    ranges.set(
      checkId,
      typeof longestRun === 'number' && longestRun >= shortestRun ? { shortestMs: shortestRun, longestMs: longestRun } : { shortestMs: shortestRun },
    );
  }
  return ranges;
}
