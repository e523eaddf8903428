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

export function allSessionsFinal(sessions: readonly Session[]): boolean {
  return sessions.every((s) => isFinal(s.status));
}

export function failingSessions(run: Run): Session[] {
  return run.sessions.filter((s) => isFailing(s.status));
}

export function unfinishedSessions(run: Run): Session[] {
  return run.sessions.filter((s) => !isFinal(s.status));
}
