/** Where a session's row goes and what it starts with: its glyph, its group, the order of rows. */
import { isFailing } from '../runs/status';
import type { Run, Session, SessionStatus } from '../runs/types';

export const STATUS_GLYPH: Readonly<Record<SessionStatus, string>> = {
  STARTED: '⏳',
  PROGRESS: '🔄',
  PROGRESS_FAILED: '❗',
  PROGRESS_DEGRADED: '❕',
  PASSED: '✅',
  FAILED: '❌',
  DEGRADED: '⚠️',
  TIMED_OUT: '⌛',
  CANCELLED: '🚫',
};

/** 0: failing (final or not), 1: running, 2: passed or cancelled. Lower is listed first. */
export function statusGroup(status: SessionStatus): 0 | 1 | 2 {
  switch (status) {
    case 'FAILED':
    case 'TIMED_OUT':
    case 'DEGRADED':
    case 'PROGRESS_FAILED':
    case 'PROGRESS_DEGRADED':
      return 0;
    case 'STARTED':
    case 'PROGRESS':
      return 1;
    default:
      return 2;
  }
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Failing first (new failures first among them), then running, then passed and cancelled; by name inside a group. Stable for equal names. */
export function orderSessions(sessions: readonly Session[]): Session[] {
  return [...sessions].sort(
    (a, b) =>
      statusGroup(a.status) - statusGroup(b.status) ||
      newFirst(a) - newFirst(b) ||
      collator.compare(a.name, b.name) ||
      compareText(a.name, b.name) ||
      compareText(a.checkId, b.checkId),
  );
}

/** A new failure goes before the other failures (runs/changes.ts). */
function newFirst(session: Session): number {
  return session.change === 'new' ? 0 : 1;
}

/** The failed checks of a run in the order the run message, the thread reply and its evidence list them. */
export function failingInOrder(run: Run): Session[] {
  return orderSessions(run.sessions.filter((s) => isFailing(s.status)));
}
