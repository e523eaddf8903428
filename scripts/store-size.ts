/**
 * How big the SQLite store grows: stores 10,000 finished runs of 10 sessions each in a fresh
 * folder and prints the size of runs.sqlite3. Run: npx ts-node scripts/store-size.ts
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteRunStore } from '../src/store/sqlite';
import type { Run, Session } from '../src/runs/types';

const RUNS = 10_000;
const SESSIONS_PER_RUN = 10;

function session(i: number): Session {
  const sessionId = randomUUID();
  const failed = i === 0;
  return {
    sessionId,
    checkId: randomUUID(),
    name: `Checkout flow step ${i + 1}`,
    checkType: i % 2 === 0 ? 'BROWSER' : 'API',
    link: `https://app.checklyhq.com/test-sessions/${sessionId}`,
    status: failed ? 'FAILED' : 'PASSED',
    locations: ['eu-west-1', 'us-east-1'],
    timeElapsed: 4_000 + i * 731,
    failedLocations: failed ? ['us-east-1'] : [],
    ...(failed ? { error: 'Error: expect(received).toBe(expected) // Object.is equality' } : {}),
  };
}

function finishedRun(n: number): Run {
  const createdAt = Date.now() - (RUNS - n) * 60_000;
  return {
    id: randomUUID(),
    teamId: 'T0123456789',
    channel: 'C0123456789',
    ts: `${Math.floor(createdAt / 1000)}.000100`,
    requester: 'U0123456789',
    target: { tags: [['prod', 'checkout']], checkIds: [], all: false },
    refreshCache: false,
    phase: 'final',
    sessions: Array.from({ length: SESSIONS_PER_RUN }, (_, i) => session(i)),
    createdAt,
    finishedAt: createdAt + 45_000,
  };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-size-'));
  try {
    const store = SqliteRunStore.open(dir);
    const sample = finishedRun(0);
    for (let n = 0; n < RUNS; n++) await store.create(finishedRun(n));
    await store.close();
    const bytes = fs.statSync(path.join(dir, 'runs.sqlite3')).size;
    console.log(`${RUNS} finished runs of ${SESSIONS_PER_RUN} sessions: runs.sqlite3 is ${bytes} bytes`);
    console.log(`${Math.round(bytes / RUNS)} bytes a run; one run's JSON is ${JSON.stringify(sample).length} bytes`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
