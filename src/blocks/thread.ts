/**
 * The thread reply under a finished run that went wrong. Editing the run message notifies nobody,
 * so this reply is what tells the requester. It lists every failed check, in the run message's order;
 * a long list goes over several replies, each within the text cap and Slack's block limits.
 */
import type { SectionBlock } from '@slack/types';
import { isFailing } from '../runs/status';
import type { Run, Session } from '../runs/types';
import { anythingNew } from './changes';
import { escapeTruncated, link, oneLine } from './escape';
import { plural } from './format';
import { LIMITS, fallback, section, type SlackMessage } from './message';
import { STATUS_GLYPH, failingInOrder } from './order';
import { mentionsFor } from './origin';
import { countStatuses, formatCountsPlain } from './progress';
import { SIZE_CAPS, type MessageSize } from './size';

/** Names in the notification's fallback text; the blocks list them all. */
const NAMES_IN_FALLBACK = 10;
const NAME_MAX = 80;

export interface FailureReply extends SlackMessage {
  /** How many failed checks this reply lists. */
  listed: number;
}

export interface FailureReplyOptions {
  /** Text cap of each reply (default 'full'). */
  size?: MessageSize;
  /** Failed checks already listed by replies posted before: the replies go on from the next one. */
  skip?: number;
}

/** Whether the run deserves a reply: anything failed, degraded or timed out. */
export function needsFailureReply(run: Run): boolean {
  return run.sessions.some((s) => isFailing(s.status));
}

/** One failed check: its status and its name, linked to its session in Checkly. */
export function failureLine(session: Session): string {
  return `${STATUS_GLYPH[session.status]} *${link(session.link, oneLine(session.name) || session.checkId, NAME_MAX)}*`;
}

/**
 * "<@U123> 2 of 10 checks failed", "… 1 of 10 checks failed, 1 degraded and 1 timed out": counted as
 * the run message's progress line counts them (progress.ts countStatuses), timed out apart from failed.
 */
function summary(run: Run, failing: readonly Session[]): string {
  const counts = countStatuses(failing);
  const parts = (
    [
      [counts.failed, 'failed'],
      [counts.degraded, 'degraded'],
      [counts.timedOut, 'timed out'],
    ] as const
  ).filter(([n]) => n > 0);
  const [n, words] = parts[0] ?? [0, 'failed'];
  const head = `${n} of ${plural(run.sessions.length, 'check')} ${words}`;
  const rest = parts.slice(1).map(([m, w]) => `${m} ${w}`);
  const last = rest.pop();
  const what = last === undefined ? head : `${[head, ...rest].join(', ')} and ${last}`;
  // Nothing new: the thread says so without a ping (product.md section 13).
  if (!anythingNew(run)) return `${what}, none of them new: each was failing before this run`;
  return `${mentionsFor(run)} ${what}`;
}

/** "<@U123> nothing failed: 10 passed" */
function nothingFailed(run: Run): string {
  return `${mentionsFor(run)} nothing failed: ${formatCountsPlain(countStatuses(run.sessions))}`;
}

/**
 * The first reply's head alone: the mention, the count and the first names (the failure evidence
 * follows it, then the replies listing the rest; see renderFailureReplies' `skip`).
 * "<@U123> 2 of 10 checks failed: *Checkout flow*, *Login API*"
 */
export function renderFailureReply(run: Run): SlackMessage {
  const failing = failingInOrder(run);
  if (failing.length === 0) {
    const line = nothingFailed(run);
    return { text: fallback(line), blocks: [section(line)] };
  }
  const names = failing.slice(0, NAMES_IN_FALLBACK).map((s) => escapeTruncated(oneLine(s.name) || s.checkId, NAME_MAX));
  const more = failing.length - names.length;
  const list = names.map((n) => `*${n}*`).join(', ') + (more > 0 ? ` and ${more} more` : '');
  return { text: notification(run, failing), blocks: [section(`${summary(run, failing)}: ${list}`)] };
}

/** The first line of a reply that goes on from an earlier one. */
function continuedLine(from: number, to: number, of: number): string {
  return `Failed checks ${from}–${to} of ${of}, continued:`;
}

/**
 * The replies listing every failed check (from `skip` on): the first mentions the requester and says
 * how many failed; each holds as many checks as its text cap and Slack's limits allow.
 */
export function renderFailureReplies(run: Run, opts: FailureReplyOptions = {}): FailureReply[] {
  const failing = failingInOrder(run);
  if (failing.length === 0) {
    const line = nothingFailed(run);
    return [{ text: fallback(line), blocks: [section(line)], listed: 0 }];
  }
  const cap = SIZE_CAPS[opts.size ?? 'full'].text;
  const lines = failing.map(failureLine);
  const replies: FailureReply[] = [];
  for (let from = opts.skip ?? 0; from < failing.length; ) {
    const first = from === 0;
    // The first line's longest form is reserved: the end of the range is known only once packed.
    const head = first ? `${summary(run, failing)}:` : continuedLine(from + 1, failing.length, failing.length);
    const packed = pack(lines.slice(from), head.length, cap);
    const to = from + packed.length;
    const top = first ? head : continuedLine(from + 1, to, failing.length);
    replies.push({
      text: first ? notification(run, failing) : fallback(top.replace(/:$/, '')),
      blocks: sections([top, ...packed]),
      listed: packed.length,
    });
    from = to;
  }
  return replies;
}

/** As many lines as fit one reply after a first line of `headLength`: at least one, within `cap` and 50 blocks. */
function pack(lines: readonly string[], headLength: number, cap: number): string[] {
  const taken: string[] = [];
  let text = headLength;
  let sectionLength = headLength;
  let blocks = 1;
  for (const line of lines) {
    const joined = sectionLength + 1 + line.length <= LIMITS.sectionText;
    const cost = joined ? 1 + line.length : line.length;
    if (taken.length > 0 && (text + cost > cap || (!joined && blocks + 1 > LIMITS.blocks))) break;
    if (!joined) blocks += 1;
    sectionLength = joined ? sectionLength + 1 + line.length : line.length;
    text += cost;
    taken.push(line);
  }
  return taken;
}

/** Lines joined into sections of at most Slack's section length, in order. */
function sections(lines: readonly string[]): SectionBlock[] {
  const texts: string[] = [];
  for (const line of lines) {
    const last = texts.length - 1;
    const current = texts[last];
    if (current !== undefined && current.length + 1 + line.length <= LIMITS.sectionText) texts[last] = `${current}\n${line}`;
    else texts.push(line);
  }
  return texts.map((t) => section(t));
}

/** What the notification shows: the mention, the count and the first names. */
function notification(run: Run, failing: readonly Session[]): string {
  const names = failing.slice(0, NAMES_IN_FALLBACK).map((s) => escapeTruncated(oneLine(s.name) || s.checkId, NAME_MAX));
  const more = failing.length - names.length;
  return fallback(`${summary(run, failing)}: ${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
}
