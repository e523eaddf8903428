/**
 * BullDispatcher on the local Redis (issue 9, cause 6): each run is followed on its job's own signal,
 * which aborts when the replica loses the job's lock; runs beyond the concurrency wait, never dropped.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/shared/log';
import { BullDispatcher } from '../../src/store/bull-dispatcher';
import { MemoryRunStore } from '../../src/runs/store';
import { waitFor } from '../e2e/harness';

const logger = createLogger({ level: process.env.DEBUG_BULL ? 'debug' : 'silent' });
const prefix = `test:${randomUUID()}:`;
const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
const dispatchers: BullDispatcher[] = [];

afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function dispatcher(over: { concurrency?: number; lockMs?: number; prefix?: string } = {}): BullDispatcher {
  const d = new BullDispatcher({ redis, prefix: `${prefix}${randomUUID()}:`, store: new MemoryRunStore(), logger, ...over });
  dispatchers.push(d);
  return d;
}

describe('BullDispatcher', () => {
  test('more runs than the concurrency wait in the queue and are all followed in turn', async () => {
    const d = dispatcher({ concurrency: 2 });
    const active = new Set<string>();
    const followed: string[] = [];
    let maxActive = 0;
    const release = new Map<string, () => void>();
    await d.start(async (runId) => {
      active.add(runId);
      followed.push(runId);
      maxActive = Math.max(maxActive, active.size);
      await new Promise<void>((resolve) => release.set(runId, resolve));
      active.delete(runId);
    });
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) await d.dispatch(id);
    await waitFor(() => followed.length === 2, 10_000, 'two runs followed');
    expect(maxActive).toBe(2);
    // Each time the runs followed end, the next ones waiting in the queue take their places.
    while (followed.length < 5) {
      const ending = [...active];
      for (const id of ending) release.get(id)?.();
      await waitFor(() => followed.length === 5 || (active.size > 0 && ending.every((id) => !active.has(id))), 10_000, 'the next runs');
    }
    expect(new Set(followed)).toEqual(new Set(['r1', 'r2', 'r3', 'r4', 'r5']));
    expect(maxActive).toBe(2);
    for (const id of [...active]) release.get(id)?.();
  }, 30_000);

  test("a run is followed on its job's own signal, which aborts when the lock is lost", async () => {
    const lockMs = 1000;
    const d = dispatcher({ lockMs });
    const signals = new Map<string, AbortSignal>();
    await d.start(async (runId, signal) => {
      signals.set(runId, signal);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    });
    await d.dispatch('a');
    await d.dispatch('b');
    await waitFor(() => signals.size === 2, 10_000, 'both runs followed');
    expect(signals.get('a')).not.toBe(signals.get('b'));
    // Another replica took run a: its lock is no longer ours.
    const lockKeys = await redis.keys(`${prefix}*:follow:a:lock`);
    expect(lockKeys).toHaveLength(1);
    await redis.set(lockKeys[0]!, 'another-replica');
    await waitFor(() => signals.get('a')!.aborted, 10_000, 'run a to be given up');
    expect(signals.get('b')!.aborted).toBe(false);
  }, 30_000);

  test('stop hands a run being followed back at once, and the next replica follows it', async () => {
    const shared = `${prefix}${randomUUID()}:`;
    // Locks long enough that a loaded machine never loses one here: this test is about stop.
    const first = dispatcher({ prefix: shared, lockMs: 5000 });
    let firstSignal: AbortSignal | undefined;
    await first.start(async (_runId, signal) => {
      firstSignal = signal;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    });
    await first.dispatch('handed');
    await waitFor(() => firstSignal, 10_000, 'the run followed');
    const stoppedAt = Date.now();
    await first.stop();
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    expect(firstSignal!.aborted).toBe(true);

    const second = dispatcher({ prefix: shared, lockMs: 5000 });
    let taken: string | undefined;
    const resumedAt = Date.now();
    await second.start(async (runId) => {
      taken = runId;
    });
    await waitFor(() => taken, 10_000, 'the next replica to follow it');
    expect(taken).toBe('handed');
    expect(Date.now() - resumedAt).toBeLessThan(4000); // handed back, not left to the stalled check (5 s + 5 s)
  }, 30_000);
});
