/**
 * The Details modal of one failing check: per location its status, errors, the API request line,
 * response and assertions, the failing browser step, the job log's last lines, and links to the
 * result and the check in Checkly. A "loading" view first (Slack's trigger expires in 3 s), then this.
 */
import type { KnownBlock, ModalView } from '@slack/types';
import type { AssertionRow, ResultDetail } from '../runs/types';
import type { LocationResult, Session } from '../runs/types';
import { escapeMrkdwn, escapeTruncated, link, oneLine } from './escape';
import { truncate } from '../shared/truncate';
import { checkTypeLabel, formatDuration } from './format';
import { context, header, section } from './message';
import { STATUS_GLYPH } from './order';

const DETAILS_CALLBACK_ID = 'failure_details';
/** Slack's modal limits (docs/commands.md#slacks-limits). */
export const MODAL_LIMITS = { blocks: 100, title: 24, privateMetadata: 3000 } as const;
/** Locations detailed in one modal; the rest are counted. */
export const MODAL_LOCATIONS = 6;
const CODE_MAX = 2_900;

export interface LocationDetail {
  result: LocationResult;
  detail?: ResultDetail;
  /** Why the details are missing (a 404: Checkly no longer has the result). */
  problem?: string;
}

function modal(blocks: KnownBlock[], metadata: string): ModalView {
  return {
    type: 'modal',
    callback_id: DETAILS_CALLBACK_ID,
    title: { type: 'plain_text', text: 'Check details' },
    close: { type: 'plain_text', text: 'Close' },
    private_metadata: metadata.length <= MODAL_LIMITS.privateMetadata ? metadata : '',
    blocks: blocks.slice(0, MODAL_LIMITS.blocks),
  };
}

/** What Slack shows at once, while the result is fetched. */
export function renderLoadingModal(metadata: string): ModalView {
  return modal([section('⏳ Loading the result from Checkly…')], metadata);
}

/** A modal that says only why there is nothing to show (an unknown run, a check not in it). */
export function renderDetailsProblem(text: string, metadata: string): ModalView {
  return modal([section(escapeTruncated(text, 2_000))], metadata);
}

/** An access refusal: `reason` is the policy's, already mrkdwn and safe. */
export function renderDetailsRefusal(reason: string, metadata: string): ModalView {
  return modal([section(reason)], metadata);
}

export function renderDetailsModal(session: Session, locations: readonly LocationDetail[], metadata: string): ModalView {
  const name = oneLine(session.name) || session.checkId;
  const blocks: KnownBlock[] = [header(name)];
  const facts = [`${STATUS_GLYPH[session.status]} ${session.status.toLowerCase().replace('_', ' ')}`, escapeMrkdwn(checkTypeLabel(session.checkType))];
  if (session.timeElapsed !== undefined) facts.push(formatDuration(session.timeElapsed));
  const checkLink = checkUrl(session.link);
  facts.push(link(session.link, 'Session in Checkly'));
  if (checkLink) facts.push(link(checkLink, 'Check in Checkly'));
  blocks.push(context(facts));

  const shown = locations.slice(0, MODAL_LOCATIONS);
  for (const loc of shown) {
    const locationBlocks = locationSection(loc);
    // Keep one place for the closing line.
    if (blocks.length + 1 + locationBlocks.length > MODAL_LIMITS.blocks - 1) break;
    blocks.push({ type: 'divider' }, ...locationBlocks);
  }
  if (locations.length > shown.length) blocks.push(context([`…and ${locations.length - shown.length} more locations: see Checkly.`]));
  if (locations.length === 0) blocks.push(section('_Checkly listed no result for this check._'));
  return modal(blocks, metadata);
}

function locationSection(loc: LocationDetail): KnownBlock[] {
  const { result, detail } = loc;
  const out: KnownBlock[] = [];
  const outcome = detail?.outcome ?? (result.failing ? 'failed' : 'passed');
  const glyph = outcome === 'failed' ? '❌' : outcome === 'degraded' ? '⚠️' : outcome === 'cancelled' ? '🚫' : '✅';
  const title = [`${glyph} *${escapeTruncated(oneLine(result.location), 60)}* ${outcome}`];
  if (detail?.attempts !== undefined && detail.attempts > 1) title.push(`${detail.attempts} attempts`);
  if (detail?.responseTimeMs !== undefined) title.push(formatDuration(detail.responseTimeMs));
  title.push(link(result.link, 'Result in Checkly'));
  out.push(section(title.join(' · ')));
  if (!detail) {
    out.push(section(`_${escapeTruncated(loc.problem ?? 'No details.', 500)}_`));
    return out;
  }
  if (detail.request || detail.response) {
    const lines: string[] = [];
    if (detail.request) lines.push(`*Request* ${codeBlockLine(`${detail.request.method} ${detail.request.url}`, 600)}`);
    if (detail.response?.status !== undefined || detail.response?.statusText !== undefined) {
      const status = [detail.response.status, detail.response.statusText].filter((p) => p !== undefined && p !== '').join(' ');
      const time = detail.responseTimeMs !== undefined ? ` in ${formatDuration(detail.responseTimeMs)}` : '';
      lines.push(`*Response* ${codeBlockLine(String(status), 100)}${time}`);
    }
    out.push(section(lines.join('\n')));
  }
  if (detail.assertions.length > 0) out.push(section(truncate(`*Assertions*\n${detail.assertions.map(assertionLine).join('\n')}`, 3000)));
  if (detail.failingStep) out.push(section(`*Failing step* ${codeBlockLine(detail.failingStep, 500)}`));
  if (detail.errors.length > 0) out.push(section(`*Errors*\n${codeBlock(detail.errors.join('\n\n'))}`));
  if (detail.logTail.length > 0) out.push(section(`*Job log* (last ${detail.logTail.length} lines)\n${codeBlock(detail.logTail.join('\n'))}`));
  return out;
}

function assertionLine(a: AssertionRow): string {
  const what = [a.source, a.property].filter((p) => p !== '').join(' ');
  const expected = [a.comparison, a.target].filter((p) => p !== '').join(' ');
  const actual = a.actual !== undefined ? ` · got ${codeBlockLine(a.actual, 200)}` : '';
  return `${a.passed ? '✅' : '❌'} ${codeBlockLine(what || 'assertion', 150)} expected ${codeBlockLine(expected || '?', 200)}${actual}`;
}

/** Inline code for outside text: one line, no backticks (mrkdwn cannot escape them), `&<>` escaped. */
function codeBlockLine(text: string, max: number): string {
  const body = escapeTruncated(oneLine(text).replace(/`/g, 'ˋ'), max);
  return `\`${body || ' '}\``;
}

/** A preformatted block of outside text; a ``` inside would end it, so backticks become look-alikes. */
function codeBlock(text: string): string {
  const body = escapeTruncated(text.replace(/`/g, 'ˋ'), CODE_MAX - 8);
  return `\`\`\`\n${body.trim() === '' ? ' ' : body}\n\`\`\``;
}

/** The check's page in Checkly, from a session link (`…/checks/{id}/check-sessions/{sid}`). */
function checkUrl(sessionLink: string): string | undefined {
  const i = sessionLink.indexOf('/check-sessions/');
  return i > 0 && /\/checks\/[^/]+$/.test(sessionLink.slice(0, i)) ? sessionLink.slice(0, i) : undefined;
}
