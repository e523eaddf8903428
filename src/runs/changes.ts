/**
 * New or already broken (product.md section 13): each check's state just before a run (Checkly's
 * statuses, read when the run starts) against its result in the run. Pure: the runner hands it what
 * was read and what the check did in the app's last runs.
 */
import { isFailing } from './status';
import type { Session, SessionStatus } from './types';

/**
 * A check's state just before the run, as Checkly's statuses said: `none` when Checkly had no status
 * for it (a check new since, or never run), `unknown` when the statuses could not be read.
 */
export type BeforeState = 'passing' | 'failing' | 'degraded' | 'none' | 'unknown';

export interface CheckBefore {
  state: BeforeState;
  /** Since when it was failing or degraded (epoch ms), when Checkly's alerts say. */
  since?: number;
}

/** What a run did to a check. */
export type Change = 'new' | 'still_failing' | 'fixed' | 'flaky' | 'unchanged';

/** What Checkly said of the run's checks just before it. */
export interface RunBefore {
  /** When the statuses were read (epoch ms). */
  at: number;
  /** By check id; undefined when the statuses could not be read (then nothing is classified). */
  checks?: Record<string, { state: 'passing' | 'failing' | 'degraded'; since?: number }>;
}

/** The outcomes of a check's last runs in this app kept for `flaky` (the most recent first). */
export const OUTCOMES_KEPT = 10;
/** Failures among those that make a check flaky. */
export const FLAKY_FAILURES = 2;

/** A check's last outcomes in this app, newest first: true for a failure. */
export type Outcomes = readonly boolean[];

/** A check's state before the run, from what was read (`unknown` when nothing could be). */
export function beforeOf(before: RunBefore | undefined, checkId: string): CheckBefore {
  if (before?.checks === undefined) return { state: 'unknown' };
  const known = before.checks[checkId];
  if (known === undefined) return { state: 'none' };
  return known.since !== undefined && known.state !== 'passing' ? { state: known.state, since: known.since } : { state: known.state };
}

/** How many of the last runs failed, when that makes the check flaky: at least 2 failures and 1 pass. */
export function flakiness(outcomes: Outcomes): { failed: number; of: number } | undefined {
  const last = outcomes.slice(0, OUTCOMES_KEPT);
  const failed = last.filter((f) => f).length;
  return failed >= FLAKY_FAILURES && failed < last.length ? { failed, of: last.length } : undefined;
}

/**
 * What a final status did to a check that was in `before`; `outcomes` are its last runs in this app
 * with this one first; `retried`: Checkly retried it (a pass then came only on a retry). Undefined
 * when it cannot be told: the statuses were not read, or the session was cancelled (it says nothing
 * of the check).
 */
export function classify(before: CheckBefore, status: SessionStatus, outcomes: Outcomes = [], retried = false): Change | undefined {
  if (before.state === 'unknown' || status === 'CANCELLED') return undefined;
  const wasBad = before.state === 'failing' || before.state === 'degraded';
  if (isFailing(status)) {
    if (wasBad) return 'still_failing';
    return flakiness(outcomes) ? 'flaky' : 'new';
  }
  if (status === 'PASSED' && retried) return 'flaky';
  return wasBad ? 'fixed' : 'unchanged';
}

/** A session's `before`, `change` and (when flaky) `flaky`, set from what was read. */
export function markChange(session: Session, before: RunBefore | undefined, outcomes: Outcomes): void {
  const was = beforeOf(before, session.checkId);
  session.before = was;
  const change = classify(was, session.status, outcomes, session.retried === true);
  if (change === undefined) delete session.change;
  else session.change = change;
  const flaky = change === 'flaky' ? flakiness(outcomes) : undefined;
  if (flaky) session.flaky = flaky;
  else delete session.flaky;
}

export interface ChangeCounts {
  new: number;
  stillFailing: number;
  fixed: number;
  /** Failing now and flaky. */
  flaky: number;
  /** Passed, but only on a retry (flaky too). */
  retried: number;
  /** Failing checks whose change could not be told. */
  untold: number;
  /** The earliest time one of the still failing checks started failing, when known. */
  failingSince?: number;
}

export function countChanges(sessions: readonly Session[]): ChangeCounts {
  const counts: ChangeCounts = { new: 0, stillFailing: 0, fixed: 0, flaky: 0, retried: 0, untold: 0 };
  for (const s of sessions) {
    switch (s.change) {
      case 'new':
        counts.new += 1;
        break;
      case 'still_failing':
        counts.stillFailing += 1;
        if (s.before?.since !== undefined && (counts.failingSince === undefined || s.before.since < counts.failingSince)) counts.failingSince = s.before.since;
        break;
      case 'fixed':
        counts.fixed += 1;
        break;
      case 'flaky':
        if (isFailing(s.status)) counts.flaky += 1;
        else counts.retried += 1;
        break;
      case undefined:
        if (isFailing(s.status)) counts.untold += 1;
        break;
      default:
        break;
    }
  }
  return counts;
}
