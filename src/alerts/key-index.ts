/**
 * A list of record keys kept in one record, for a sweep: the incidents or storms whose message may
 * still be behind. Added to when one opens, pruned of those over and shown.
 */
import type { Records } from '../runs/records';

const keysIn = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

export class KeyIndex {
  constructor(
    private readonly records: Records,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {}

  async keys(): Promise<string[]> {
    return keysIn(await this.records.read(this.key));
  }

  async add(key: string): Promise<void> {
    await this.records.change(this.key, (current) => [...new Set([...keysIn(current), key])], this.ttlMs);
  }

  async drop(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.records.change(this.key, (current) => keysIn(current).filter((k) => !keys.includes(k)), this.ttlMs);
  }
}
