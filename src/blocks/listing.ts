/**
 * `/checkly checks <words>` and `/checkly failing`: ephemeral lists of checks, each with its type,
 * tags and state and a Run button, and one button for all shown. Pure; `now` is passed in.
 */
import type { Button, KnownBlock } from '@slack/types';
import type { CheckCondition, CheckEntry } from '../catalogue/model';
import type { RunError } from '../runs/types';
import { parseJsonObject } from '../shared/json';
import { isUuid } from '../shared/uuid';
import { codeSpan, escapeMrkdwn, escapeTruncated, oneLine } from './escape';
import { startConfirm } from './actions';
import { checkTypeLabel, formatDuration, plural, slackDate } from './format';
import { actions, context, fallback, section, type SlackMessage } from './message';

/** Per-row Run buttons are `find_run:<n>` (action ids are unique within a message). */
const ACTION_RUN_LISTED = 'find_run';
export const ACTION_RUN_LISTED_PATTERN = /^find_run:\d+$/;
export const ACTION_RUN_ALL_LISTED = 'find_run_all';
/** Rows shown at most: 20 rows of about 300 characters stay far inside a message's text cap. */
export const MAX_ROWS = 20;

export interface ListedRow {
  check: CheckEntry;
  /** Undefined when Checkly has no status for it (never run) or statuses could not be read. */
  condition?: CheckCondition;
}

export interface ListingContext {
  now: number;
  commandName: string;
  /** When the catalogue was read, and whether it is older than it should be (Checkly unavailable). */
  catalogueAt: number;
  stale: boolean;
  /** Statuses could not be read: rows show no state, and the list says why. */
  statusesUnavailable?: boolean;
}

/** The checks a Run button starts, as it carries them. */
function encodeRunValue(checkIds: readonly string[]): string {
  return JSON.stringify({ checks: checkIds });
}

export function parseRunValue(raw: string | undefined): string[] | undefined {
  const checks = parseJsonObject(raw)?.checks;
  if (!Array.isArray(checks) || checks.length === 0 || checks.length > MAX_ROWS) return undefined;
  return checks.every(isUuid) ? checks.map((c) => c.toLowerCase()) : undefined;
}

/** A Run button; one that starts more than a few checks asks first (actions.ts startConfirm). */
function runButton(actionId: string, text: string, checkIds: readonly string[], primary = false): Button {
  const confirm = startConfirm(checkIds.length, `Run ${checkIds.length} checks?`, 'Run them');
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text },
    value: encodeRunValue(checkIds),
    ...(primary ? { style: 'primary' as const } : {}),
    ...(confirm ? { confirm } : {}),
  };
}

function stateText(row: ListedRow, now: number): string {
  if (!row.check.activated) return '⏸ deactivated';
  const c = row.condition;
  if (!c) return '· no result yet';
  const since = c.since !== undefined ? ` since ${slackDate(c.since)} (${formatDuration(Math.max(0, now - c.since))} ago)` : '';
  const where = c.lastRunLocation !== undefined ? ` · last run in ${escapeTruncated(c.lastRunLocation, 30)}` : '';
  if (c.state === 'failing') return `❌ failing${since}${where}`;
  if (c.state === 'degraded') return `⚠️ degraded${since}${where}`;
  return `✅ passing${where}`;
}

/**
 * A row stays under about 420 characters, so that 20 of them keep the message under the 10,000
 * characters of text past which Slack may refuse it (`msg_blocks_too_long`, docs/commands.md#slacks-limits).
 */
const ROW_NAME_MAX = 100;
const ROW_TAGS_MAX = 180;

function tagsText(tags: readonly string[]): string {
  if (tags.length === 0) return '_no tags_';
  let out = '';
  for (const [i, tag] of tags.entries()) {
    const span = codeSpan(tag, 40);
    if (out.length + span.length + 1 > ROW_TAGS_MAX) return `${out} …+${tags.length - i}`;
    out = out === '' ? span : `${out} ${span}`;
  }
  return out;
}

/** A listed check in one section: its name, type and state, and its tags below (the Home tab shows the top failing ones so). */
export function listedRowText(row: ListedRow, now: number, statusesKnown: boolean): string {
  const { check } = row;
  const state = statusesKnown || !check.activated ? ` · ${stateText(row, now)}` : '';
  return `*${escapeTruncated(oneLine(check.name), ROW_NAME_MAX)}* · ${escapeMrkdwn(checkTypeLabel(check.checkType))}${state}\n${tagsText(check.tags)}`;
}

function rows(list: readonly ListedRow[], ctx: ListingContext): KnownBlock[] {
  return list
    .slice(0, MAX_ROWS)
    .map((row, i) =>
      section(
        listedRowText(row, ctx.now, !ctx.statusesUnavailable),
        row.check.activated ? runButton(`${ACTION_RUN_LISTED}:${i}`, 'Run', [row.check.id]) : undefined,
      ),
    );
}

function footer(list: readonly ListedRow[], ctx: ListingContext, more: string): KnownBlock[] {
  const shown = list.slice(0, MAX_ROWS);
  const runnable = shown.filter((r) => r.check.activated).map((r) => r.check.id);
  const blocks: KnownBlock[] = [];
  if (runnable.length > 1) blocks.push(actions('find_run_all', [runButton(ACTION_RUN_ALL_LISTED, `Run these (${runnable.length})`, runnable, true)]));
  const notes: string[] = [];
  if (list.length > MAX_ROWS) notes.push(more);
  if (ctx.stale) notes.push(`Checkly is unavailable: this list is from ${slackDate(ctx.catalogueAt)}.`);
  if (ctx.statusesUnavailable) notes.push('The current states could not be read from Checkly.');
  if (notes.length > 0) blocks.push(context(notes, ' '));
  return blocks;
}

/** `/checkly checks <words>`: `found` is best first, every match (only the first MAX_ROWS are shown). */
export function renderCheckList(words: string, found: readonly ListedRow[], ctx: ListingContext): SlackMessage {
  const quoted = codeSpan(words, 120);
  if (found.length === 0) {
    const line = `No check’s name or tags contain ${quoted}. Try fewer or shorter words, or ${codeSpan(ctx.commandName, 40)} to pick from a list.`;
    return { text: fallback(line), blocks: [section(line)] };
  }
  const head = `${plural(found.length, 'check')} match ${quoted}${found.length > MAX_ROWS ? `; the best ${MAX_ROWS}:` : ':'}`;
  const more = `…and ${found.length - MAX_ROWS} more: refine the words.`;
  return {
    text: fallback(`${plural(found.length, 'check')} match ${escapeTruncated(words, 120)}`),
    blocks: [section(head), ...rows(found, ctx), ...footer(found, ctx, more)],
  };
}

/** `/checkly failing`: worst first. `total` is how many checks the account has. */
export function renderFailingList(failing: readonly ListedRow[], total: number, ctx: ListingContext): SlackMessage {
  if (failing.length === 0) {
    const line = `✅ Nothing is failing or degraded right now (${plural(total, 'check')}).`;
    return { text: fallback(line), blocks: [section(line), ...footer([], ctx, '')] };
  }
  const failed = failing.filter((r) => r.condition?.state === 'failing').length;
  const degraded = failing.length - failed;
  const counts = [failed > 0 ? `${failed} failing` : '', degraded > 0 ? `${degraded} degraded` : ''].filter(Boolean).join(', ');
  const head = `*${counts}* right now, worst first:`;
  const more = `…and ${failing.length - MAX_ROWS} more failing or degraded: see Checkly.`;
  return { text: fallback(`${counts} right now`), blocks: [section(head), ...rows(failing, ctx), ...footer(failing, ctx, more)] };
}

/**
 * Checkly could not be read: say what Checkly said. `cold`: nothing was cached to answer from (a click
 * looks its checks up afresh, so it is not about the cache).
 */
export function renderCatalogueUnavailable(error: RunError, cold = true): SlackMessage {
  const status = error.status !== undefined ? ` (HTTP ${error.status})` : '';
  const label = error.kind === 'network' ? 'Error' : 'Checkly said';
  const what = cold ? 'Could not read the checks from Checkly, and none are cached yet.' : 'Could not look the checks up in Checkly; nothing was triggered.';
  const line = `⚠️ ${what} Try again in a minute.\n${label}: ${codeSpan(error.message || 'nothing', 500)}${status}`;
  return { text: fallback('Could not read the checks from Checkly; try again in a minute.'), blocks: [section(line)] };
}

/** A Run button for checks that no longer exist (deleted since the list was shown). */
export function renderChecksGone(names: readonly string[], commandName: string): SlackMessage {
  const which = names.length === 1 ? 'This check no longer exists' : `${plural(names.length, 'check')} no longer exist`;
  const line = `⚠️ ${which} in Checkly (deleted since the list was shown): ${names.map((n) => codeSpan(n, 80)).join(', ')}. Nothing was triggered. Search again with ${codeSpan(`${commandName} checks …`, 60)}.`;
  return { text: fallback(`${which} in Checkly. Nothing was triggered.`), blocks: [section(line)] };
}
