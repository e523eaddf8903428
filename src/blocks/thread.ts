/**
 * The thread reply under a finished run that went wrong. Editing the run message notifies nobody,
 * so this reply is what tells the requester.
 */
import { isFailing } from '../runs/status';
import type { Run } from '../runs/types';
import { escapeTruncated, oneLine } from './escape';
import { plural } from './format';
import { fallback, section, type SlackMessage } from './message';
import { orderSessions } from './order';
import { mentionsFor } from './origin';
import { countStatuses, formatCountsPlain } from './progress';

const NAMES_SHOWN = 10;
const NAME_MAX = 80;

/** Whether the run deserves a reply: anything failed, degraded or timed out. */
export function needsFailureReply(run: Run): boolean {
  return run.sessions.some((s) => isFailing(s.status));
}

/** "<@U123> 2 of 10 checks failed: *Checkout flow*, *Login API*" */
export function renderFailureReply(run: Run): SlackMessage {
  const failing = orderSessions(run.sessions.filter((s) => isFailing(s.status)));
  const degraded = failing.filter((s) => s.status === 'DEGRADED').length;
  const failed = failing.length - degraded;
  const total = run.sessions.length;
  const what =
    failed > 0 && degraded > 0
      ? `${failed} of ${plural(total, 'check')} failed and ${degraded} degraded`
      : failed > 0
        ? `${failed} of ${plural(total, 'check')} failed`
        : `${degraded} of ${plural(total, 'check')} degraded`;
  const names = failing.slice(0, NAMES_SHOWN).map((s) => escapeTruncated(oneLine(s.name) || s.checkId, NAME_MAX));
  const more = failing.length - names.length;
  const list = names.map((n) => `*${n}*`).join(', ') + (more > 0 ? ` and ${more} more` : '');
  const mention = mentionsFor(run);
  if (failing.length === 0) {
    const counts = formatCountsPlain(countStatuses(run.sessions));
    return { text: fallback(`${mention} nothing failed: ${counts}`), blocks: [section(`${mention} nothing failed: ${counts}`)] };
  }
  return {
    // The fallback text is what the notification shows: it carries the mention too.
    text: fallback(`${mention} ${what}: ${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`),
    blocks: [section(`${mention} ${what}: ${list}`)],
  };
}
