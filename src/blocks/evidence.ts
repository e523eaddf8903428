/**
 * The failure evidence in the thread reply: for each of the first failing checks, where it failed,
 * the error or failed assertion, the response status and time, the attempts, a link to the result
 * and a Details button. The reply is split into several messages when Slack's limits require it.
 */
import type { Button, KnownBlock, StaticSelect } from '@slack/types';
import type { ResultDetail } from '../runs/types';
import { EVIDENCE_CHECKS, type FailureEvidence } from '../runs/gather-evidence';
import type { Run, Session } from '../runs/types';
import { encodeButtonValue } from './actions';
import { codeSpan, escapeTruncated, link, oneLine } from './escape';
import { truncate } from '../shared/truncate';
import { formatDuration, plural } from './format';
import { LIMITS, fallback, section, textLength, type SlackMessage } from './message';
import { STATUS_GLYPH, failingInOrder } from './order';
import { formatLocations, slowLine } from './rows';

/** The Details button of the n-th failure in a thread reply: `failure_details:<n>`. */
const ACTION_FAILURE_DETAILS = 'failure_details';
export const ACTION_FAILURE_DETAILS_PATTERN = /^failure_details:\d+$/;
/** The "Details…" menu of the run message. */
export const ACTION_RUN_DETAILS = 'run_details';

/** All the text of one message's blocks stays under this (Slack refuses from about 11,300). */
const MESSAGE_TEXT_CAP = 10_000;
/** Checks the run message's Details menu lists, and how much of each name. */
const MENU_OPTIONS = 20;
const MENU_NAME_MAX = 40;
/** Slack's limit on an option's value. */
const OPTION_VALUE_MAX = 150;
const NAME_MAX = 120;
const ERROR_MAX = 500;
const URL_MAX = 300;

/** The sessions whose evidence the thread reply shows. */
export function evidenceSessions(run: Run): Session[] {
  return failingInOrder(run).slice(0, EVIDENCE_CHECKS);
}

/**
 * The thread reply: `head` (the mention and the summary) and one section per failing check, first
 * EVIDENCE_CHECKS only, then "and N more". Split into as many messages as Slack's limits need; only
 * the first carries the mention.
 */
export function renderEvidenceReplies(run: Run, head: SlackMessage, evidence: ReadonlyMap<string, FailureEvidence>): SlackMessage[] {
  const failing = failingInOrder(run);
  const shown = failing.slice(0, EVIDENCE_CHECKS);
  const sections: KnownBlock[] = shown.map((s, i) => evidenceSection(run.id, s, evidence.get(s.checkId), i));
  const more = failing.length - shown.length;
  if (more > 0) sections.push(section(`…and ${plural(more, 'more failing check')}: listed below.`));

  const messages: SlackMessage[] = [];
  let blocks: KnownBlock[] = [...head.blocks];
  let chars = textLength(blocks);
  for (const block of sections) {
    const size = textLength(block);
    if (blocks.length + 1 > LIMITS.blocks || chars + size > MESSAGE_TEXT_CAP) {
      messages.push({ text: messages.length === 0 ? head.text : continuation(run), blocks });
      blocks = [];
      chars = 0;
    }
    blocks.push(block);
    chars += size;
  }
  if (blocks.length > 0) messages.push({ text: messages.length === 0 ? head.text : continuation(run), blocks });
  return messages;
}

function continuation(run: Run): string {
  return fallback(`More about the failed checks of this run (${plural(failingInOrder(run).length, 'check')})`);
}

/** One failing check: name, where, why, response, attempts, links; a Details button. */
function evidenceSection(runId: string, session: Session, evidence: FailureEvidence | undefined, index: number): KnownBlock {
  const name = oneLine(session.name) || session.checkId;
  const degraded = session.status === 'DEGRADED';
  const where = session.failedLocations.length > 0 ? `${degraded ? 'degraded' : 'failed'} in ${formatLocations(session.failedLocations)}` : '';
  const detail = evidence?.detail;
  const title = [`${STATUS_GLYPH[session.status]} *${link(session.link, name, NAME_MAX)}*`];
  if (where !== '') title.push(where);
  // The session's time, as its row in the run message says it (one figure for "how long it took").
  if (session.timeElapsed !== undefined) title.push(`took ${formatDuration(session.timeElapsed)}`);
  if (detail?.attempts !== undefined && detail.attempts > 1) title.push(`${detail.attempts} attempts`);
  const lines = [title.join(' · ')];

  const why = detail ? whyLine(detail) : session.error;
  // Without an error, a check only slower than its limit says its response time (once: not on the HTTP line too).
  const reason = why !== undefined && oneLine(why) !== '' ? codeSpan(why, ERROR_MAX) : undefined;
  const slow = reason === undefined ? slowLine(session) : '';
  const said = reason ?? slow;
  if (said !== '') lines.push(said);
  if (detail) {
    const response = responseLine(detail, slow === '');
    if (response !== '') lines.push(response);
  }
  if (evidence?.problem) lines.push(`_${escapeTruncated(evidence.problem, 200)}_`);
  if (evidence?.result) lines.push(link(evidence.result.link, `Result in ${evidence.result.location} in Checkly`));

  const button = detailsButton(runId, session.checkId, index);
  return section(truncate(lines.join('\n'), LIMITS.sectionText), button);
}

/** The failed assertion (expected and actual) when there is one, else the first error. */
function whyLine(detail: ResultDetail): string | undefined {
  const failed = detail.assertions.find((a) => !a.passed);
  if (failed) {
    const expected = [failed.comparison, failed.target].filter((p) => p !== '').join(' ');
    const actual = failed.actual !== undefined ? `, got ${failed.actual}` : '';
    const what = [failed.source, failed.property].filter((p) => p !== '').join(' ');
    return `Assertion failed: ${what} expected ${expected}${actual}`;
  }
  // An assertion that passed is no reason: a check only slower than its limit has none (slowLine).
  return detail.errors[0]?.split(/\r?\n/).find((l) => l.trim() !== '');
}

/**
 * "HTTP 500 Internal Server Error in 180ms · GET https://…" for API checks: the response's own time,
 * said as such (the check's time is on the title line, as in its row), unless `withTime` is false;
 * nothing otherwise.
 */
function responseLine(detail: ResultDetail, withTime: boolean): string {
  const parts: string[] = [];
  if (detail.response?.status !== undefined) {
    const text = detail.response.statusText ? ` ${escapeTruncated(oneLine(detail.response.statusText), 60)}` : '';
    const time = withTime && detail.responseTimeMs !== undefined ? ` in ${formatDuration(detail.responseTimeMs)}` : '';
    parts.push(`HTTP ${detail.response.status}${text}${time}`);
  }
  if (detail.request) parts.push(codeSpan(`${detail.request.method} ${detail.request.url}`, URL_MAX));
  return parts.join(' · ');
}

function detailsButton(runId: string, checkId: string, index: number): Button | undefined {
  const value = encodeButtonValue({ run: runId, check: checkId });
  if (value.length > LIMITS.buttonValue) return undefined;
  return { type: 'button', action_id: `${ACTION_FAILURE_DETAILS}:${index}`, text: { type: 'plain_text', text: 'Details' }, value };
}

/**
 * The run message's "Details…" menu: one option per failing check (the first MENU_OPTIONS, as the rows
 * list them), in the actions block. One element whatever the run's size, a few hundred characters.
 */
export function detailsMenu(run: Run): StaticSelect | undefined {
  const options = failingInOrder(run)
    .slice(0, MENU_OPTIONS)
    .map((s) => ({
      text: { type: 'plain_text' as const, text: escapeTruncated(oneLine(s.name) || s.checkId, MENU_NAME_MAX) },
      value: encodeButtonValue({ run: run.id, check: s.checkId }),
    }))
    .filter((o) => o.value.length <= OPTION_VALUE_MAX);
  if (options.length === 0) return undefined;
  return {
    type: 'static_select',
    action_id: ACTION_RUN_DETAILS,
    placeholder: { type: 'plain_text', text: 'Details…' },
    options,
  };
}
