import fc from 'fast-check';
import { SlidingWindow } from '../../src/budget/sliding-window';
import { QueueStoppedError, WindowQueue } from '../../src/budget/window-queue';
import { slidingPeak as peak } from '../../bench/measure';

describe('SlidingWindow', () => {
  test('takes up to the limit, then waits exactly until the oldest event leaves the window', () => {
    const w = new SlidingWindow(3, 1000);
    for (const t of [0, 100, 200]) {
      expect(w.waitMs(t)).toBe(0);
      w.record(t);
    }
    expect(w.used(200)).toBe(3);
    expect(w.waitMs(200)).toBe(800);
    expect(w.waitMs(999)).toBe(1);
    expect(w.waitMs(1000)).toBe(0);
    expect(w.used(1000)).toBe(2);
  });

  test('a reserve leaves places free: the wait is for enough events to leave', () => {
    const w = new SlidingWindow(4, 1000);
    for (const t of [0, 10, 20]) w.record(t);
    expect(w.waitMs(20, 0)).toBe(0);
    expect(w.waitMs(20, 1)).toBe(980); // 3 used, 4-1 allowed: the one at 0 must leave
    expect(w.waitMs(20, 2)).toBe(990); // 2 allowed: the ones at 0 and 10 must leave
    expect(w.waitMs(20, 4)).toBe(Infinity);
  });

  test('an open event counts until settled, then for a window from its settle time; a cancelled one frees its place', () => {
    const w = new SlidingWindow(2, 1000);
    const a = w.open();
    const b = w.open();
    expect(w.used(0)).toBe(2);
    expect(w.waitMs(5000)).toBe(Infinity); // nothing expires while both are open
    a.settle(300);
    expect(w.waitMs(400)).toBe(900);
    b.cancel();
    expect(w.waitMs(400)).toBe(0);
    b.settle(400); // only the first of settle/cancel counts
    expect(w.used(400)).toBe(1);
  });

  test('taking whenever it says 0 never puts more than the limit in any window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 10, max: 500 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 200 }),
        (limit, windowMs, gaps) => {
          const w = new SlidingWindow(limit, windowMs);
          const taken: number[] = [];
          let t = 0;
          for (const gap of gaps) {
            t += gap;
            if (w.waitMs(t) === 0) {
              w.record(t);
              taken.push(t);
            }
          }
          expect(peak(taken, windowMs)).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });
});

describe('WindowQueue', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  function grantsOf(queue: WindowQueue, priority: number, log: string[], name: string): Promise<void> {
    return queue.acquire(priority).then((ticket) => {
      log.push(`${name}@${Date.now()}`);
      ticket.settle(Date.now());
    });
  }

  test('the most urgent waiter goes first when a place frees, first come first served within a priority', async () => {
    const queue = new WindowQueue({ window: new SlidingWindow(2, 1000), reserves: [0, 0, 0] });
    const log: string[] = [];
    const all = [grantsOf(queue, 2, log, 'poll1'), grantsOf(queue, 2, log, 'poll2'), grantsOf(queue, 2, log, 'poll3'), grantsOf(queue, 2, log, 'poll4')];
    await jest.advanceTimersByTimeAsync(10);
    all.push(grantsOf(queue, 0, log, 'trigger'), grantsOf(queue, 1, log, 'result'));
    expect(queue.waiting).toBe(4);
    await jest.advanceTimersByTimeAsync(3000);
    await Promise.all(all);
    expect(log).toEqual(['poll1@0', 'poll2@0', 'trigger@1000', 'result@1000', 'poll3@2000', 'poll4@2000']);
  });

  test('less urgent work leaves its reserve free, so urgent work goes at once', async () => {
    const queue = new WindowQueue({ window: new SlidingWindow(5, 1000), reserves: [0, 2] });
    const log: string[] = [];
    const polls = Array.from({ length: 5 }, (_, i) => grantsOf(queue, 1, log, `poll${i}`));
    await jest.advanceTimersByTimeAsync(100);
    expect(log).toEqual(['poll0@0', 'poll1@0', 'poll2@0']);
    const triggers = [grantsOf(queue, 0, log, 't1'), grantsOf(queue, 0, log, 't2')];
    await jest.advanceTimersByTimeAsync(0);
    expect(log.slice(3)).toEqual(['t1@100', 't2@100']);
    await jest.advanceTimersByTimeAsync(2000);
    await Promise.all([...polls, ...triggers]);
    // At 1000 the three polls leave; the triggers at 100 still count, so the reserve lets one poll in now, one at 1100.
    expect(log.slice(5)).toEqual(['poll3@1000', 'poll4@1100']);
  });

  test('a pause holds everything until it ends; a restriction thins the window until it ends', async () => {
    const queue = new WindowQueue({ window: new SlidingWindow(4, 1000), reserves: [0] });
    const log: string[] = [];
    queue.pauseUntil(500);
    queue.restrict(2, 3000);
    const all = Array.from({ length: 6 }, (_, i) => grantsOf(queue, 0, log, `r${i}`));
    await jest.advanceTimersByTimeAsync(5000);
    await Promise.all(all);
    // Two a window while restricted, from the end of the pause; the full four once it is over.
    expect(log).toEqual(['r0@500', 'r1@500', 'r2@1500', 'r3@1500', 'r4@2500', 'r5@2500']);
  });

  test('stop rejects the waiting and the later', async () => {
    const queue = new WindowQueue({ window: new SlidingWindow(1, 1000), reserves: [0] });
    (await queue.acquire(0)).settle(0);
    const waiting = queue.acquire(0);
    queue.stop();
    await expect(waiting).rejects.toBeInstanceOf(QueueStoppedError);
    await expect(queue.acquire(0)).rejects.toBeInstanceOf(QueueStoppedError);
  });

  test('refuses reserves that decrease with the priority number', () => {
    expect(() => new WindowQueue({ window: new SlidingWindow(5, 1000), reserves: [2, 1] })).toThrow(RangeError);
  });
});
