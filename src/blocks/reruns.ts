/** The line under a run's context that shows the reruns started from its buttons, live. */
import type { KnownBlock } from '@slack/types';
import type { RerunSummary } from '../runs/types';
import { escapeTruncated, mentionUser, oneLine } from './escape';
import { plural } from './format';
import { context } from './message';

/** Only the latest reruns are shown; older ones live in the thread. */
const SHOWN = 3;
const NAME_MAX = 60;

export function renderReruns(reruns: readonly RerunSummary[] | undefined): KnownBlock[] {
  if (!reruns || reruns.length === 0) return [];
  const lines = reruns.slice(-SHOWN).map(rerunLine);
  const older = reruns.length - SHOWN;
  if (older > 0) lines.unshift(`${plural(older, 'earlier rerun')} in the thread`);
  return [context(lines)];
}

export function rerunLine(ref: RerunSummary): string {
  return `↻ ${what(ref)} by ${mentionUser(ref.requester)}: ${state(ref)}`;
}

function what(ref: RerunSummary): string {
  switch (ref.kind) {
    case 'failed':
      return ref.total > 0 ? `Rerun of ${plural(ref.total, 'failed check')}` : 'Rerun of the failed checks';
    case 'all':
      return 'Rerun of all checks';
    case 'check':
      return 'Rerun of one check';
  }
}

/** "❌ still failing: Checkout, Search and 2 more", or counted when the names are not known. */
function stillFailing(ref: RerunSummary): string {
  const names = (ref.stillFailing ?? []).map((n) => `*${escapeTruncated(oneLine(n), NAME_MAX)}*`);
  if (names.length === 0) return `❌ ${ref.failing} still failing`;
  const more = ref.failing - names.length;
  return `❌ still failing: ${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

function state(ref: RerunSummary): string {
  switch (ref.phase) {
    case 'triggering':
      return '⏳ starting';
    case 'error':
      return '❌ could not start';
    case 'running':
      return `⏳ ${ref.total - ref.running} of ${ref.total} done${ref.failing > 0 ? `, ❌ ${ref.failing} failing` : ''}`;
    case 'final':
    case 'abandoned': {
      const parts = [`✅ ${ref.passed} of ${ref.total} now pass`];
      if (ref.failing > 0) parts.push(stillFailing(ref));
      if (ref.phase === 'abandoned') parts.push(`⏳ ${ref.running} never finished`);
      return parts.join(' · ');
    }
  }
}
