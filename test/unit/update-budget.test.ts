import { UpdateBudget, type UpdateResult } from '../../src/slack/update-budget';
import { slidingPeak as peak } from '../../bench/measure';

interface Sent {
  key: string;
  state: string;
  at: number;
  answeredAt?: number;
}

/** A workspace's messages: each has a latest state; sending shows it after `latencyMs`. */
class Messages {
  readonly sent: Sent[] = [];
  readonly latest = new Map<string, string>();
  readonly results: UpdateResult[] = [];

  constructor(private readonly latencyMs = 100) {}

  job(key: string, state: string, final = false) {
    this.latest.set(key, state);
    return {
      final,
      send: async (): Promise<UpdateResult> => {
        const entry: Sent = { key, state: this.latest.get(key)!, at: Date.now() };
        this.sent.push(entry);
        if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
        entry.answeredAt = Date.now();
        return this.results.shift() ?? 'sent';
      },
    };
  }
}

describe('UpdateBudget', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  test('never more than the budget in any sliding minute, counted until a minute after Slack answered', async () => {
    const budget = new UpdateBudget({ maxUpdatesPerMinute: 5, intervalMs: 1000 });
    const m = new Messages(700);
    const done: Promise<void>[] = [];
    for (let t = 0; t < 240_000; t += 250) {
      const key = `run-${(t / 250) % 7}`;
      done.push(budget.request('T1', key, m.job(key, `s${t}`, t % 10_000 === 0)));
      await jest.advanceTimersByTimeAsync(250);
    }
    await jest.advanceTimersByTimeAsync(120_000);
    await Promise.all(done);
    expect(
      peak(
        m.sent.map((s) => s.at),
        60_000,
      ),
    ).toBeLessThanOrEqual(5);
    // Slack counts somewhere between the send and the answer; the answers are a minute apart too.
    expect(
      peak(
        m.sent.map((s) => s.answeredAt!),
        60_000,
      ),
    ).toBeLessThanOrEqual(5);
    expect(m.sent.length).toBeGreaterThanOrEqual(4 * 5);
    expect(m.sent.length).toBeLessThanOrEqual(6 * 5);
  });

  test('intermediate states leave places free for final ones, which go at once', async () => {
    const budget = new UpdateBudget({ maxUpdatesPerMinute: 8, intervalMs: 1000, finalReserve: 3, burst: 8 });
    const m = new Messages();
    const waiting = Array.from({ length: 7 }, (_, i) => budget.request('T1', `run-${i}`, m.job(`run-${i}`, 'progress')));
    await jest.advanceTimersByTimeAsync(1000);
    expect(m.sent.map((s) => s.key)).toEqual(['run-0', 'run-1', 'run-2', 'run-3', 'run-4']);
    expect(budget.waiting).toBe(2);

    const finals = [budget.request('T1', 'run-8', m.job('run-8', 'final', true)), budget.request('T1', 'run-9', m.job('run-9', 'final', true))];
    await jest.advanceTimersByTimeAsync(0);
    expect(m.sent.slice(5).map((s) => [s.key, s.at])).toEqual([
      ['run-8', 1000],
      ['run-9', 1000],
    ]);
    await jest.advanceTimersByTimeAsync(60_000);
    await Promise.all([...finals, ...waiting]);
  });

  test('when the budget is short, final states go first, longest waiting first, whatever waited before them', async () => {
    const budget = new UpdateBudget({ maxUpdatesPerMinute: 2, intervalMs: 1000, finalReserve: 0, burst: 2 });
    const m = new Messages(0);
    const all = [
      budget.request('T1', 'a', m.job('a', 'a1')),
      budget.request('T1', 'b', m.job('b', 'b1')),
      budget.request('T1', 'c', m.job('c', 'c1')),
      budget.request('T1', 'd', m.job('d', 'd1')),
    ];
    await jest.advanceTimersByTimeAsync(10);
    all.push(budget.request('T1', 'e', m.job('e', 'e-final', true)));
    await jest.advanceTimersByTimeAsync(10);
    all.push(budget.request('T1', 'c', m.job('c', 'c-final', true)));
    await jest.advanceTimersByTimeAsync(130_000);
    await Promise.all(all);
    // c has had something to show since 0, e since 10 ms: c's final goes first.
    expect(m.sent.map((s) => [s.state, s.at])).toEqual([
      ['a1', 0],
      ['b1', 0],
      ['c-final', 60_000],
      ['e-final', 60_000],
      ['d1', 120_000],
    ]);
  });

  test('intermediate states are spread evenly over the minute after a short burst; final ones are not held back', async () => {
    // 20 a minute, 5 kept for finals: 15 intermediate a minute, one per 4 s after a burst of 3.
    const budget = new UpdateBudget({ maxUpdatesPerMinute: 20, intervalMs: 1000, finalReserve: 5, burst: 3 });
    const m = new Messages(0);
    const all = Array.from({ length: 6 }, (_, i) => budget.request('T1', `run-${i}`, m.job(`run-${i}`, 'progress')));
    await jest.advanceTimersByTimeAsync(1000);
    all.push(budget.request('T1', 'run-9', m.job('run-9', 'final', true)));
    await jest.advanceTimersByTimeAsync(20_000);
    await Promise.all(all);
    expect(m.sent.map((s) => [s.key, s.at])).toEqual([
      ['run-0', 0],
      ['run-1', 0],
      ['run-2', 0],
      ['run-9', 1000],
      ['run-3', 4000],
      ['run-4', 8000],
      ['run-5', 12_000],
    ]);
  });

  test('a message waiting its turn sends only its latest state; every request for it is answered by that one update', async () => {
    const budget = new UpdateBudget({ maxUpdatesPerMinute: 50, intervalMs: 1000 });
    const m = new Messages();
    const answered: string[] = [];
    const ask = (state: string) => budget.request('T1', 'run', m.job('run', state)).then(() => answered.push(state));
    const all = [ask('v1')];
    await jest.advanceTimersByTimeAsync(10);
    all.push(ask('v2'), ask('v3'), ask('v4'));
    await jest.advanceTimersByTimeAsync(3000);
    await Promise.all(all);
    // v1 went at once; v2 and v3 were overtaken while the message waited out its interval.
    expect(m.sent.map((s) => [s.state, s.at])).toEqual([
      ['v1', 0],
      ['v4', 1100],
    ]);
    expect(answered).toEqual(['v1', 'v2', 'v3', 'v4']);
  });

  test('a 429 pauses the workspace for its Retry-After and the update goes again; other workspaces go on', async () => {
    const budget = new UpdateBudget({ maxUpdatesPerMinute: 50, intervalMs: 1000 });
    const t1 = new Messages(0);
    const t2 = new Messages(0);
    t1.results.push({ retryAfterMs: 3000 });
    const all = [budget.request('T1', 'a', t1.job('a', 'a1'))];
    await jest.advanceTimersByTimeAsync(100);
    all.push(budget.request('T1', 'b', t1.job('b', 'b1')), budget.request('T2', 'x', t2.job('x', 'x1')));
    await jest.advanceTimersByTimeAsync(5000);
    await Promise.all(all);
    // The rate-limited update goes again first: it has waited longest.
    expect(t1.sent.map((s) => [s.state, s.at])).toEqual([
      ['a1', 0],
      ['a1', 3000],
      ['b1', 3000],
    ]);
    expect(t2.sent.map((s) => [s.state, s.at])).toEqual([['x1', 100]]);
    expect(budget.used('T1')).toBe(3);
  });

  test('an update found unchanged costs nothing and does not hold the message back', async () => {
    const budget = new UpdateBudget({ maxUpdatesPerMinute: 1, intervalMs: 1000 });
    const m = new Messages(0);
    m.results.push('unchanged');
    await budget.request('T1', 'a', m.job('a', 'a1'));
    expect(budget.used('T1')).toBe(0);
    await budget.request('T1', 'a', m.job('a', 'a2'));
    expect(m.sent.map((s) => [s.state, s.at])).toEqual([
      ['a1', 0],
      ['a2', 0],
    ]);
    expect(budget.used('T1')).toBe(1);
  });

  test('a final state that failed is tried again from a second on, doubling, a 429 waited out in between (issue 20)', async () => {
    const budget = new UpdateBudget({ maxUpdatesPerMinute: 50, intervalMs: 200 });
    const m = new Messages(0);
    m.results.push('failed', 'failed', { retryAfterMs: 3000 });
    let answeredAt: number | undefined;
    void budget.request('T1', 'a', m.job('a', 'final', true)).then(() => (answeredAt = Date.now()));
    await jest.advanceTimersByTimeAsync(10_000);
    expect(m.sent.map((s) => s.at)).toEqual([0, 1000, 3000, 6000]);
    expect(answeredAt).toBe(6000);
  });

  test('a final state that keeps failing is answered after 5 more tries (31 s), and one that is gone at once', async () => {
    const budget = new UpdateBudget({ maxUpdatesPerMinute: 50, intervalMs: 200 });
    const m = new Messages(0);
    m.results.push(...Array.from({ length: 6 }, (): UpdateResult => 'failed'));
    let answeredAt: number | undefined;
    void budget.request('T1', 'a', m.job('a', 'final', true)).then(() => (answeredAt = Date.now()));
    await jest.advanceTimersByTimeAsync(60_000);
    expect(m.sent.map((s) => s.at)).toEqual([0, 1000, 3000, 7000, 15_000, 31_000]);
    expect(answeredAt).toBe(31_000);

    m.results.push('gone');
    await budget.request('T1', 'b', m.job('b', 'final', true));
    expect(m.sent.filter((s) => s.key === 'b')).toHaveLength(1);
  });

  test('a failed send is answered, not retried, and counts against the budget', async () => {
    const budget = new UpdateBudget({ maxUpdatesPerMinute: 5, intervalMs: 1000 });
    const m = new Messages(0);
    m.results.push('failed');
    await budget.request('T1', 'a', m.job('a', 'a1'));
    await jest.advanceTimersByTimeAsync(5000);
    expect(m.sent).toHaveLength(1);
    expect(budget.used('T1')).toBe(1);
  });
});
