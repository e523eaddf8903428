import { NotFoundError, RequestAbortedError, ServerError } from '../../src/checkly/errors';
import type { CheckResult, CompletedSession } from '../../src/checkly/types';
import { createLogger } from '../../src/shared/log';
import { sessionWatcher, type ChecklyPort } from '../../src/checkly/sessions';
import type { CheckHistory } from '../../src/runs/duration-model';
import { TypicalDurations } from '../../src/runs/durations';
import { MemoryRunStore } from '../../src/runs/store';
import { type DurationSource, type SessionOutcome, SessionFollower, type FollowerDeps } from '../../src/runs/follower';
import {
  type FakeCheckInput,
  type FakeSession,
  checkResultBody,
  completionBody,
  finalAt,
  isFinalStatus,
  newCheck,
  newSession,
  statusAt,
} from '../fakes/checkly-model';

const ACCOUNT = '7d1f3a2c-5b6e-4c8d-9e0f-1a2b3c4d5e6f';
const logger = createLogger({ level: 'silent' });

interface Poll {
  session: string;
  at: number;
  answeredAt?: number;
}

/** Checkly's completion long poll over the fake's session model, on jest's clock. */
class FakePort implements Pick<ChecklyPort, 'awaitCompletion' | 'getCheckResult'> {
  readonly sessions = new Map<string, FakeSession>();
  readonly names = new Map<string, string>();
  readonly polls: Poll[] = [];
  readonly failures = new Map<string, Error[]>();
  open = 0;
  maxOpen = 0;

  add(name: string, input: Omit<FakeCheckInput, 'name'>, checkId?: string): string {
    const check = newCheck({ name, ...input, ...(checkId ? { id: checkId } : {}) });
    const session = newSession(check, ACCOUNT, Date.now());
    this.sessions.set(session.id, session);
    this.names.set(session.id, name);
    return session.id;
  }

  pollsOf(name: string): Poll[] {
    return this.polls.filter((p) => this.names.get(p.session) === name);
  }

  awaitCompletion(id: string, maxWaitSeconds: number, signal?: AbortSignal): Promise<CompletedSession | null> {
    const poll: Poll = { session: id, at: Date.now() };
    this.polls.push(poll);
    const failure = this.failures.get(id)?.shift();
    if (failure) return Promise.reject(failure);
    const session = this.sessions.get(id);
    if (!session) return Promise.reject(new NotFoundError({ operation: 'completion', path: '/x', checklyMessage: 'No such check session.' }));
    this.open += 1;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    return new Promise((resolve, reject) => {
      const answer = (): void => {
        this.open -= 1;
        poll.answeredAt = Date.now();
        const now = Date.now();
        resolve(isFinalStatus(statusAt(session, now)) ? completionBody(session, now) : null);
      };
      const timer = setTimeout(answer, Math.max(0, Math.min(finalAt(session), Date.now() + maxWaitSeconds * 1000) - Date.now()));
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        this.open -= 1;
        reject(new RequestAbortedError({ operation: 'completion', path: '/x', checklyMessage: 'aborted', neverSent: false }));
      });
    });
  }

  async getCheckResult(checkId: string, checkResultId: string): Promise<CheckResult> {
    for (const session of this.sessions.values()) {
      const ref = session.results.find((r) => r.id === checkResultId);
      if (ref && session.check.id === checkId) return checkResultBody(session, ref);
    }
    throw new NotFoundError({ operation: 'result', path: '/x', checklyMessage: 'Check result not found.' });
  }
}

interface Final {
  runId: string;
  name: string;
  at: number;
  outcome: SessionOutcome;
}

function setup(port: FakePort, over: Partial<FollowerDeps> = {}) {
  const finals: Final[] = [];
  const follower = new SessionFollower({
    checkly: sessionWatcher(port),
    pollWaitSeconds: 5,
    pollRequestsPerMinute: 48, // 4 polls of 5 s open at once
    retryDelayMs: 1000,
    logger,
    onFinal: async (runId, sessionId, outcome) => {
      finals.push({ runId, name: port.names.get(sessionId) ?? sessionId, at: Date.now(), outcome });
    },
    ...over,
  });
  return { follower, finals };
}

describe('SessionFollower', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  test('keeps as many polls open as the budget pays for, and follows every session to its final status', async () => {
    const port = new FakePort();
    const ids = Array.from({ length: 12 }, (_, i) => port.add(`c${i}`, { durationMs: 1000 * (i + 1) }));
    const { follower, finals } = setup(port);
    expect(follower.concurrency).toBe(4);
    follower.follow('run-1', ids);
    expect(follower.size).toBe(12);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(finals.map((f) => f.name).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `c${i}`).sort());
    expect(finals.every((f) => f.runId === 'run-1' && f.outcome.status === 'PASSED')).toBe(true);
    expect(port.maxOpen).toBe(4);
    expect(follower.size).toBe(0);
    // Nothing is asked about once final.
    const pollsAfter = port.polls.length;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(port.polls).toHaveLength(pollsAfter);
  });

  test('a poll caught at the final status tells at once; the error line of a failing session comes with it', async () => {
    const port = new FakePort();
    const id = port.add('Checkout', {
      durationMs: 2500,
      outcome: 'FAILED',
      locations: ['eu-west-1', 'us-east-1'],
      failingLocations: ['us-east-1'],
      errorMessage: 'Timeout 30000ms exceeded\n  at spec.ts:1',
    });
    const { follower, finals } = setup(port);
    follower.follow('run-1', [id]);
    await jest.advanceTimersByTimeAsync(3000);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.at).toBe(2500);
    expect(finals[0]!.outcome).toEqual({
      status: 'FAILED',
      timeElapsed: 2500,
      failedLocations: ['us-east-1'],
      error: 'Timeout 30000ms exceeded',
      // Where each location's result is, failing first: the thread reply and Details fetch them later.
      results: [
        { resultId: expect.any(String), location: 'us-east-1', link: expect.stringContaining('/results/'), failing: true, responseTimeMs: 2000 },
        { resultId: expect.any(String), location: 'eu-west-1', link: expect.stringContaining('/results/'), failing: false, responseTimeMs: 2000 },
      ],
    });
    expect(port.polls).toHaveLength(1);
  });

  test('round robin: no session goes unasked longer than the starvation bound', async () => {
    const port = new FakePort();
    const ids = Array.from({ length: 20 }, (_, i) => port.add(`c${i}`, { durationMs: 500_000 }));
    const { follower } = setup(port, { maxConcurrentPolls: 2 });
    expect(follower.concurrency).toBe(2);
    follower.follow('run-1', ids);
    const bound = follower.starvationBoundMs();
    expect(bound).toBe(2 * 5000 * 10);
    await jest.advanceTimersByTimeAsync(300_000);
    // The first twenty polls ask about each session once, in the order they were followed.
    expect(port.polls.slice(0, 20).map((p) => port.names.get(p.session))).toEqual(ids.map((_, i) => `c${i}`));
    for (const id of ids) {
      const times = [0, ...port.polls.filter((p) => p.session === id).map((p) => p.at)];
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(bound);
    }
    follower.stop();
  });

  test('sessions in their window are polled first; one whose window opens later is not polled until then', async () => {
    const port = new FakePort();
    const ids = { soon: '50000000-0000-4000-8000-000000000001', late: '50000000-0000-4000-8000-000000000002' };
    const soon = port.add('soon', { durationMs: 20_000 }, ids.soon);
    const late = port.add('late', { durationMs: 50_000 }, ids.late);
    const plainCheck = '50000000-0000-4000-8000-000000000003';
    const plain = port.add('plain', { durationMs: 9000 }, plainCheck);
    const durations: DurationSource = {
      lookup: async () =>
        new Map([
          [ids.soon, { pastMs: [20_000] }],
          [ids.late, { pastMs: [50_000] }],
        ]),
      learn: () => undefined,
    };
    const { follower, finals } = setup(port, { pollWaitSeconds: 30, pollRequestsPerMinute: 240, maxConcurrentPolls: 1, durations });
    follower.follow('run-1', [
      { sessionId: late, checkId: ids.late, startedAt: 0 },
      { sessionId: plain, checkId: plainCheck, startedAt: 0 },
      { sessionId: soon, checkId: ids.soon, startedAt: 0 },
    ]);
    await jest.advanceTimersByTimeAsync(60_000);
    // "soon" is in its window from the start (one poll from 0 s lasts past its 20 s): it goes before the
    // unknown "plain". "late" took 50 s: its window opens at 23 s (one poll then lasts until 3 s past 50 s).
    expect(port.polls.map((p) => [port.names.get(p.session), p.at])).toEqual([
      ['soon', 0],
      ['plain', 20_000],
      ['late', 23_000],
    ]);
    expect(finals.map((f) => f.name)).toEqual(['soon', 'plain', 'late']);
    expect(finals.map((f) => f.at)[2]).toBe(50_000);
  });

  test('what a check took is remembered for its next session', async () => {
    const port = new FakePort();
    const checkId = '0b0e5c1e-0000-4000-8000-000000000001';
    const first = port.add('api', { durationMs: 40_000 }, checkId);
    const { follower, finals } = setup(port, { maxConcurrentPolls: 2 });
    follower.follow('run-1', [first]);
    await jest.advanceTimersByTimeAsync(40_000);
    expect(finals).toHaveLength(1);

    const second = port.add('api', { durationMs: 40_000 }, checkId);
    const other = port.add('other', { durationMs: 40_000 });
    follower.follow('run-2', [{ sessionId: second, checkId }, other]);
    await jest.advanceTimersByTimeAsync(41_000);
    expect(finals.map((f) => [f.name, f.at])).toEqual([
      ['api', 40_000],
      ['other', 80_000],
      ['api', 80_000],
    ]);
    // The session without history is asked all along. The one whose check took 40 s last time is asked
    // at the starvation bound (two poll waits) until its window opens (a poll then lasts until 3 s past
    // 40 s: at 38 s from its start, 78 s), then all along.
    expect(port.pollsOf('other').map((p) => p.at)).toEqual([40_000, 45_000, 50_000, 55_000, 60_000, 65_000, 70_000, 75_000]);
    expect(
      port
        .pollsOf('api')
        .slice(8)
        .map((p) => p.at),
    ).toEqual([50_000, 65_000, 78_000]);
  });

  test('a failed poll is asked again after a pause; an unknown session is no longer followed', async () => {
    const port = new FakePort();
    const id = port.add('flaky', { durationMs: 4000 });
    port.failures.set(id, [new ServerError({ operation: 'completion', path: '/x', status: 502, checklyMessage: 'Bad Gateway' })]);
    const { follower, finals } = setup(port);
    follower.follow('run-1', [id, 'not-a-known-session']);
    await jest.advanceTimersByTimeAsync(500);
    expect(follower.size).toBe(1);
    expect(port.pollsOf('flaky').map((p) => p.at)).toEqual([0]);
    await jest.advanceTimersByTimeAsync(4000);
    expect(port.pollsOf('flaky').map((p) => p.at)).toEqual([0, 1000]);
    expect(finals.map((f) => [f.name, f.at])).toEqual([['flaky', 4000]]);
  });

  test('unfollowing a run stops following it, and nothing is reported for it', async () => {
    const port = new FakePort();
    const a = port.add('a', { durationMs: 3000 });
    const b = port.add('b', { durationMs: 3000 });
    const { follower, finals } = setup(port);
    follower.follow('run-a', [a]);
    follower.follow('run-b', [b]);
    await jest.advanceTimersByTimeAsync(1000);
    follower.unfollowRun('run-a');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(finals.map((f) => f.runId)).toEqual(['run-b']);
    expect(port.pollsOf('a')).toHaveLength(1);
  });

  test('a slow onFinal does not hold a poll place', async () => {
    const port = new FakePort();
    const a = port.add('a', { durationMs: 1000 });
    const b = port.add('b', { durationMs: 2000 });
    const finals: Array<[string, number]> = [];
    const follower = new SessionFollower({
      checkly: sessionWatcher(port),
      pollWaitSeconds: 5,
      pollRequestsPerMinute: 1200,
      maxConcurrentPolls: 1,
      retryDelayMs: 1000,
      logger,
      onFinal: async (_runId, sessionId) => {
        finals.push([port.names.get(sessionId)!, Date.now()]);
        await new Promise((r) => setTimeout(r, 10_000));
      },
    });
    follower.follow('run-1', [a, b]);
    await jest.advanceTimersByTimeAsync(3000);
    expect(finals).toEqual([
      ['a', 1000],
      ['b', 2000],
    ]);
  });

  test('with a budget gate, the session is chosen when the place comes, not when it was asked for', async () => {
    const port = new FakePort();
    const a = port.add('a', { durationMs: 60_000 });
    const b = port.add('b', { durationMs: 60_000 });
    const c = port.add('c', { durationMs: 1000 });
    // One place every 4 s.
    const waiting: Array<() => void> = [];
    const gate = setInterval(() => waiting.shift()?.(), 4000);
    // c's check took 1 s before: its window is open from the start.
    const cCheck = 'c0000000-0000-4000-8000-00000000000c';
    const { follower } = setup(port, {
      beforePoll: () => new Promise<void>((resolve) => waiting.push(resolve)),
      maxConcurrentPolls: 5,
      durations: { lookup: async () => new Map([[cCheck, { pastMs: [1000] }]]), learn: () => undefined },
    });
    follower.follow('run-1', [a, b]);
    await jest.advanceTimersByTimeAsync(100);
    expect(waiting).toHaveLength(2); // two sessions, two places asked for, no more
    follower.follow('run-2', [{ sessionId: c, checkId: cCheck, startedAt: Date.now() }]);
    await jest.advanceTimersByTimeAsync(4000);
    // The first place goes to c, followed after the places were asked for, but due now.
    expect(port.polls.map((p) => [port.names.get(p.session), p.at])).toEqual([['c', 4000]]);
    await jest.advanceTimersByTimeAsync(8000);
    expect(port.polls.map((p) => [port.names.get(p.session), p.at])).toEqual([
      ['c', 4000],
      ['a', 8000],
      ['b', 12_000],
    ]);
    clearInterval(gate);
    follower.stop();
  });

  test('stop ends the open polls and asks nothing more', async () => {
    const port = new FakePort();
    const ids = Array.from({ length: 3 }, (_, i) => port.add(`c${i}`, { durationMs: 60_000 }));
    const { follower, finals } = setup(port);
    follower.follow('run-1', ids);
    await jest.advanceTimersByTimeAsync(1000);
    expect(port.open).toBe(3);
    follower.stop();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(port.open).toBe(0);
    expect(port.polls).toHaveLength(3);
    expect(finals).toHaveLength(0);
  });
});

describe('SessionFollower with typical durations', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  /** A duration source answering from a table of past sessions, recording what it learns. */
  function durations(histories: Record<string, CheckHistory>) {
    const learned: Array<[string, number]> = [];
    const source: DurationSource = {
      lookup: async (ids) => new Map(ids.flatMap((id) => (histories[id] ? [[id, histories[id]] as const] : []))),
      learn: (checkId, ms) => learned.push([checkId, ms]),
    };
    return { source, learned };
  }

  test("a session is polled from where its end is likely (its check's past sessions), and one poll catches its end", async () => {
    const port = new FakePort();
    const checkId = '0b0e5c1e-0000-4000-8000-0000000000a1';
    const id = port.add('api', { durationMs: 50_000 }, checkId);
    const { source, learned } = durations({ [checkId]: { pastMs: [45_000, 55_000] } });
    const { follower, finals } = setup(port, { pollWaitSeconds: 30, pollRequestsPerMinute: 240, durations: source });
    follower.follow('run-1', [{ sessionId: id, checkId, startedAt: 0 }]);
    await jest.advanceTimersByTimeAsync(60_000);
    // One poll of 30 s lasting until 3 s past the longest past session (55 s): opened at 28 s, it holds
    // until the session ends at 50 s.
    expect(port.polls.map((p) => p.at)).toEqual([28_000]);
    expect(finals.map((f) => f.at)).toEqual([50_000]);
    expect(learned).toEqual([[checkId, 50_000]]);
  });

  test('the window counts from when the session started, not from when it was followed', async () => {
    const port = new FakePort();
    const checkId = '0b0e5c1e-0000-4000-8000-0000000000a2';
    await jest.advanceTimersByTimeAsync(20_000);
    const id = port.add('api', { durationMs: 30_000 }, checkId);
    await jest.advanceTimersByTimeAsync(10_000); // taken over 10 s after it started
    const { source } = durations({ [checkId]: { pastMs: [25_000, 35_000] } });
    const { follower, finals } = setup(port, { pollWaitSeconds: 30, pollRequestsPerMinute: 240, durations: source });
    follower.follow('run-1', [{ sessionId: id, checkId, startedAt: 20_000 }]);
    await jest.advanceTimersByTimeAsync(40_000);
    // Due at 28 s counted from its start (20 s): polled at once. Counted from 30 s it would wait to 38 s.
    expect(port.polls.map((p) => p.at)).toEqual([30_000]);
    expect(finals.map((f) => f.at)).toEqual([50_000]);
  });

  test('an overdue session is watched at once, before sessions merely due', async () => {
    const port = new FakePort();
    const ids = { unknown: 'c0ffee00-0000-4000-8000-000000000001', due: 'c0ffee00-0000-4000-8000-000000000002', late: 'c0ffee00-0000-4000-8000-000000000003' };
    const unknown = port.add('unknown', { durationMs: 100_000 }, ids.unknown);
    const due = port.add('due', { durationMs: 100_000 }, ids.due);
    const late = port.add('late', { durationMs: 100_000 }, ids.late);
    const { source } = durations({
      // Due from 38 s (2 s before its shortest).
      [ids.due]: { pastMs: [40_000, 100_000] },
      // Due from 28 s (a poll then lasts until 3 s past its longest); never took more than 55 s
      // before: at 56 s it is overdue.
      [ids.late]: { pastMs: [50_000, 55_000] },
    });
    // One poll of 30 s at a time: the unknown session has it first, the late one at 30 s (the other is
    // not due yet); at 60 s the late one again, overdue, although the other's shortest comes first.
    const { follower } = setup(port, { pollWaitSeconds: 30, pollRequestsPerMinute: 240, maxConcurrentPolls: 1, durations: source });
    follower.follow('run-1', [
      { sessionId: unknown, checkId: ids.unknown, startedAt: 0 },
      { sessionId: due, checkId: ids.due, startedAt: 0 },
      { sessionId: late, checkId: ids.late, startedAt: 0 },
    ]);
    await jest.advanceTimersByTimeAsync(61_000);
    expect(port.polls.map((p) => [port.names.get(p.session), p.at])).toEqual([
      ['unknown', 0],
      ['late', 30_000],
      ['late', 60_000],
    ]);
    follower.stop();
  });

  test('a check never seen before is placed by the first sessions of the same run: one poll where it ends, not polls from its shortest response time on', async () => {
    const port = new FakePort();
    const histories: Record<string, CheckHistory> = {};
    const sessions: Array<{ sessionId: string; checkId: string; checkType: string; startedAt: number }> = [];
    // Eleven checks whose status response times say 0.3 and 0.6 of what their sessions take: ten quick
    // ones (5 to 14 s), and one of 100 s.
    [...Array.from({ length: 10 }, (_, i) => 5_000 + 1_000 * i), 100_000].forEach((ms, i) => {
      const checkId = `0b0e5c1e-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`;
      histories[checkId] = { pastMs: [], responseTimes: { shortestMs: 0.3 * ms, longestMs: 0.6 * ms } };
      sessions.push({
        sessionId: port.add(ms === 100_000 ? 'long' : `quick${i}`, { durationMs: ms, checkType: 'API' }, checkId),
        checkId,
        checkType: 'API',
        startedAt: 0,
      });
    });
    const { source } = durations(histories);
    // Five polls open at once: the starvation bound for eleven sessions (three rounds of two waits, 180 s)
    // stays out of it, as the quick ones end too.
    const { follower, finals } = setup(port, { pollWaitSeconds: 30, pollRequestsPerMinute: 240, maxConcurrentPolls: 5, durations: source });
    follower.follow('run-1', sessions);
    await jest.advanceTimersByTimeAsync(101_000);
    expect(finals).toHaveLength(11);
    // Each quick one: one poll from its shortest response time on, caught at its end.
    expect(port.polls.filter((p) => port.names.get(p.session) !== 'long').every((p) => p.answeredAt! - p.at < 30_000)).toBe(true);
    expect(port.polls).toHaveLength(11);
    // By 14 s ten sessions took 2.36 × their typical response time: the long one's end is at 100 s.
    // One poll then lasts until 3 s past it: opened at 73 s. From its shortest response time (30 s) on,
    // it would have taken three.
    expect(port.pollsOf('long').map((p) => p.at)).toEqual([73_000]);
    expect(finals.find((f) => f.name === 'long')!.at).toBe(100_000);
  });

  test('a session whose end comes unforeseen (cancelled) is seen within the starvation bound as it was when followed, before its window', async () => {
    const port = new FakePort();
    const checkId = '0b0e5c1e-0000-4000-8000-0000000000a4';
    const long = port.add('long', { durationMs: 100_000 }, checkId);
    const quick = Array.from({ length: 4 }, (_, i) => port.add(`quick${i}`, { durationMs: 1000 }));
    const { source } = durations({ [checkId]: { pastMs: [100_000] } });
    // Four polls of 5 s open at once: five sessions followed make a bound of 20 s; once the quick ones
    // ended, one session followed would make it 10 s.
    const { follower, finals } = setup(port, { durations: source });
    follower.follow('run-1', [{ sessionId: long, checkId, startedAt: 0 }, ...quick]);
    expect(follower.starvationBoundMs()).toBe(20_000);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(follower.starvationBoundMs()).toBe(10_000);
    port.sessions.get(long)!.cancelledAt = 2_000;
    await jest.advanceTimersByTimeAsync(20_000);
    // Its window opens at 93 s (a poll of 5 s then lasts until 3 s past 100 s); cancelled, it is seen at 20 s.
    expect(port.pollsOf('long').map((p) => p.at)).toEqual([20_000]);
    expect(finals.filter((f) => f.name === 'long').map((f) => f.outcome.status)).toEqual(['CANCELLED']);
  });

  test('past sessions in the store make the next run of the same check cost one poll, caught at its end', async () => {
    const port = new FakePort();
    const checkId = '0b0e5c1e-0000-4000-8000-0000000000a3';
    const store = new MemoryRunStore();
    const typical = new TypicalDurations({ store, logger });
    const { follower, finals } = setup(port, { pollWaitSeconds: 30, pollRequestsPerMinute: 240, durations: typical });
    const first = port.add('api', { durationMs: 70_000 }, checkId);
    follower.follow('run-1', [{ sessionId: first, checkId, startedAt: 0 }]);
    await jest.advanceTimersByTimeAsync(75_000);
    expect(finals).toHaveLength(1);
    // Unknown at first: polled from the start, three polls of 30 s.
    expect(port.polls).toHaveLength(3);
    expect(await store.recentDurations([checkId])).toEqual(new Map([[checkId, [70_000]]]));
    // A second follower (another replica, or after a restart) reading the same store.
    const next = setup(port, { pollWaitSeconds: 30, pollRequestsPerMinute: 240, durations: new TypicalDurations({ store, logger }) });
    const second = port.add('api', { durationMs: 70_000 }, checkId);
    next.follower.follow('run-2', [{ sessionId: second, checkId, startedAt: Date.now() }]);
    await jest.advanceTimersByTimeAsync(75_000);
    // Due at 43 s: one poll then holds until the session ends at 70 s.
    expect(
      port
        .pollsOf('api')
        .slice(3)
        .map((p) => p.at - 75_000),
    ).toEqual([43_000]);
    expect(next.finals.map((f) => f.at - 75_000)).toEqual([70_000]);
  });
});
