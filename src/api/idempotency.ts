/**
 * Idempotency-Key (docs/ci-api.md): the same key and token within 24 h answer the same run. The key
 * is claimed, with the digest of what it asks, before anything is charged or triggered, atomically
 * in the store, so that of two concurrent requests (on two replicas too) exactly one starts a run,
 * and a retry is answered even at the rate limit.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyClaims } from '../runs/store';
import type { Run } from '../runs/types';

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** A retry that finds its key taken waits this long at most for the first request's run to be posted. */
const REPLAY_WAIT_MS = 30_000;
const REPLAY_POLL_MS = 100;

export interface IdempotencyDeps {
  claims: KeyClaims;
  /** The run a claim names, as the store has it now. */
  read(runId: string): Promise<Run | undefined>;
  now: () => number;
  newId: () => string;
}

/** What a request with a key is to do. */
export type Claimed =
  /** This request won the key: it starts the run with this id, and releases the key when nothing was triggered. */
  | { kind: 'mine'; id: string; release(): Promise<void> }
  /** The key started this run, which is posted: answer it. */
  | { kind: 'replay'; run: Run }
  /** The key started a run with a different request: refuse, trigger nothing. */
  | { kind: 'reused' };

export class IdempotencyKeys {
  constructor(private readonly deps: IdempotencyDeps) {}

  /**
   * Claims `key` of `token` for a request whose digest is `asked`, or finds the run it started (once
   * that run is posted). Rejects when the first request with the key is still starting its run after
   * REPLAY_WAIT_MS.
   */
  async claim(token: string, key: string, asked: string): Promise<Claimed> {
    const { claims, read, newId, now } = this.deps;
    const claimKey = `api:${token}:${sha256(key)}`;
    const deadline = now() + REPLAY_WAIT_MS;
    let missingSince: number | undefined;
    for (;;) {
      const mine = newId();
      const held = await claims.putIfAbsent(claimKey, claimValue(mine, asked), IDEMPOTENCY_TTL_MS);
      const claim = parseClaim(held);
      if (claim.runId === mine) return { kind: 'mine', id: mine, release: () => claims.releaseKey(claimKey, held) };
      if (claim.asked !== undefined && claim.asked !== asked) return { kind: 'reused' };
      const run = await read(claim.runId);
      if (run?.ts !== undefined) return { kind: 'replay', run };
      // A key whose run never appears lost its process between claim and store: free it for this retry.
      if (run === undefined) missingSince ??= now();
      if (missingSince !== undefined && now() - missingSince > REPLAY_WAIT_MS / 2) {
        await claims.releaseKey(claimKey, held);
        missingSince = undefined;
        continue;
      }
      if (now() > deadline) throw new Error('the first request with this Idempotency-Key is still starting its run');
      await sleep(REPLAY_POLL_MS);
    }
  }
}

/** A claim holds the id of the run its key started and the digest of the request that started it. */
function claimValue(runId: string, asked: string): string {
  return `${runId} ${asked}`;
}

/** A claim's parts; a claim stored before requests were digested holds the run id alone. */
function parseClaim(value: string): { runId: string; asked?: string } {
  const [runId = value, asked] = value.split(' ');
  return { runId, asked };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
