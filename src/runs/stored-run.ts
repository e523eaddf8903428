import { isSettled } from './status';
import type { Run } from './types';

/**
 * What every store needs to agree on, so that the memory, SQLite and Redis stores answer alike.
 */

/**
 * When a settled run counts as finished for `prune`; undefined while something is left to do for
 * it (see isSettled). A settled run without `finishedAt` counts as finished when it was created.
 */
export function prunableSince(run: Run): number | undefined {
  if (!isSettled(run)) return undefined;
  return run.finishedAt ?? run.createdAt;
}

/** listUnfinished's order: oldest first, ties by id so that every store gives the same order. */
export function compareByAge(a: Run, b: Run): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A change that moved a run to another id would leave it filed under the old one. */
export function checkSameId(id: string, changed: Run): void {
  if (changed.id !== id) throw new Error(`a change of run ${id} must not change its id`);
}

export function serializeRun(run: Run): string {
  return JSON.stringify(run);
}

/** Parses what a store wrote; anything else means the store was written by someone else. */
export function parseRun(json: string): Run {
  const value: unknown = JSON.parse(json);
  if (!isRunShaped(value)) throw new Error('stored run is not a run');
  // Runs stored before the digest had its own name called it `shown`.
  const legacy = value as Run & { shown?: unknown };
  if (typeof legacy.shown === 'string' && legacy.shownDigest === undefined) legacy.shownDigest = legacy.shown;
  delete legacy.shown;
  return value;
}

function isRunShaped(value: unknown): value is Run {
  if (typeof value !== 'object' || value === null) return false;
  const run = value as Partial<Record<keyof Run, unknown>>;
  return typeof run.id === 'string' && typeof run.phase === 'string' && typeof run.createdAt === 'number' && Array.isArray(run.sessions);
}
