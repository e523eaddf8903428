/**
 * What the Home tab keeps per person, in one record beside the runs (Records): their last runs (by
 * id; the runs themselves are in the store), their pins, and whether they ever opened the tab (only
 * then is it refreshed when one of their runs ends).
 */
import type { Records } from '../runs/records';

/** The runs the tab lists, newest first. */
export const RECENT_RUNS = 10;
/** Pins a person may keep: two blocks each, well inside a Home tab's 100. */
export const MAX_PINS = 10;
/** A person's record outlives a year without a change of it. */
const RECORD_TTL_MS = 365 * 24 * 3_600_000;

export interface Person {
  teamId: string;
  userId: string;
}

export interface Pin {
  id: string;
  /** The target as `/checkly run` takes it. */
  target: string;
  channel: string;
  pinnedAt: number;
}

export interface HomeRecord {
  /** Epoch ms of the first time the person opened the tab. */
  openedAt?: number;
  /** Run ids, newest first. */
  runs: string[];
  pins: Pin[];
}

export type PinOutcome = 'pinned' | 'already' | 'full';

export class HomeBook {
  constructor(
    private readonly records: Records,
    private readonly now: () => number,
    private readonly newId: () => string,
  ) {}

  async read(person: Person): Promise<HomeRecord> {
    return parseRecord(await this.records.read(keyOf(person)));
  }

  async opened(person: Person): Promise<HomeRecord> {
    return this.change(person, (record) => {
      record.openedAt ??= this.now();
    });
  }

  /** A run the person started (its message just went up). */
  async noteRun(person: Person, runId: string): Promise<void> {
    await this.change(person, (record) => {
      record.runs = [runId, ...record.runs.filter((id) => id !== runId)].slice(0, RECENT_RUNS);
    });
  }

  async pin(person: Person, target: string, channel: string): Promise<PinOutcome> {
    let outcome: PinOutcome = 'pinned';
    await this.change(person, (record) => {
      outcome = 'pinned';
      if (record.pins.some((p) => p.target === target && p.channel === channel)) outcome = 'already';
      else if (record.pins.length >= MAX_PINS) outcome = 'full';
      else record.pins.push({ id: this.newId(), target, channel, pinnedAt: this.now() });
    });
    return outcome;
  }

  /** Removes the pin `which` names (its id, or its target and channel); the pin removed, if there was one. */
  async unpin(person: Person, which: { id: string } | { target: string; channel: string }): Promise<Pin | undefined> {
    let removed: Pin | undefined;
    await this.change(person, (record) => {
      removed = record.pins.find((p) => ('id' in which ? p.id === which.id : p.target === which.target && p.channel === which.channel));
      record.pins = record.pins.filter((p) => p !== removed);
    });
    return removed;
  }

  private async change(person: Person, edit: (record: HomeRecord) => void): Promise<HomeRecord> {
    const stored = await this.records.change(
      keyOf(person),
      (current) => {
        const record = parseRecord(current);
        edit(record);
        return record;
      },
      RECORD_TTL_MS,
    );
    return parseRecord(stored);
  }
}

function keyOf(person: Person): string {
  return `home:${person.teamId}:${person.userId}`;
}

/** The record as stored; what is not one (written by someone else) reads as empty. */
function parseRecord(value: unknown): HomeRecord {
  const record: HomeRecord = { runs: [], pins: [] };
  if (typeof value !== 'object' || value === null) return record;
  const v = value as Partial<Record<keyof HomeRecord, unknown>>;
  if (typeof v.openedAt === 'number') record.openedAt = v.openedAt;
  if (Array.isArray(v.runs)) record.runs = v.runs.filter((id): id is string => typeof id === 'string');
  if (Array.isArray(v.pins)) record.pins = v.pins.filter(isPin);
  return record;
}

function isPin(value: unknown): value is Pin {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Partial<Record<keyof Pin, unknown>>;
  return typeof p.id === 'string' && typeof p.target === 'string' && typeof p.channel === 'string' && typeof p.pinnedAt === 'number';
}
