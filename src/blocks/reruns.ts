/** The line under a run's context that shows the reruns started from its buttons, live. */
import type { KnownBlock } from '@slack/types';
import type { RerunSummary } from '../runs/types';
import { escapeTruncated, mentionUser, oneLine } from './escape';
import { plural } from './format';
import { rerunFailedWords } from './actions';
import { context } from './message';
import { formatCounts, type StatusCounts } from './progress';

/** Only the latest reruns are shown; older ones live in the thread. */
const SHOWN = 3;
const NAME_MAX = 60;

export function renderReruns(reruns: readonly RerunSummary[] | undefined): KnownBlock[] {
  if (!reruns || reruns.length === 0) return [];
  const lines = reruns.slice(-SHOWN).map(rerunLine);
  const older = reruns.length - SHOWN;
  if (older > 0) lines.unshift(`${plural(older, 'earlier rerun')} in the thread`);
  return [context(lines, '\n')];
}

export function rerunLine(ref: RerunSummary): string {
  return `↻ ${what(ref)} by ${mentionUser(ref.requester)}: ${state(ref)}`;
}

function what(ref: RerunSummary): string {
  switch (ref.kind) {
    case 'failed': {
      // The words of the button that started it ("Rerun failed & degraded (3)").
      const words = rerunFailedWords(ref.includesDegraded === true);
      return ref.total > 0 ? `Rerun of ${plural(ref.total, `${words} check`)}` : `Rerun of the ${words} checks`;
    }
    case 'all':
      return 'Rerun of all checks';
    case 'check':
      return 'Rerun of one check';
  }
}

/** What a rerun that is over changed: " — 2 of 3 now pass; still failing: *Checkout*" (names when known). */
function whatChanged(ref: RerunSummary): string {
  const pass = ` — ${ref.passed} of ${ref.total} now pass`;
  const names = (ref.stillFailing ?? []).map((n) => `*${escapeTruncated(oneLine(n), NAME_MAX)}*`);
  if (ref.failing === 0 || names.length === 0) return pass;
  const more = ref.failing - names.length;
  return `${pass}; still failing: ${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** The rerun's counts as its own message's progress line counts them (progress.ts formatCounts). */
export function rerunCounts(ref: RerunSummary): StatusCounts {
  // A summary stored before the counts by status knew only "failing": all of it counted as failed.
  const split = ref.failed !== undefined;
  return {
    passed: ref.passed,
    failed: split ? (ref.failed ?? 0) : ref.failing,
    degraded: ref.degraded ?? 0,
    timedOut: ref.timedOut ?? 0,
    cancelled: ref.cancelled ?? 0,
    running: ref.running,
    total: ref.total,
  };
}

function state(ref: RerunSummary): string {
  switch (ref.phase) {
    case 'triggering':
      return '⏳ starting';
    case 'error':
      return '❌ could not start';
    case 'running':
      return formatCounts(rerunCounts(ref));
    case 'final':
      return `${formatCounts(rerunCounts(ref))}${whatChanged(ref)}`;
    case 'abandoned':
      return `${formatCounts(rerunCounts(ref))} (stopped following)${whatChanged(ref)}`;
  }
}
