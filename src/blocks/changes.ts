/**
 * New or already broken (product.md section 13), as the run message and its thread say it: the
 * summary line under the progress, the marks on the rows, the reply's head. Pure.
 */
import { countChanges } from '../runs/changes';
import { isFailing } from '../runs/status';
import type { Run, Session } from '../runs/types';
import { escapeTruncated, oneLine } from './escape';
import { plural, slackDate } from './format';

/** Fixed checks named on the summary line; the rest are counted. */
const FIXED_NAMED = 5;
const NAME_MAX = 80;

/** Whether the run read the checks' states before it, so that it can tell new failures from old. */
export function changesKnown(run: Pick<Run, 'before'>): boolean {
  return run.before?.checks !== undefined;
}

/**
 * The lines that lead a final run's rows: `❌ 3 failed: 2 new, 1 already failing since …` and
 * `✅ fixed: Login API`; or that it cannot tell. Undefined when there is nothing to say.
 */
export function changeSummary(run: Run): string | undefined {
  if (run.before === undefined || (run.phase !== 'final' && run.phase !== 'abandoned')) return undefined;
  const failing = run.sessions.filter((s) => isFailing(s.status)).length;
  if (!changesKnown(run)) {
    return failing > 0 ? '❔ The checks’ states before this run could not be read: it cannot tell new failures from those already failing.' : undefined;
  }
  const counts = countChanges(run.sessions);
  const lines: string[] = [];
  if (failing > 0) {
    const since = counts.failingSince !== undefined ? ` since ${slackDate(counts.failingSince)}` : '';
    const parts = [
      counts.stillFailing > 0 ? `${counts.stillFailing} already failing${since}` : '',
      counts.flaky > 0 ? `${counts.flaky} flaky` : '',
      counts.untold > 0 ? `${counts.untold} not told` : '',
    ].filter((p) => p !== '');
    lines.push(counts.new > 0 ? `❌ ${failing} failed: ${[`${counts.new} new`, ...parts].join(', ')}` : `❌ ${failing} failed, none new: ${parts.join(', ')}`);
  }
  const fixed = run.sessions.filter((s) => s.change === 'fixed');
  if (fixed.length > 0) lines.push(`✅ fixed: ${namesOf(fixed)}`);
  const retried = run.sessions.filter((s) => s.change === 'flaky' && !isFailing(s.status));
  if (retried.length > 0) lines.push(`↯ passed only on a retry: ${namesOf(retried)}`);
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** The first few names, escaped, and how many more. */
function namesOf(sessions: readonly Session[]): string {
  const names = sessions.slice(0, FIXED_NAMED).map((s) => escapeTruncated(oneLine(s.name) || s.checkId, NAME_MAX));
  const more = sessions.length - names.length;
  return `${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** What starts a row: `🆕 ` on a new failure. */
export function changeMark(session: Session): string {
  return session.change === 'new' ? '🆕 ' : '';
}

/** What a failing row adds about the check's past: `failing since …`, or that it is flaky. */
export function changeNote(session: Session): string {
  switch (session.change) {
    case 'still_failing':
      return session.before?.since !== undefined ? `failing since ${slackDate(session.before.since)}` : 'already failing';
    case 'flaky':
      if (session.flaky) return `↯ flaky: ${session.flaky.failed} of its last ${plural(session.flaky.of, 'run')} failed`;
      return session.retried ? '↯ flaky: passed only on a retry' : '↯ flaky';
    default:
      return '';
  }
}

/** Whether the thread should mention anyone: something failed that is new, or might be. */
export function anythingNew(run: Run): boolean {
  if (!changesKnown(run)) return true;
  return run.sessions.some((s) => isFailing(s.status) && (s.change === 'new' || s.change === undefined));
}
