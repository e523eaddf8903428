/**
 * `/checkly history <target>` (ephemeral): the target's last runs in this channel as a grid, a row
 * per check and a column per run (newest on the right), each column linking to its run message; under
 * it, the checks that changed most often. Pure.
 */
import type { KnownBlock } from '@slack/types';
import type { Cell, HistoryGrid } from '../runs/history';
import { codeSpan, escapeTruncated, link, oneLine } from './escape';
import { plural, slackDate } from './format';
import { LIMITS, context, fallback, section, textLength, type SlackMessage } from './message';
import { SIZE_CAPS } from './size';

export const CELL_GLYPH: Readonly<Record<Cell, string>> = { passed: '🟩', failed: '🟥', degraded: '🟨', none: '⬜' };
/** Column labels: run 1 (the oldest shown) to 10. */
const COLUMN_LABELS = ['①', '②', '③', '④', '⑤', '⑥', '⑦', '⑧', '⑨', '⑩'];
const NAME_MAX = 80;
/** Checks named under the grid as changing most often. */
const CHANGED_NAMED = 5;

export interface HistoryContext {
  /** The target as typed (plain text; escaped here). */
  target: string;
  /** Each run's message link, by run id (runs whose link is unknown show unlinked). */
  permalinks: Readonly<Record<string, string>>;
  commandName: string;
}

export function renderHistory(grid: HistoryGrid, ctx: HistoryContext): SlackMessage {
  const target = codeSpan(ctx.target, 200);
  if (grid.columns.length === 0) {
    const line = `No runs of ${target} in this channel yet (runs are kept for RUN_RETENTION_DAYS). Start one with \`${ctx.commandName} run ${escapeTruncated(oneLine(ctx.target), 200)}\`.`;
    return { text: fallback(`No runs of ${ctx.target} in this channel yet`), blocks: [section(line)] };
  }
  const head: KnownBlock[] = [
    section(`*The last ${plural(grid.columns.length, 'run')} of ${target} in this channel*, oldest on the left`),
    context([columnsLine(grid, ctx)]),
  ];
  const tail: KnownBlock[] = grid.changedMost.length > 0 ? [section(changedLine(grid))] : [context(['No check changed its outcome over these runs.'])];
  const legend = context([
    `${CELL_GLYPH.passed} passed · ${CELL_GLYPH.failed} failed · ${CELL_GLYPH.degraded} degraded · ${CELL_GLYPH.none} not in that run, or no result`,
  ]);
  const rows = gridSections(grid, {
    blocks: LIMITS.blocks - head.length - tail.length - 1,
    text: SIZE_CAPS.full.text - textLength([...head, ...tail, legend]),
  });
  return {
    text: fallback(`The last ${plural(grid.columns.length, 'run')} of ${ctx.target} in this channel: ${plural(grid.rows.length, 'check')}`),
    blocks: [...head, ...rows, legend, ...tail],
  };
}

/** `Runs: ① ② …`, each linked to its message, with the newest's time. */
function columnsLine(grid: HistoryGrid, ctx: HistoryContext): string {
  const labels = grid.columns.map((c, i) => {
    const label = COLUMN_LABELS[i] ?? String(i + 1);
    const url = ctx.permalinks[c.runId];
    return url !== undefined ? link(url, label) : label;
  });
  const newest = grid.columns[grid.columns.length - 1];
  return `Runs ${labels.join(' ')}${newest ? ` (the newest started ${slackDate(newest.createdAt)})` : ''}`;
}

/** A row per check, packed into sections within `room`; a closing line counts what did not fit. */
function gridSections(grid: HistoryGrid, room: { blocks: number; text: number }): KnownBlock[] {
  const lines = grid.rows.map((row) => `${row.cells.map((c) => CELL_GLYPH[c]).join('')}  ${escapeTruncated(oneLine(row.name) || row.checkId, NAME_MAX)}`);
  const closing = (n: number): string => `…and ${plural(n, 'more check')}`;
  const budget = room.text - closing(lines.length).length;
  const texts: string[] = [];
  let used = 0;
  let shown = 0;
  for (const line of lines) {
    const last = texts.length - 1;
    const current = texts[last];
    const joins = current !== undefined && current.length + 1 + line.length <= LIMITS.sectionText;
    if (used + line.length + 1 > budget || (!joins && texts.length + 1 > room.blocks - 1)) break;
    if (joins) texts[last] = `${current}\n${line}`;
    else texts.push(line);
    used += line.length + 1;
    shown += 1;
  }
  const blocks: KnownBlock[] = texts.map((t) => section(t));
  if (shown < lines.length) blocks.push(section(closing(lines.length - shown)));
  return blocks;
}

/** "Changed most often: *Search* (4 times), *Cart* (2 times)". */
function changedLine(grid: HistoryGrid): string {
  const named = grid.changedMost
    .slice(0, CHANGED_NAMED)
    .map((r) => `*${escapeTruncated(oneLine(r.name) || r.checkId, NAME_MAX)}* (${plural(r.changes, 'time')})`);
  const more = grid.changedMost.length - named.length;
  return `Changed most often: ${named.join(', ')}${more > 0 ? ` and ${plural(more, 'more check')}` : ''}`;
}
