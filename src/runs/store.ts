import { isSettled } from './status';
import { checkSameId, compareByAge, prunableSince } from './stored-run';
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
  close(): Promise<void>;
}

/** Keeps runs in this process only: for tests and as the simplest store. */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, Run>();

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

  async close(): Promise<void> {}
}
