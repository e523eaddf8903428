import { ChecklyBudget } from '../../src/checkly/budget';
import type { ChecklyOperation } from '../../src/checkly/client';
import { RequestAbortedError } from '../../src/checkly/errors';
import { slidingPeak as peak } from '../../bench/measure';

describe('ChecklyBudget', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  function go(budget: ChecklyBudget, op: ChecklyOperation, log: Array<{ op: ChecklyOperation; at: number }>): Promise<void> {
    return budget.beforeRequest(op).then(() => {
      log.push({ op, at: Date.now() });
    });
  }

  test('never more than the budget in any sliding minute, whatever the load', async () => {
    const budget = new ChecklyBudget({ maxRequestsPerMinute: 20, windowMs: 60_000 });
    const log: Array<{ op: ChecklyOperation; at: number }> = [];
    const all: Promise<void>[] = [];
    // Polls keep coming, and every 7 s a trigger.
    for (let t = 0; t < 300_000; t += 500) {
      all.push(go(budget, 'completion', log));
      if (t % 7000 === 0) all.push(go(budget, 'trigger', log));
      await jest.advanceTimersByTimeAsync(500);
    }
    const times = log.map((e) => e.at);
    expect(peak(times, 60_000)).toBe(20);
    // Five whole windows at 20 each: the budget is spent, not left idle.
    expect(log.length).toBeGreaterThanOrEqual(95);
    expect(log.length).toBeLessThanOrEqual(100);
    budget.stop();
    await Promise.allSettled(all);
  });

  test('a trigger goes before every waiting poll, and polls leave the reserve free for it', async () => {
    const budget = new ChecklyBudget({ maxRequestsPerMinute: 10, reserve: 3, windowMs: 60_000 });
    const log: Array<{ op: ChecklyOperation; at: number }> = [];
    const polls = Array.from({ length: 12 }, () => go(budget, 'completion', log));
    await jest.advanceTimersByTimeAsync(1000);
    expect(log).toHaveLength(7); // 10 less the reserve of 3
    expect(budget.waiting).toBe(5);

    // A person clicked Run: the trigger does not queue behind the five polls.
    const trigger = go(budget, 'trigger', log);
    const cancel = go(budget, 'cancel', log);
    await jest.advanceTimersByTimeAsync(0);
    expect(log.slice(7)).toEqual([
      { op: 'trigger', at: 1000 },
      { op: 'cancel', at: 1000 },
    ]);
    // An error line leaves half the reserve free (2 places): with 9 used it waits too, but goes before the polls.
    const result = go(budget, 'result', log);
    await jest.advanceTimersByTimeAsync(0);
    expect(log).toHaveLength(9);

    await jest.advanceTimersByTimeAsync(61_000);
    await Promise.all([...polls, trigger, cancel, result]);
    // At 60 s the seven polls leave the window: the error line first, then polls up to 7 in use; the
    // last poll once the trigger and the cancel leave too.
    expect(log.slice(9)).toEqual([
      { op: 'result', at: 60_000 },
      ...Array.from({ length: 4 }, () => ({ op: 'completion', at: 60_000 })),
      { op: 'completion', at: 61_000 },
    ]);
  });

  test('failure evidence (results, manifests, screenshots) waits behind every poll and leaves twice the reserve free', async () => {
    const budget = new ChecklyBudget({ maxRequestsPerMinute: 20, reserve: 3, windowMs: 60_000 });
    const log: Array<{ op: ChecklyOperation; at: number }> = [];
    // The thread's evidence asks first, then polls of running sessions arrive.
    const evidence = (['evidence', 'assets', 'asset'] as const).flatMap((op) => Array.from({ length: 5 }, () => go(budget, op, log)));
    await jest.advanceTimersByTimeAsync(0);
    // Evidence fills the window only up to 20 less 6: 14 go at once.
    expect(log).toHaveLength(14);
    const polls = Array.from({ length: 5 }, () => go(budget, 'completion', log));
    await jest.advanceTimersByTimeAsync(0);
    // The polls take what evidence left (up to 20 less 3), though they came later; the last evidence waits.
    expect(log.slice(14).map((e) => e.op)).toEqual(['completion', 'completion', 'completion']);
    expect(budget.waiting).toBe(3);
    const trigger = go(budget, 'trigger', log);
    await jest.advanceTimersByTimeAsync(0);
    expect(log.at(-1)).toEqual({ op: 'trigger', at: 0 });
    await jest.advanceTimersByTimeAsync(61_000);
    await Promise.all([...evidence, ...polls, trigger]);
    // When the window frees, the waiting polls go before the waiting evidence.
    expect(log.slice(18).map((e) => e.op)).toEqual(['completion', 'completion', 'asset']);
  });

  test('a 429 pauses every request for its Retry-After, then the budget runs at half for a window', async () => {
    const budget = new ChecklyBudget({ maxRequestsPerMinute: 10, reserve: 0, windowMs: 60_000 });
    const log: Array<{ op: ChecklyOperation; at: number }> = [];
    await go(budget, 'completion', log);
    budget.onResponse({ op: 'completion', status: 429, durationMs: 5, retryAfterMs: 4000 });
    expect(budget.rateLimited).toBe(1);
    const all = Array.from({ length: 12 }, () => go(budget, 'trigger', log));
    await jest.advanceTimersByTimeAsync(3999);
    expect(log).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    // Half of 10 may count until 64 s: the one before the 429 and four more.
    expect(log.slice(1).map((e) => e.at)).toEqual([4000, 4000, 4000, 4000]);
    await jest.advanceTimersByTimeAsync(60_000);
    await Promise.all(all);
    // At 60 s the first request leaves the window: a fifth place under the restriction. At 64 s the
    // restriction ends and the four from 4 s leave: the rest go.
    expect(log.slice(5).map((e) => e.at)).toEqual([60_000, ...Array.from({ length: 7 }, () => 64_000)]);
    expect(
      peak(
        log.map((e) => e.at),
        60_000,
      ),
    ).toBeLessThanOrEqual(10);
  });

  test('a 429 without Retry-After pauses for the default', async () => {
    const budget = new ChecklyBudget({ maxRequestsPerMinute: 10, defaultRetryAfterMs: 2500 });
    const log: Array<{ op: ChecklyOperation; at: number }> = [];
    budget.onResponse({ op: 'trigger', status: 429, durationMs: 5 });
    const one = go(budget, 'trigger', log);
    await jest.advanceTimersByTimeAsync(3000);
    await one;
    expect(log).toEqual([{ op: 'trigger', at: 2500 }]);
    // Other statuses do nothing.
    budget.onResponse({ op: 'trigger', status: 503, durationMs: 5, retryAfterMs: 9000 });
    await go(budget, 'trigger', log);
    expect(log[1]).toEqual({ op: 'trigger', at: 3000 });
  });

  test('requests count for 61 s by default, so Checkly, counting from arrival, sees no more than the budget', async () => {
    const budget = new ChecklyBudget({ maxRequestsPerMinute: 2, reserve: 0 });
    const log: Array<{ op: ChecklyOperation; at: number }> = [];
    const all = Array.from({ length: 3 }, () => go(budget, 'completion', log));
    await jest.advanceTimersByTimeAsync(62_000);
    await Promise.all(all);
    expect(log.map((e) => e.at)).toEqual([0, 0, 61_000]);
  });

  test('a place reserved ahead is spent by the next request of that operation, or given back', async () => {
    const budget = new ChecklyBudget({ maxRequestsPerMinute: 2, reserve: 0, windowMs: 60_000 });
    await budget.reserve('completion');
    expect(budget.used()).toBe(1);
    await budget.beforeRequest('completion'); // spends the reservation
    expect(budget.used()).toBe(1);
    await budget.reserve('completion');
    expect(budget.used()).toBe(2);
    const log: Array<{ op: ChecklyOperation; at: number }> = [];
    const trigger = go(budget, 'trigger', log);
    await jest.advanceTimersByTimeAsync(1999);
    expect(log).toEqual([]);
    await jest.advanceTimersByTimeAsync(1); // unused for 2 s: the place is given back
    await trigger;
    expect(log).toEqual([{ op: 'trigger', at: 2000 }]);
    expect(budget.used()).toBe(2);
  });

  test('after stop, waiting and later requests end as aborted, never sent', async () => {
    const budget = new ChecklyBudget({ maxRequestsPerMinute: 1, reserve: 0 });
    await budget.beforeRequest('completion');
    const waiting = budget.beforeRequest('completion');
    budget.stop();
    await expect(waiting).rejects.toBeInstanceOf(RequestAbortedError);
    await expect(budget.beforeRequest('trigger')).rejects.toMatchObject({ neverSent: true, operation: 'trigger' });
  });
});
