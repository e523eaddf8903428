/**
 * `npm run bench:history`: new or already failing at scale (product.md section 13). A channel with
 * 10,000 stored runs (20 targets of 10 checks each), in SQLite and in Redis: how long `/checkly
 * history` takes to list a target's last 10 runs and draw its grid, and how long a final run message
 * of 200 checks takes to render with its before and after, against the same message without them (as
 * before). Prints the figures and writes them to bench/results/history.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { renderHistory } from '../src/blocks/history';
import { renderRun } from '../src/blocks/run';
import { historyGrid } from '../src/runs/history';
import type { RunStore } from '../src/runs/store';
import { targetKey } from '../src/runs/target-key';
import type { Change, CheckBefore } from '../src/runs/changes';
import type { Run, Session, SessionStatus, Target } from '../src/runs/types';
import { RedisRunStore } from '../src/store/redis';
import { SqliteRunStore } from '../src/store/sqlite';

const RUNS = 10_000;
const TARGETS = 20;
const CHECKS_PER_RUN = 10;
const SAMPLES = 200;
const BIG_RUN_CHECKS = 200;
/** Recent: Redis expires an over run its retention after it finished. */
const T0 = Date.now() - RUNS * 1000 - 3_600_000;

interface Figures {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

/** Milliseconds to two decimals, nearest rank. */
function figures(values: readonly number[]): Figures {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round((sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? NaN) * 100) / 100;
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), max: at(1) };
}

async function time(samples: number, task: () => Promise<unknown> | unknown): Promise<Figures> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await task();
    ms.push(performance.now() - start);
  }
  return figures(ms);
}

const STATUSES: SessionStatus[] = ['PASSED', 'PASSED', 'PASSED', 'FAILED', 'DEGRADED'];

function targetOf(t: number): Target {
  return { tags: [[`team-${t}`, 'prod']], checkIds: [], all: false };
}

function session(i: number, run: number, status: SessionStatus, change?: { before: CheckBefore; change: Change }): Session {
  return {
    sessionId: `s-${run}-${i}`,
    checkId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: `Check ${i} of a target with a longish name`,
    checkType: 'API',
    link: `https://app.checklyhq.com/checks/${i}/check-sessions/s-${run}-${i}`,
    status,
    locations: ['eu-west-1', 'us-east-1'],
    timeElapsed: 1200 + i,
    failedLocations: status === 'PASSED' ? [] : ['us-east-1'],
    ...(status === 'PASSED' ? {} : { error: 'expected 200, got 503' }),
    ...(change ? { before: change.before, change: change.change } : {}),
  };
}

function storedRun(n: number): Run {
  const t = n % TARGETS;
  return {
    id: `run-${String(n).padStart(6, '0')}`,
    teamId: 'T1',
    channel: 'C0BENCH',
    ts: `1767225600.${String(n).padStart(6, '0')}`,
    requester: 'U1',
    target: targetOf(t),
    refreshCache: false,
    phase: 'final',
    sessions: Array.from({ length: CHECKS_PER_RUN }, (_, i) => session(t * 100 + i, n, STATUSES[(n + i) % STATUSES.length] as SessionStatus)),
    createdAt: T0 + n * 1000,
    finishedAt: T0 + n * 1000 + 60_000,
    settledAt: T0 + n * 1000 + 61_000,
    before: { at: T0 + n * 1000, checks: {} },
  };
}

async function fill(store: RunStore): Promise<void> {
  for (let n = 0; n < RUNS; n++) await store.create(storedRun(n));
}

async function historyFigures(store: RunStore): Promise<Figures> {
  const target = targetOf(7);
  // One warm-up: compiled code and a warm connection, as on a server that has been up a while.
  await store.listRecent('T1', 'C0BENCH', targetKey(target), 10);
  return time(SAMPLES, async () => {
    const runs = await store.listRecent('T1', 'C0BENCH', targetKey(target), 10);
    if (runs.length !== 10) throw new Error(`listed ${runs.length} runs, not 10`);
    renderHistory(historyGrid(runs), { target: 'team-7,prod', permalinks: {}, commandName: '/checkly' });
  });
}

/** A final run of 200 checks: 20 failing (half new, half already failing), the rest passing, 5 fixed. */
function bigRun(withChanges: boolean): Run {
  const sessions = Array.from({ length: BIG_RUN_CHECKS }, (_, i) => {
    const status: SessionStatus = i < 20 ? 'FAILED' : 'PASSED';
    const change: { before: CheckBefore; change: Change } =
      i < 10
        ? { before: { state: 'passing' }, change: 'new' }
        : i < 20
          ? { before: { state: 'failing', since: T0 - 3_600_000 }, change: 'still_failing' }
          : i < 25
            ? { before: { state: 'failing', since: T0 - 3_600_000 }, change: 'fixed' }
            : { before: { state: 'passing' }, change: 'unchanged' };
    return session(i, 0, status, withChanges ? change : undefined);
  });
  return { ...storedRun(0), sessions, ...(withChanges ? {} : { before: undefined }) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-bench-history-'));
  const sqlite = SqliteRunStore.open(dir);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
  const prefix = `bench:history:${randomUUID()}:`;
  const redisStore = new RedisRunStore(redis, { prefix, retentionMs: 7 * 24 * 3600 * 1000 });
  try {
    const filled = performance.now();
    await fill(sqlite);
    await fill(redisStore);
    console.log(
      `stored ${RUNS} runs of ${CHECKS_PER_RUN} checks in one channel (${TARGETS} targets) in each store in ${Math.round(performance.now() - filled)} ms`,
    );
    const results = {
      historySqlite: await historyFigures(sqlite),
      historyRedis: await historyFigures(redisStore),
      renderWithChanges: await time(SAMPLES, () => renderRun(bigRun(true), { now: T0 + 90_000, interactive: true })),
      renderWithout: await time(SAMPLES, () => renderRun(bigRun(false), { now: T0 + 90_000, interactive: true })),
    };
    console.table(results);
    mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    writeFileSync(path.join(__dirname, 'results', 'history.json'), `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await sqlite.close();
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
