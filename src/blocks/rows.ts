/**
 * One row per check, packed several to a section, within Slack's limits whatever the run's size:
 * failing and running checks first and in full as far as the blocks and the text cap allow,
 * passed checks folded into one line when there are many, and a closing line counting whatever did
 * not fit.
 */
import type { SectionBlock } from '@slack/types';
import { isFailing } from '../runs/status';
import type { Session } from '../runs/types';
import { rerunCheckButton } from './actions';
import { changeMark, changeNote } from './changes';
import { codeSpan, escapeMrkdwn, escapeTruncated, link, oneLine } from './escape';
import { checkTypeLabel, formatDuration, plural } from './format';
import { LIMITS, section } from './message';
import { STATUS_GLYPH, orderSessions, statusGroup } from './order';

/** Rows with their own Rerun button each take a whole section, so only the first few get one. */
const MAX_ROW_BUTTONS = 5;
/** Passed checks are folded when the run has more than this many checks... */
const FOLD_ABOVE_CHECKS = 20;
/** ...and more than this many of them passed. */
const FOLD_ABOVE_PASSED = 10;
const MAX_LOCATIONS_SHOWN = 5;

// Per-part caps, in escaped characters: a row stays well under a section's 3,000 however hostile.
const NAME_MAX = 150;
const LOCATION_MAX = 40;
const ERROR_MAX = 400;

export function formatLocations(locations: readonly string[]): string {
  const shown = locations.slice(0, MAX_LOCATIONS_SHOWN).map((l) => escapeTruncated(oneLine(l), LOCATION_MAX));
  const more = locations.length - shown.length;
  return more > 0 ? `${shown.join(', ')} +${more} more` : shown.join(', ');
}

/** One check as mrkdwn: a line, and for a failing check a second line saying where and why (its error within `errorMax`; 0 leaves the error out). */
export function renderRow(session: Session, errorMax = ERROR_MAX): string {
  const name = oneLine(session.name) || session.checkId;
  const parts = [
    `${changeMark(session)}${STATUS_GLYPH[session.status]} *${link(session.link, name, NAME_MAX)}*`,
    escapeMrkdwn(checkTypeLabel(session.checkType)),
  ];
  if (session.locations.length > 0) parts.push(formatLocations(session.locations));
  if (session.timeElapsed !== undefined) parts.push(formatDuration(session.timeElapsed));
  const line = parts.join(' · ');
  if (statusGroup(session.status) !== 0) {
    // A check that passed only on a retry says so.
    const note = changeNote(session);
    return note === '' ? line : `${line}\n        ↳ ${note}`;
  }

  const degraded = session.status === 'DEGRADED' || session.status === 'PROGRESS_DEGRADED';
  const where = session.failedLocations.length > 0 ? `${degraded ? 'degraded' : 'failed'} in ${formatLocations(session.failedLocations)}` : '';
  const error = errorMax === 0 ? '' : session.error !== undefined && oneLine(session.error) !== '' ? codeSpan(session.error, errorMax) : slowLine(session);
  const detail = withChangeNote(session, [where, error].filter((p) => p !== '').join(': '));
  return detail === '' ? line : `${line}\n        ↳ ${detail}`;
}

/** Why a check only slower than its limit degraded (LocationResult.slowOnly): its response time, the one thing Checkly says of it; '' otherwise. */
export function slowLine(session: Session): string {
  const slow = session.results?.find((r) => r.slowOnly && r.responseTimeMs !== undefined);
  return slow?.responseTimeMs !== undefined ? `responded in ${formatDuration(slow.responseTimeMs)}, over its degradation limit` : '';
}

/** A failing row's detail, led by what the check did before (`failing since …`, flaky) when known. */
function withChangeNote(session: Session, detail: string): string {
  const note = changeNote(session);
  return note === '' ? detail : detail === '' ? note : `${note} · ${detail}`;
}

export interface RowsOptions {
  runId: string;
  /** Blocks the rows may take, the closing line included. */
  maxBlocks: number;
  /** Characters of text the rows may take, the closing line and the row buttons' labels included. */
  maxText: number;
  /** Characters of a row's error line (default 400); 0 leaves it out. */
  errorMax?: number;
  /** The failed checks left out are listed in the thread reply (a final run): say so rather than link. */
  listedInThread?: boolean;
  /** Give the first few finally failed rows their own Rerun button. */
  rerunButtons: boolean;
  /** Where "see Checkly" points when rows are left out; else the first left-out failing session. */
  moreLink?: string;
}

export function renderRows(sessions: readonly Session[], opts: RowsOptions): SectionBlock[] {
  if (sessions.length === 0 || opts.maxBlocks < 1) return [];
  const ordered = orderSessions(sessions);
  const passedCount = ordered.filter((s) => s.status === 'PASSED').length;
  const foldPassed = ordered.length > FOLD_ABOVE_CHECKS && passedCount > FOLD_ABOVE_PASSED;
  const candidates = foldPassed ? ordered.filter((s) => s.status !== 'PASSED') : ordered;
  const closing = (leftOut: readonly Session[], anyShown: boolean, moreLink = opts.moreLink): string =>
    closingLines(leftOut, anyShown, moreLink, opts.listedInThread === true);

  // One block and the longest closing line stay free: everything left out (counts at their largest),
  // linking the failure with the longest link when there is no run page to link.
  const rowBlocks = opts.maxBlocks - 1;
  const seeLength = (url: string): number => link(url, 'see Checkly').length;
  const longestLink = ordered.reduce((longest, s) => (seeLength(s.link) > seeLength(longest) ? s.link : longest), '');
  const rowText = opts.maxText - closing(ordered, true, opts.moreLink ?? longestLink).length;
  const blocks: SectionBlock[] = [];
  let pending: string[] = [];
  let pendingLength = 0;
  let textUsed = 0;
  let shown = 0;
  let buttons = 0;
  const flush = (): void => {
    if (pending.length > 0) blocks.push(section(pending.join('\n')));
    pending = [];
    pendingLength = 0;
  };
  const blocksUsed = (): number => blocks.length + (pending.length > 0 ? 1 : 0);

  for (const session of candidates) {
    const row = renderRow(session, opts.errorMax);
    const button =
      opts.rerunButtons && buttons < MAX_ROW_BUTTONS && isFailing(session.status) ? rerunCheckButton(opts.runId, session.checkId, buttons) : undefined;
    if (button) {
      const cost = row.length + button.text.text.length;
      if (blocksUsed() + 1 > rowBlocks || textUsed + cost > rowText) break;
      flush();
      blocks.push(section(row, button));
      textUsed += cost;
      buttons += 1;
    } else if (pending.length > 0 && pendingLength + 1 + row.length <= LIMITS.sectionText) {
      if (textUsed + 1 + row.length > rowText) break;
      pending.push(row);
      pendingLength += 1 + row.length;
      textUsed += 1 + row.length;
    } else {
      if (blocksUsed() + 1 > rowBlocks || textUsed + row.length > rowText) break;
      flush();
      pending = [row];
      pendingLength = row.length;
      textUsed += row.length;
    }
    shown += 1;
  }
  flush();

  const leftOut = candidates.slice(shown).concat(foldPassed ? ordered.filter((s) => s.status === 'PASSED') : []);
  const lines = closing(leftOut, shown > 0);
  if (lines !== '') blocks.push(section(lines));
  return blocks;
}

/**
 * What was left out, counted: failing (listed in the thread once the run is final, else a link to
 * Checkly), then running, cancelled, passed.
 */
function closingLines(leftOut: readonly Session[], anyShown: boolean, moreLink: string | undefined, listedInThread: boolean): string {
  const failing = leftOut.filter((s) => statusGroup(s.status) === 0);
  const running = leftOut.filter((s) => statusGroup(s.status) === 1).length;
  const cancelled = leftOut.filter((s) => s.status === 'CANCELLED').length;
  const passed = leftOut.filter((s) => s.status === 'PASSED').length;
  const more = anyShown ? 'more ' : '';
  const lines: string[] = [];
  if (failing.length > 0 && listedInThread) {
    lines.push(`❌ …and ${failing.length} ${more}failed (listed in the thread)`);
  } else if (failing.length > 0) {
    const url = moreLink ?? failing[0]?.link ?? '';
    lines.push(`❌ …and ${failing.length} ${more}failed ${failing.length === 1 ? 'check' : 'checks'}: ${link(url, 'see Checkly')}`);
  }
  if (running > 0) lines.push(`⏳ …and ${plural(running, `${more}check`, `${more}checks`)} still running`);
  if (cancelled > 0) lines.push(`🚫 ${plural(cancelled, `${more}check`, `${more}checks`)} cancelled`);
  if (passed > 0) lines.push(`✅ ${plural(passed, `${more}check`, `${more}checks`)} passed`);
  return lines.join('\n');
}
