import { DURATIONS_KEPT, type DurationStore } from './durations';
import { isSettled } from './status';
import { checkSameId, compareByAge, prunableSince } from './stored-run';
import { historyKey } from './target-key';
import type { Run } from './types';

/**
 * Where runs live. Every change goes through `update`, which applies the change atomically, so
 * that a click and a result arriving together cannot overwrite each other, in one process or
 * across replicas. Every run handed out is a copy: changing it changes nothing stored.
 */
export interface RunStore {
  /** Rejects when a run with this id exists already. */
  create(run: Run): Promise<void>;
  get(id: string): Promise<Run | undefined>;
  /**
   * Applies `change` to the stored run atomically and returns the run as stored after the change,
   * or undefined (without calling `change`) when no run has this id.
   *
   * A shared store applies changes optimistically and retries when another replica changed the
   * run in between, so `change` may be called more than once, each time on a fresh copy of the
   * stored run. It must therefore depend only on the run it is given, and anything it records
   * outside that run (a flag such as "finished by this call") must be reset at its start. It must
   * not change the run's id. If it throws, nothing is stored and `update` rejects with its error.
   */
  update(id: string, change: (run: Run) => void): Promise<Run | undefined>;
  /** Does nothing when no run has this id. */
  delete(id: string): Promise<void>;
  /**
   * Runs not settled (see isSettled): not over, or over with their final state not yet shown;
   * oldest first by createdAt.
   */
  listUnfinished(): Promise<Run[]>;
  /**
   * Deletes the runs that are settled (see isSettled) and finished before `finishedBefore` (epoch
   * ms; a settled run without `finishedAt` counts as finished at its `createdAt`), and returns how
   * many it deleted.
   */
  prune(finishedBefore: number): Promise<number>;
  /**
   * The last `limit` runs (at most HISTORY_KEPT) started in a channel for the target whose
   * `historyKey` is `key`, newest first by createdAt (ties by id, the greater first); reruns are not
   * among them. For `/checkly history` and the API's list of runs.
   */
  listRecent(teamId: string, channel: string, key: string, limit: number): Promise<Run[]>;
  close(): Promise<void>;
}

/** The most runs of one target and channel `listRecent` answers. */
export const HISTORY_KEPT = 100;

/**
 * Applies `change` as `RunStore.update` does, and returns the run as stored with what the change
 * answered of it: the answer of the change as applied to the run that was stored (a shared store may
 * apply a change more than once, and only the last application counts). Undefined when no run has
 * this id.
 */
export async function changeRun<T>(store: Pick<RunStore, 'update'>, id: string, change: (run: Run) => T): Promise<{ run: Run; result: T } | undefined> {
  let result: T | undefined;
  const run = await store.update(id, (r) => {
    result = change(r);
  });
  return run && { run, result: result as T };
}

/**
 * Short-lived keys claimed atomically, beside the runs (idempotency keys of the HTTP API): of two
 * claims of one key at the same moment, in one process or on two replicas, exactly one wins.
 */
export interface KeyClaims {
  /**
   * Stores `value` under `key` for `ttlMs` unless the key holds a value that has not expired, and
   * returns the value the key holds afterwards: `value` when this call won, the earlier one otherwise.
   */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<string>;
  /** Deletes the key, only while it still holds `value` (a later claim is left alone). */
  releaseKey(key: string, value: string): Promise<void>;
}

/** Keeps runs in this process only: for tests and as the simplest store. */
export class MemoryRunStore implements RunStore, DurationStore, KeyClaims {
  private readonly runs = new Map<string, Run>();
  private readonly durations = new Map<string, number[]>();
  private readonly keys = new Map<string, { value: string; expiresAt: number }>();

  /** `now`: the clock idempotency keys expire by. */
  constructor(private readonly now: () => number = Date.now) {}

  async recordDuration(checkId: string, ms: number): Promise<void> {
    const list = [ms, ...(this.durations.get(checkId) ?? [])].slice(0, DURATIONS_KEPT);
    this.durations.set(checkId, list);
  }

  async recentDurations(checkIds: readonly string[]): Promise<Map<string, number[]>> {
    const found = new Map<string, number[]>();
    for (const id of checkIds) {
      const list = this.durations.get(id);
      if (list) found.set(id, [...list]);
    }
    return found;
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<string> {
    const held = this.keys.get(key);
    if (held && held.expiresAt > this.now()) return held.value;
    this.keys.set(key, { value, expiresAt: this.now() + ttlMs });
    return value;
  }

  async releaseKey(key: string, value: string): Promise<void> {
    if (this.keys.get(key)?.value === value) this.keys.delete(key);
  }

  async create(run: Run): Promise<void> {
    if (this.runs.has(run.id)) throw new Error(`run ${run.id} exists already`);
    this.runs.set(run.id, structuredClone(run));
  }

  async get(id: string): Promise<Run | undefined> {
    const run = this.runs.get(id);
    return run && structuredClone(run);
  }

  async update(id: string, change: (run: Run) => void): Promise<Run | undefined> {
    const current = this.runs.get(id);
    if (!current) return undefined;
    const next = structuredClone(current);
    change(next);
    checkSameId(id, next);
    this.runs.set(id, next);
    return structuredClone(next);
  }

  async delete(id: string): Promise<void> {
    this.runs.delete(id);
  }

  async listUnfinished(): Promise<Run[]> {
    return [...this.runs.values()]
      .filter((r) => !isSettled(r))
      .sort(compareByAge)
      .map((r) => structuredClone(r));
  }

  async prune(finishedBefore: number): Promise<number> {
    let deleted = 0;
    for (const run of [...this.runs.values()]) {
      const finishedAt = prunableSince(run);
      if (finishedAt !== undefined && finishedAt < finishedBefore) {
        this.runs.delete(run.id);
        deleted++;
      }
    }
    return deleted;
  }

  async listRecent(teamId: string, channel: string, key: string, limit: number): Promise<Run[]> {
    return [...this.runs.values()]
      .filter((r) => r.teamId === teamId && r.channel === channel && historyKey(r) === key)
      .sort((a, b) => -compareByAge(a, b))
      .slice(0, Math.max(0, Math.min(limit, HISTORY_KEPT)))
      .map((r) => structuredClone(r));
  }

  async close(): Promise<void> {}
}
