/**
 * A target's last runs in a channel at a glance (`/checkly history`, product.md section 13): a row
 * per check, a column per run, oldest on the left; and the checks whose outcome changed most often.
 * Pure: built from the runs the store listed.
 */
import type { Run, SessionStatus } from './types';

/** How many runs `/checkly history` shows. */
export const HISTORY_RUNS = 10;

/** One check's outcome in one run: passed, failed (or timed out), degraded, or none (not in it, not final, cancelled). */
export type Cell = 'passed' | 'failed' | 'degraded' | 'none';

export interface HistoryColumn {
  runId: string;
  ts?: string;
  createdAt: number;
}

export interface HistoryRow {
  checkId: string;
  /** Its name in the newest run it is in. */
  name: string;
  /** One per column, oldest first. */
  cells: Cell[];
  /** How many times its outcome changed from one run it has one in to the next. */
  changes: number;
}

export interface HistoryGrid {
  /** Oldest first: the newest run on the right. */
  columns: HistoryColumn[];
  /** By name. */
  rows: HistoryRow[];
  /** The checks that changed at all, most changes first (ties by name). */
  changedMost: HistoryRow[];
}

export function cellOf(status: SessionStatus | undefined): Cell {
  switch (status) {
    case 'PASSED':
      return 'passed';
    case 'FAILED':
    case 'TIMED_OUT':
      return 'failed';
    case 'DEGRADED':
      return 'degraded';
    default:
      return 'none';
  }
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** The grid of `runs`, given newest first (as RunStore.listRecent answers). */
export function historyGrid(newestFirst: readonly Run[]): HistoryGrid {
  const runs = [...newestFirst].reverse();
  const columns: HistoryColumn[] = runs.map((r) => ({ runId: r.id, createdAt: r.createdAt, ...(r.ts !== undefined ? { ts: r.ts } : {}) }));
  const rows = new Map<string, HistoryRow>();
  runs.forEach((run, col) => {
    for (const s of run.sessions) {
      let row = rows.get(s.checkId);
      if (!row) {
        row = { checkId: s.checkId, name: s.name, cells: runs.map(() => 'none'), changes: 0 };
        rows.set(s.checkId, row);
      }
      // Later runs come later: the newest name wins.
      row.name = s.name;
      row.cells[col] = cellOf(s.status);
    }
  });
  for (const row of rows.values()) row.changes = changesIn(row.cells);
  const byName = (a: HistoryRow, b: HistoryRow): number => collator.compare(a.name, b.name) || (a.checkId < b.checkId ? -1 : a.checkId > b.checkId ? 1 : 0);
  const sorted = [...rows.values()].sort(byName);
  const changedMost = sorted.filter((r) => r.changes > 0).sort((a, b) => b.changes - a.changes || byName(a, b));
  return { columns, rows: sorted, changedMost };
}

function changesIn(cells: readonly Cell[]): number {
  let changes = 0;
  let last: Cell | undefined;
  for (const cell of cells) {
    if (cell === 'none') continue;
    if (last !== undefined && cell !== last) changes += 1;
    last = cell;
  }
  return changes;
}
