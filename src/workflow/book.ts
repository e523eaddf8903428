/**
 * The workflow steps waiting for their run to end, kept in one record beside the runs (Records), so
 * that whichever process or replica sees the run end completes the step, once: each step's run, its
 * just-in-time token (a secret, forgotten as soon as the step is completed, and useless 15 minutes
 * after Slack issued it), and who is completing it now.
 */
import type { Records } from '../runs/records';

const KEY = 'workflow:steps';
/** The record lives a day past its last change: steps are minutes long. */
const RECORD_TTL_MS = 24 * 3_600_000;
/** A completed step is remembered this long, so that Slack delivering its event again starts nothing. */
const KEEP_ENDED_MS = 3_600_000;
/** Slack's token for a step lasts 15 minutes: a step older than that (and an hour) can never be completed. */
export const STEP_TOKEN_LIFETIME_MS = 15 * 60_000;
/** How long one process holds a step it is completing: a process that dies meanwhile leaves it to another. */
const CLAIM_MS = 30_000;

export interface StepEntry {
  runId: string;
  teamId: string;
  /** Epoch ms when the app received the step (Slack issued its token a moment before). */
  startedAt: number;
  /** The step's own token, until the step is completed. */
  token?: string;
  /** The process completing it now, until when. */
  claim?: { by: string; until: number };
  /** Epoch ms when it was completed, or given up on. */
  endedAt?: number;
}

type Book = Record<string, StepEntry>;

export class StepBook {
  constructor(
    private readonly records: Records,
    private readonly now: () => number,
  ) {}

  /** Records a step Slack just delivered; false when it delivered this execution before (nothing more to do). */
  async open(executionId: string, entry: Pick<StepEntry, 'runId' | 'teamId' | 'token'>): Promise<boolean> {
    let opened = false;
    await this.change((book) => {
      opened = book[executionId] === undefined;
      if (opened) book[executionId] = { ...entry, startedAt: this.now() };
    });
    return opened;
  }

  /**
   * Claims the completion of a step for `by`: the step, with its token, when nobody completed it and
   * nobody is completing it now; undefined otherwise.
   */
  async claim(executionId: string, by: string): Promise<StepEntry | undefined> {
    let claimed: StepEntry | undefined;
    await this.change((book) => {
      claimed = undefined;
      const entry = book[executionId];
      const now = this.now();
      if (entry === undefined || entry.endedAt !== undefined || entry.token === undefined) return;
      // A live claim holds off everyone, this process too (the end of a run and a sweep may meet).
      if (entry.claim !== undefined && entry.claim.until > now) return;
      entry.claim = { by, until: now + CLAIM_MS };
      claimed = { ...entry };
    });
    return claimed;
  }

  /** The step is completed, or never can be: its token is forgotten. */
  async ended(executionId: string): Promise<void> {
    await this.change((book) => {
      const entry = book[executionId];
      if (entry === undefined) return;
      delete entry.token;
      delete entry.claim;
      entry.endedAt ??= this.now();
    });
  }

  /** Lets go of a claim whose completion failed for now: the next sweep tries again. */
  async release(executionId: string, by: string): Promise<void> {
    await this.change((book) => {
      const entry = book[executionId];
      if (entry?.claim?.by === by) delete entry.claim;
    });
  }

  /** The steps not completed yet, by execution ID. */
  async waiting(): Promise<Array<[string, StepEntry]>> {
    const book = parseBook(await this.records.read(KEY));
    return Object.entries(book).filter(([, entry]) => entry.endedAt === undefined);
  }

  /** Every change also forgets what is over: steps completed an hour ago, steps whose token died long ago. */
  private async change(edit: (book: Book) => void): Promise<void> {
    await this.records.change(
      KEY,
      (current) => {
        const book = parseBook(current);
        edit(book);
        const now = this.now();
        for (const [id, entry] of Object.entries(book)) {
          const over = entry.endedAt !== undefined ? entry.endedAt + KEEP_ENDED_MS : entry.startedAt + STEP_TOKEN_LIFETIME_MS + KEEP_ENDED_MS;
          if (over <= now) delete book[id];
        }
        return Object.keys(book).length > 0 ? book : undefined;
      },
      RECORD_TTL_MS,
    );
  }
}

/** The record as stored; entries that are not steps (written by someone else) are left out. */
function parseBook(value: unknown): Book {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const book: Book = {};
  for (const [id, entry] of Object.entries(value as Record<string, unknown>)) {
    if (isEntry(entry)) book[id] = entry;
  }
  return book;
}

function isEntry(value: unknown): value is StepEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<Record<keyof StepEntry, unknown>>;
  return typeof e.runId === 'string' && typeof e.teamId === 'string' && typeof e.startedAt === 'number';
}
