/** How a run's target reads: in the header, the fallback text and the "Triggering…" line. */
import { describeTarget } from '../grammar/describe';
import type { Run, Target } from '../runs/types';
import { codeSpan, oneLine } from './escape';
import { plural } from './format';

/**
 * Plain text (not escaped): the tag expression as typed, or the check names once Checkly has named
 * them for a `--check` run, since ids mean nothing to a reader.
 */
export function targetLabel(run: Pick<Run, 'target' | 'sessions'>): string {
  const { target, sessions } = run;
  if (target.all) return 'all checks';
  if (target.tags.length === 0 && target.checkIds.length > 0 && sessions.length > 0) {
    return sessions.map((s) => oneLine(s.name) || s.checkId).join(', ');
  }
  return describeTarget(target);
}

/** mrkdwn: "Triggering checks matching `prod`…", "Triggering 2 checks…", "Triggering every check…". */
export function triggeringLine(target: Target): string {
  if (target.all) return 'Triggering every check…';
  if (target.tags.length === 0) return `Triggering ${plural(target.checkIds.length, 'check')}…`;
  return `Triggering checks matching ${codeSpan(describeTarget(target), 500)}…`;
}
