/**
 * Small records kept beside the runs, by key, for a while: a person's Home (their recent runs and
 * pins), the workflow steps waiting for their run to end. Each is a JSON value the feature that
 * owns it reads and checks; the store only keeps it, changes it atomically and forgets it when its
 * time is up (the SQLite store when it prunes, Redis by itself).
 */
export interface Records {
  /** The value stored under `key`, or undefined when there is none (or it expired). */
  read(key: string): Promise<unknown>;
  /**
   * Applies `change` to the value stored under `key` (undefined when none) atomically, in one process
   * or across replicas, and stores what it returns for `ttlMs` from now (undefined deletes the
   * record). Resolves with what is stored afterwards. As RunStore.update's, `change` may be called
   * more than once, each time on a fresh copy, so it must depend only on the value it is given; a
   * change that returns an equal value writes nothing (and keeps the record's time). If it throws,
   * nothing is stored and `change` rejects with its error.
   */
  change(key: string, change: (current: unknown) => unknown, ttlMs: number): Promise<unknown>;
}

/** Keeps records in this process only: for tests. */
export class MemoryRecords implements Records {
  private readonly values = new Map<string, { json: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async read(key: string): Promise<unknown> {
    const held = this.live(key);
    return held === undefined ? undefined : JSON.parse(held);
  }

  async change(key: string, change: (current: unknown) => unknown, ttlMs: number): Promise<unknown> {
    const held = this.live(key);
    const next = change(held === undefined ? undefined : JSON.parse(held));
    const json = next === undefined ? undefined : JSON.stringify(next);
    if (json === held) return next;
    if (json === undefined) this.values.delete(key);
    else this.values.set(key, { json, expiresAt: this.now() + ttlMs });
    return json === undefined ? undefined : JSON.parse(json);
  }

  private live(key: string): string | undefined {
    const held = this.values.get(key);
    if (held === undefined) return undefined;
    if (held.expiresAt > this.now()) return held.json;
    this.values.delete(key);
    return undefined;
  }
}
