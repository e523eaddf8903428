import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisSlidingWindow } from '../../src/budget/redis-window';
import { ChecklyBudget } from '../../src/checkly/budget';
import { RequestAbortedError } from '../../src/checkly/errors';
import { createLogger } from '../../src/shared/log';
import type { ChecklyOperation } from '../../src/checkly/operation';
import { PostBudget } from '../../src/slack/post-budget';
import { UpdateBudget } from '../../src/slack/update-budget';
import { slidingPeak } from '../../bench/measure';
import { sleep } from '../helpers';

// Needs Redis at 127.0.0.1:6379 (scripts/ensure-services.sh starts it): fails, never skips, without it.
// Real time and real Redis: windows of a second or less keep the tests short.
const filePrefix = `test:${randomUUID()}:`;
const connections: Redis[] = [];
let keys = 0;

function connect(): Redis {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 0, retryStrategy: () => null });
  connections.push(redis);
  return redis;
}
const freshKey = (): string => `${filePrefix}${++keys}:`;

afterAll(async () => {
  const redis = connect();
  const found = await redis.keys(`${filePrefix}*`);
  if (found.length > 0) await redis.del(...found);
  await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
});

describe('RedisSlidingWindow', () => {
  test('at most the limit in the window; an open place counts until settled, a cancelled one not at all', async () => {
    const window = new RedisSlidingWindow({ redis: connect(), key: freshKey(), limit: 3, windowMs: 500, openMs: 10_000 });
    const taken = await Promise.all([window.take(), window.take(), window.take()]);
    const tickets = taken.map((t) => ('ticket' in t ? t.ticket : undefined));
    expect(tickets.every((t) => t !== undefined)).toBe(true);
    const full = await window.take();
    // Open places count until they settle, and may stay open up to openMs.
    expect('waitMs' in full && full.waitMs > 500).toBe(true);
    tickets[0]!.cancel();
    expect('ticket' in (await window.take())).toBe(true);
    tickets[1]!.settle(Date.now());
    tickets[2]!.settle(Date.now());
    const settled = await window.take();
    // Settled, a place leaves the window windowMs after it settled.
    expect('waitMs' in settled && settled.waitMs <= 500).toBe(true);
    expect(await window.used()).toBe(3);
    await sleep(550);
    expect(await window.used()).toBe(1); // the place taken after the cancel, still open
  });

  test('a reserve leaves places free for more urgent takers', async () => {
    const window = new RedisSlidingWindow({ redis: connect(), key: freshKey(), limit: 4, windowMs: 1000, openMs: 1000 });
    expect('ticket' in (await window.take(2))).toBe(true);
    expect('ticket' in (await window.take(2))).toBe(true);
    expect('waitMs' in (await window.take(2))).toBe(true);
    expect('ticket' in (await window.take(1))).toBe(true);
    expect('waitMs' in (await window.take(1))).toBe(true);
    expect('ticket' in (await window.take(0))).toBe(true);
    expect('waitMs' in (await window.take(0))).toBe(true);
    expect(await window.take(4)).toEqual({ waitMs: Infinity });
  });

  test('a replica that dies with places open frees them by itself', async () => {
    const key = freshKey();
    const dying = connect();
    const mortal = new RedisSlidingWindow({ redis: dying, key, limit: 2, windowMs: 300, openMs: 300 });
    await mortal.take();
    await mortal.take();
    await dying.quit(); // gone without settling or cancelling
    const survivor = new RedisSlidingWindow({ redis: connect(), key, limit: 2, windowMs: 300, openMs: 300 });
    expect('waitMs' in (await survivor.take())).toBe(true);
    await sleep(650);
    expect('ticket' in (await survivor.take())).toBe(true);
  });
});

describe('budgets shared by replicas through Redis', () => {
  test('two replicas spending one Checkly budget never exceed it together, and both get their turn', async () => {
    const key = freshKey();
    // As in production (a 61 s window against Checkly's 60 s): the budget counts a request from just
    // before it goes, Checkly from its arrival, a little later. Here "arrival" is when beforeRequest's
    // caller runs again, which a loaded machine can delay by some milliseconds: the budget's window
    // is 650 ms and the requests are counted, as Checkly would, in any 600 ms.
    const replicas = [0, 1].map(() => new ChecklyBudget({ maxRequestsPerMinute: 8, windowMs: 650, shared: { redis: connect(), key } }));
    const log: Array<{ replica: number; at: number }> = [];
    const all = replicas.flatMap((budget, replica) =>
      Array.from({ length: 12 }, () => budget.beforeRequest('completion').then(() => log.push({ replica, at: Date.now() }))),
    );
    await Promise.all(all);
    // Polls leave a tenth (1 place) for triggers: 7 a window across both replicas.
    expect(
      slidingPeak(
        log.map((e) => e.at),
        600,
      ),
    ).toBeLessThanOrEqual(7);
    expect(log.filter((e) => e.replica === 0)).toHaveLength(12);
    expect(log.filter((e) => e.replica === 1)).toHaveLength(12);
    // 24 polls at 7 a window need at least three windows.
    expect(Math.max(...log.map((e) => e.at)) - Math.min(...log.map((e) => e.at))).toBeGreaterThanOrEqual(3 * 600 - 50);
    for (const b of replicas) b.stop();
  }, 20_000);

  test("a trigger on one replica goes at once while the other replica's polls fill the window", async () => {
    const key = freshKey();
    const [a, b] = [0, 1].map(() => new ChecklyBudget({ maxRequestsPerMinute: 10, reserve: 3, windowMs: 2000, shared: { redis: connect(), key } })) as [
      ChecklyBudget,
      ChecklyBudget,
    ];
    const done: ChecklyOperation[] = [];
    const polls = Array.from({ length: 10 }, () => a.beforeRequest('completion').then(() => done.push('completion')));
    await sleep(200);
    expect(done).toHaveLength(7); // polls stop short of the reserve
    const started = Date.now();
    await b.beforeRequest('trigger');
    expect(Date.now() - started).toBeLessThan(1000);
    a.stop();
    b.stop();
    await Promise.allSettled(polls);
  });

  test('chat.update across two replicas: the workspace limit holds, and finals go first', async () => {
    const key = freshKey();
    const replicas = [0, 1].map(
      () => new UpdateBudget({ maxUpdatesPerMinute: 4, windowMs: 800, intervalMs: 0, finalReserve: 1, burst: 4, shared: { redis: connect(), key } }),
    );
    const sent: Array<{ at: number; final: boolean }> = [];
    const job = (final: boolean) => ({
      final,
      send: async () => {
        sent.push({ at: Date.now(), final });
        return 'sent' as const;
      },
    });
    const all: Promise<void>[] = [];
    for (let i = 0; i < 6; i += 1) all.push(replicas[i % 2]!.request('T1', `m${i}`, job(false)));
    await sleep(100);
    // The window is full of intermediate states (3, leaving 1 for finals): a final still goes at once.
    const before = sent.length;
    all.push(replicas[1]!.request('T1', 'final', job(true)));
    await sleep(150);
    expect(before).toBe(3);
    expect(sent.slice(before).map((s) => s.final)).toEqual([true]);
    await Promise.all(all);
    expect(
      slidingPeak(
        sent.map((s) => s.at),
        800,
      ),
    ).toBeLessThanOrEqual(4);
    expect(sent).toHaveLength(7);
    for (const r of replicas) r.stop();
  }, 20_000);

  test('posts to one channel from two replicas keep to its limit', async () => {
    const key = freshKey();
    const replicas = [0, 1].map(() => new PostBudget({ limit: 2, windowMs: 400, shared: { redis: connect(), key } }));
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const ticket = await replicas[i % 2]!.acquire('C1');
        times.push(Date.now());
        ticket.settle(Date.now());
      }),
    );
    expect(slidingPeak(times, 400)).toBeLessThanOrEqual(2);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(3 * 400 - 50);
    for (const r of replicas) r.stop();
  }, 20_000);
});

describe('SharedWindowQueue on its own terms', () => {
  test('after a 429, this replica pauses, then fills the shared window to the restricted limit only', async () => {
    const key = freshKey();
    const budget = new ChecklyBudget({ maxRequestsPerMinute: 10, reserve: 1, windowMs: 1000, shared: { redis: connect(), key } });
    const started = Date.now();
    budget.onResponse({ op: 'completion', status: 429, durationMs: 20, retryAfterMs: 300 });
    const times: number[] = [];
    const all = Array.from({ length: 6 }, () => budget.beforeRequest('trigger').then(() => times.push(Date.now() - started)));
    await sleep(800);
    // Nothing before Retry-After; then half the budget (5) while the restriction lasts.
    expect(Math.min(...times)).toBeGreaterThanOrEqual(290);
    expect(times).toHaveLength(5);
    await Promise.all(all);
    budget.stop();
  }, 10_000);

  test('while Redis does not answer, requests wait and say so; stopping fails them as aborted', async () => {
    const dead = connect();
    await dead.quit();
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => warnings.push(line) } });
    const budget = new ChecklyBudget({ maxRequestsPerMinute: 10, windowMs: 1000, shared: { redis: dead, key: freshKey() }, logger });
    let settled = false;
    const waiting = budget.beforeRequest('trigger').finally(() => {
      settled = true;
    });
    await sleep(200);
    expect(settled).toBe(false);
    expect(warnings[0]).toMatch(/shared Checkly budget in Redis did not answer/);
    budget.stop();
    await expect(waiting).rejects.toThrow(RequestAbortedError);
  });
});
