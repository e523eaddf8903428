/**
 * When to long-poll a session, from where its end is likely (duration-model.ts EndEstimate). Polls are
 * chained from the first one on: each one that times out is followed by the next at once, so the
 * window is covered without gaps, and a session still running past the window is overdue. Pure.
 */
import type { EndEstimate } from './duration-model';

/**
 * A session that ends before its first poll is known the moment that poll opens (Checkly answers it at
 * once). So the first poll of a window longer than a poll opens this long after the window's start
 * (where 2 % of such sessions have ended): those few are known at most this late, and every poll of
 * the chain reaches this much further, sparing a second poll to the sessions that end there. (A
 * session's start counts from its run's creation, a moment before Checkly started it: a little early.)
 */
export const LATE_START_MS = 2_000;
/**
 * An end nothing bounds above yet (too few sessions seen to know how late they run) may well come
 * right at the start of its window: the first poll opens this long before it.
 */
export const LEAD_MS = 2_000;
/**
 * A window shorter than a poll is opened as early as one poll still lasts this long past its end:
 * the same one request, with room to wait for a place in the budget.
 */
export const COVER_MS = 3_000;
/** Past its window by this much, a session is overdue: watched at once, before any other. */
export const OVERDUE_AFTER_MS = 1_000;

export interface PollWindow {
  /** From when the session is polled, poll after poll until it is final (epoch ms). */
  opensAt: number;
  /** From when it is overdue (epoch ms; Infinity when nothing bounds its end). */
  overdueAt: number;
}

export function pollWindow(estimate: Pick<EndEstimate, 'fromMs' | 'toMs'>, startedAt: number, pollWaitMs: number): PollWindow {
  const from = startedAt + estimate.fromMs;
  const to = startedAt + estimate.toMs;
  const opensAt = Number.isFinite(to) ? Math.min(from + LATE_START_MS, to + COVER_MS - pollWaitMs) : from - LEAD_MS;
  return { opensAt, overdueAt: to + OVERDUE_AFTER_MS };
}

/**
 * How much a poll opened now is worth: the chance that the session ends while it waits. The budget's
 * places go to the sessions whose end is most likely soonest.
 */
export function pollWorth(estimate: Pick<EndEstimate, 'endsWithin'>, startedAt: number, now: number, pollWaitMs: number): number {
  return estimate.endsWithin(Math.max(0, now - startedAt), pollWaitMs);
}
