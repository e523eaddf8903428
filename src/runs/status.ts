import type { Run, Session, SessionStatus } from './types';

const FINAL: ReadonlySet<SessionStatus> = new Set(['PASSED', 'FAILED', 'DEGRADED', 'TIMED_OUT', 'CANCELLED']);
/** The statuses that `Rerun failed` reruns. */
const FAILING: ReadonlySet<SessionStatus> = new Set(['FAILED', 'DEGRADED', 'TIMED_OUT']);

export function isFinal(status: SessionStatus): boolean {
  return FINAL.has(status);
}

export function isFailing(status: SessionStatus): boolean {
  return FAILING.has(status);
}

/** A run is over once it can change no more: every session final, the trigger failed, or it was abandoned. */
export function isRunOver(run: Run): boolean {
  return run.phase === 'final' || run.phase === 'error' || run.phase === 'abandoned';
}

/** A final run with failing checks: its requester is told in the thread. */
export function needsReply(run: Run): boolean {
  return run.phase === 'final' && failingSessions(run).length > 0;
}

/**
 * A run is settled once nothing is left to do for it: it is over, its message was seen showing its
 * final state and the failure reply (if any) was posted, or the app gave up on Slack. Until then,
 * stores list it as unfinished and never prune it, so that some process finishes the job.
 */
export function isSettled(run: Run): boolean {
  return isRunOver(run) && run.settledAt !== undefined;
}

export function allSessionsFinal(sessions: readonly Session[]): boolean {
  return sessions.every((s) => isFinal(s.status));
}

export function failingSessions(run: Run): Session[] {
  return run.sessions.filter((s) => isFailing(s.status));
}

/**
 * What `Rerun failed` reruns: each failing check once (a check may have several sessions), and
 * whether degraded ones are among them (the button then says "failed & degraded"). The button's
 * label and the rerun's target both come from here, so they cannot disagree.
 */
export function rerunFailedScope(run: Pick<Run, 'sessions'>): { checkIds: string[]; degraded: boolean } {
  const failing = run.sessions.filter((s) => isFailing(s.status));
  return { checkIds: [...new Set(failing.map((s) => s.checkId))], degraded: failing.some((s) => s.status === 'DEGRADED') };
}

export function unfinishedSessions(run: Run): Session[] {
  return run.sessions.filter((s) => !isFinal(s.status));
}

/** How a run ended (the metrics' `runs_finished_total`, the run API's status, a workflow step's verdict). */
export type RunOutcome = 'passed' | 'failed' | 'degraded' | 'cancelled' | 'error' | 'abandoned';

export function runOutcome(run: Pick<Run, 'phase' | 'sessions'>): RunOutcome {
  if (run.phase === 'error') return 'error';
  if (run.phase === 'abandoned') return 'abandoned';
  const statuses = run.sessions.map((s) => s.status);
  if (statuses.some((s) => isFailing(s) && s !== 'DEGRADED')) return 'failed';
  if (statuses.includes('DEGRADED')) return 'degraded';
  if (statuses.includes('CANCELLED')) return 'cancelled';
  return 'passed';
}
