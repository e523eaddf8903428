import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { listCheckStatuses } from '../../src/checkly/catalogue';
import { ChecklyClient } from '../../src/checkly/client';
import { createLogger } from '../../src/shared/log';
import { DURATIONS_KEPT, type DurationStore, type StatusDurations, TypicalDurations } from '../../src/runs/durations';
import { RedisRunStore } from '../../src/store/redis';
import { SqliteRunStore } from '../../src/store/sqlite';
import { MemoryRunStore } from '../../src/runs/store';
import { startFakeCheckly } from '../fakes/checkly';

const logger = createLogger({ level: 'silent' });
const A = 'a0000000-0000-4000-8000-000000000001';
const B = 'b0000000-0000-4000-8000-000000000002';

// Needs Redis at 127.0.0.1:6379 (scripts/ensure-services.sh starts it): fails, never skips, without it.
const redisPrefix = `test:${randomUUID()}:`;
const connections: Redis[] = [];
function connect(): Redis {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 0, retryStrategy: () => null });
  connections.push(redis);
  return redis;
}
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'durations-'));
let n = 0;

afterAll(async () => {
  const redis = connect();
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
  fs.rmSync(root, { recursive: true, force: true });
});

/** Two handles on one store: a restarted process (SQLite) or another replica (Redis). */
const stores: Array<[string, () => [DurationStore & { close(): Promise<void> }, () => DurationStore & { close(): Promise<void> }]]> = [
  [
    'MemoryRunStore',
    () => {
      const store = new MemoryRunStore();
      return [store, () => store];
    },
  ],
  [
    'SqliteRunStore, reopened',
    () => {
      const dir = path.join(root, `s${++n}`);
      return [SqliteRunStore.open(dir), () => SqliteRunStore.open(dir)];
    },
  ],
  [
    'RedisRunStore, another replica',
    () => {
      const prefix = `${redisPrefix}${++n}:`;
      const open = () => new RedisRunStore(connect(), { prefix, retentionMs: 86_400_000 });
      return [open(), open];
    },
  ],
];

describe.each(stores)('%s keeps past session durations', (_name, open) => {
  test('the most recent first, a few per check, and they outlive the handle that wrote them', async () => {
    const [store, again] = open();
    for (let i = 1; i <= DURATIONS_KEPT + 3; i += 1) await store.recordDuration(A, i * 1000);
    await store.recordDuration(B, 42_000);
    await store.close();
    const other = again();
    const found = await other.recentDurations([A, B, 'c0000000-0000-4000-8000-000000000003']);
    expect(found.get(A)).toEqual(Array.from({ length: DURATIONS_KEPT }, (_, i) => (DURATIONS_KEPT + 3 - i) * 1000));
    expect(found.get(B)).toEqual([42_000]);
    expect(found.size).toBe(2);
    await other.close();
  });
});

describe('TypicalDurations', () => {
  function setup(statuses: StatusDurations[] | Error) {
    let now = 0;
    const calls: number[] = [];
    const store = new MemoryRunStore();
    const typical = new TypicalDurations({
      store,
      now: () => now,
      refreshMs: 300_000,
      logger,
      fetchStatuses: async () => {
        calls.push(now);
        if (statuses instanceof Error) throw statuses;
        return statuses;
      },
    });
    return { typical, store, calls, advance: (ms: number) => (now += ms) };
  }

  test("each check's past sessions and Checkly's response times; the statuses asked once per refresh", async () => {
    const { typical, store, calls, advance } = setup([
      { checkId: A, shortestRun: 8000 },
      { checkId: B, shortestRun: 30_000 },
      { checkId: 'unknown', shortestRun: null },
    ]);
    await store.recordDuration(A, 10_500);
    await store.recordDuration(A, 9_500);
    expect(await typical.lookup([A, B, 'unknown'])).toEqual(
      new Map([
        [A, { pastMs: [9_500, 10_500], responseTimes: { shortestMs: 8000 } }],
        [B, { pastMs: [], responseTimes: { shortestMs: 30_000 } }],
      ]),
    );
    await typical.lookup([B]);
    advance(299_000);
    await typical.lookup([B]);
    expect(calls).toEqual([0]);
    advance(1_000);
    await typical.lookup([B]);
    expect(calls).toEqual([0, 300_000]);
    typical.learn(B, 31_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await typical.lookup([B])).toEqual(new Map([[B, { pastMs: [31_000], responseTimes: { shortestMs: 30_000 } }]]));
  });

  test("a status's shortest and longest runs are response times (the spec), passed on as such, not as a session's range (issue 20)", async () => {
    const { typical } = setup([
      { checkId: A, shortestRun: 120, longestRun: 900 },
      { checkId: B, shortestRun: 500, longestRun: null },
    ]);
    expect(await typical.lookup([A, B])).toEqual(
      new Map([
        [A, { pastMs: [], responseTimes: { shortestMs: 120, longestMs: 900 } }],
        [B, { pastMs: [], responseTimes: { shortestMs: 500 } }],
      ]),
    );
  });

  test('statuses that fail leave past sessions to answer, and are not asked again at every lookup', async () => {
    const { typical, store, calls } = setup(new Error('Checkly is down'));
    await store.recordDuration(A, 4000);
    expect(await typical.lookup([A, B])).toEqual(new Map([[A, { pastMs: [4000] }]]));
    await typical.lookup([B]);
    expect(calls).toHaveLength(1);
  });
});

describe('the fake Checkly statuses', () => {
  test("shortest and longest runs widen with the response times of the sessions it ran (less than the sessions' durations)", async () => {
    let now = Date.parse('2026-11-27T08:00:00Z');
    const fake = await startFakeCheckly({ now: () => now });
    const client = new ChecklyClient({ baseUrl: fake.url, apiKey: fake.apiKey, accountId: fake.accountId, userAgent: 'test', timeoutMs: 2000 });
    try {
      const check = fake.addCheck({ name: 'api', tags: ['t'], durationMs: 3000, shortestRunMs: 5000, longestRunMs: 6000 });
      await client.trigger({ target: { matchTags: [['t']] }, refreshCache: false });
      expect(await listCheckStatuses(client)).toMatchObject([{ checkId: check.id, shortestRun: 5000, longestRun: 6000 }]);
      now += 3000;
      // The session took 3,000 ms; the result it left took 2,400 ms to answer (checkly-model.ts responseTime).
      expect(await listCheckStatuses(client)).toMatchObject([{ checkId: check.id, shortestRun: 2400, longestRun: 6000 }]);
    } finally {
      client.close();
      await fake.close();
    }
  });
});
