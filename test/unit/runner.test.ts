/**
 * The run lifecycle (issue 9, causes 1 to 8): a Runner over an in-memory store that fails on demand,
 * fake Slack messages and a fake Checkly, on jest's fake clock. Each test names the cause it covers.
 */
import { getEventListeners } from 'node:events';
import { ServerError } from '../../src/checkly/errors';
import { sessionStarter } from '../../src/checkly/sessions';
import { Runner } from '../../src/runs/runner';
import { Foreground } from '../../src/shared/foreground';
import { isSettled } from '../../src/runs/status';
import type { Run, Session } from '../../src/runs/types';
import { FINAL_GRACE_MS, RUN_TIMEOUT_MS, SWEEP_MS, TRIGGER_TIMEOUT_MS, aRun, logger, request, useRunnerFixture, type Setup } from './runner-fixture';

const make = useRunnerFixture();

describe('cause 1: a run caught in triggering by a restart', () => {
  test('with its message posted: the sweep ends it honestly after the trigger bound, with no second trigger', async () => {
    const { store, messages, checkly, runner, start } = make();
    await start();
    // What a process killed mid-trigger leaves: message posted, trigger sent, no answer recorded.
    await store.create(aRun({ id: 'cut', phase: 'triggering', ts: '1700000000.000001', triggerSentAt: Date.now() }));
    await runner.sweep();
    expect((await store.get('cut'))?.phase).toBe('triggering'); // not yet: the trigger may still answer
    await jest.advanceTimersByTimeAsync(TRIGGER_TIMEOUT_MS);
    await runner.sweep();
    const ended = await store.get('cut');
    expect(ended?.phase).toBe('error');
    expect(ended?.error?.kind).toBe('interrupted');
    expect(isSettled(ended!)).toBe(true);
    expect(messages.finals.map((r) => [r.id, r.error?.kind])).toEqual([['cut', 'interrupted']]);
    expect(checkly.triggers).toHaveLength(0);
    expect(await store.listUnfinished()).toEqual([]);
  });

  test('left by the previous start of the only process on the store: ended by its first sweep, not after the trigger bound', async () => {
    const { store, messages, checkly, runner, start } = make();
    await start();
    // What the previous start (killed mid-trigger) left, the moment this one starts.
    await store.create(
      aRun({
        id: 'cut',
        phase: 'triggering',
        ts: '1700000000.000001',
        triggerSentAt: Date.now(),
        starter: { id: 'previous-start', until: Date.now() + 10_000 },
      }),
    );
    await runner.sweep();
    const ended = await store.get('cut');
    expect(ended?.error?.kind).toBe('interrupted');
    expect(ended?.starter).toBeUndefined();
    expect(isSettled(ended!)).toBe(true);
    expect(messages.finals.map((r) => [r.id, r.error?.kind])).toEqual([['cut', 'interrupted']]);
    expect(checkly.triggers).toHaveLength(0);
  });

  test('replicas: a run another replica is triggering is its own while it renews its hold, and cut off once the hold runs out', async () => {
    const lease = { startLeaseMs: 1000, alone: false };
    const a = make({ ...lease, processId: 'replica-a' });
    await a.start();
    // Replica B on the same store: another Runner, the same fakes.
    const b = new Runner({
      store: a.store,
      checkly: sessionStarter(a.checkly),
      messages: a.messages,
      follower: a.follower,
      dispatcher: a.dispatcher,
      runTimeoutMs: RUN_TIMEOUT_MS,
      triggerTimeoutMs: TRIGGER_TIMEOUT_MS,
      sweepIntervalMs: SWEEP_MS,
      processId: 'replica-b',
      ...lease,
      now: Date.now,
      newId: () => 'b-run',
      logger,
    });
    a.checkly.hold = true;
    void a.runner.start(request);
    for (let t = 0; t < 3000; t += 250) {
      await jest.advanceTimersByTimeAsync(250);
      await b.sweep();
    }
    expect((await a.store.get('run-1'))?.phase).toBe('triggering'); // A is alive: its hold is renewed
    // A dies: its hold is no longer renewed, and B, which saw the run held, resolves it the moment
    // the hold runs out (no sweep needed), well before the trigger bound.
    a.runner.stop();
    const diedAt = Date.now();
    while ((await a.store.get('run-1'))?.phase === 'triggering' && Date.now() - diedAt < TRIGGER_TIMEOUT_MS) {
      await jest.advanceTimersByTimeAsync(100);
    }
    expect(Date.now() - diedAt).toBeLessThanOrEqual(1100);
    expect(Date.now() - diedAt).toBeLessThan(TRIGGER_TIMEOUT_MS);
    expect((await a.store.get('run-1'))?.error?.kind).toBe('interrupted');
    expect(a.checkly.triggers).toHaveLength(1);
    b.stop();
  });

  test('without its message: nothing was triggered, and a message says so', async () => {
    const { store, messages, runner, start } = make();
    await start();
    await store.create(aRun({ id: 'unposted', phase: 'triggering' }));
    await jest.advanceTimersByTimeAsync(TRIGGER_TIMEOUT_MS);
    await runner.sweep();
    const ended = await store.get('unposted');
    expect(ended?.error?.kind).toBe('not_started');
    expect(ended?.ts).toBeDefined();
    expect(ended?.shownDigest).toBe('posted unposted'); // kept with the ts
    expect(messages.posts.map((r) => [r.id, r.phase])).toEqual([['unposted', 'error']]);
    expect(isSettled(ended!)).toBe(true);
  });

  test('a trigger still in flight in this process is left alone by the sweep', async () => {
    const { store, checkly, runner, start } = make();
    await start();
    checkly.hold = true;
    const started = runner.start(request);
    await jest.advanceTimersByTimeAsync(TRIGGER_TIMEOUT_MS * 2);
    await runner.sweep();
    expect((await store.get('run-1'))?.phase).toBe('triggering');
    checkly.release();
    const { run } = (await started) as { run: Run };
    expect(run.phase).toBe('running');
  });

  test('drain waits for a command in flight until its trigger is recorded', async () => {
    const { store, checkly, runner, start } = make();
    await start();
    checkly.hold = true;
    void runner.start(request);
    await jest.advanceTimersByTimeAsync(10);
    expect(runner.handling).toBe(1);
    let drained = false;
    const drain = runner.drain(5000).then(() => (drained = true));
    await jest.advanceTimersByTimeAsync(100);
    expect(drained).toBe(false);
    checkly.release();
    await drain;
    expect((await store.get('run-1'))?.phase).toBe('running');
  });

  test('drain gives up at its deadline', async () => {
    const { checkly, runner, start } = make();
    await start();
    checkly.hold = true;
    void runner.start(request);
    let drained = false;
    const drain = runner.drain(5000).then(() => (drained = true));
    await jest.advanceTimersByTimeAsync(4999);
    expect(drained).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await drain;
    checkly.release();
  });

  test('a running run nobody follows is followed by the next sweep', async () => {
    const { store, checkly, runner, follower, start } = make();
    await start();
    await store.create(
      aRun({
        id: 'orphan',
        ts: '1700000000.000009',
        sessions: [{ sessionId: 'sx', checkId: 'c1', name: 'X', checkType: 'API', link: 'l', status: 'STARTED', locations: [], failedLocations: [] }],
      }),
    );
    expect(follower.size).toBe(0);
    await runner.sweep();
    await jest.advanceTimersByTimeAsync(10);
    expect(follower.size).toBe(1);
    checkly.finish('sx', 'PASSED');
    await jest.advanceTimersByTimeAsync(10);
    expect((await store.get('orphan'))?.phase).toBe('final');
  });

  test('runs that settle are pruned; /checkly status never lists over runs', async () => {
    const { store, messages, runner, start } = make();
    await start();
    messages.finishAnswers.push({ shown: false, replied: true });
    await store.create(aRun({ id: 'over', ts: '1', phase: 'final', finishedAt: Date.now() - FINAL_GRACE_MS }));
    expect(await runner.unfinishedIn('T1', 'C1')).toEqual([]);
    expect(await store.prune(Date.now() + 1)).toBe(0); // its final state is not shown yet
    await runner.sweep();
    await jest.advanceTimersByTimeAsync(SWEEP_MS);
    await runner.sweep();
    expect(isSettled((await store.get('over'))!)).toBe(true);
    expect(await store.prune(Date.now() + 1)).toBe(1);
  });
});

describe('cause 2: a final state Slack did not take is shown later', () => {
  test('a failed final update is retried with backoff until Slack takes it; the reply is posted once', async () => {
    const { store, messages, checkly, runner, start } = make();
    await start();
    checkly.triggerFailure = new ServerError({ operation: 'trigger', path: '/v2/check-sessions/trigger', status: 500, checklyMessage: 'boom' });
    messages.finishAnswers.push({ shown: false, replied: true }, { shown: false, replied: true });
    await runner.start(request);
    let run = await store.get('run-1');
    expect(run?.phase).toBe('error');
    expect(isSettled(run!)).toBe(false);
    expect(run?.finalTries).toBe(1);

    await runner.sweep(); // too early: backs off one interval
    expect(messages.finals).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(SWEEP_MS);
    await runner.sweep();
    expect(messages.finals).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(SWEEP_MS); // the second failure doubles the wait
    await runner.sweep();
    expect(messages.finals).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(SWEEP_MS);
    await runner.sweep();
    expect(messages.finals).toHaveLength(3);
    run = await store.get('run-1');
    expect(isSettled(run!)).toBe(true);
  });

  test('a thread reply that failed is posted by a later try, and never twice', async () => {
    const { store, messages, runner, start } = make();
    await start();
    const failing = aRun({
      id: 'failed',
      ts: '1',
      phase: 'final',
      finishedAt: Date.now() - FINAL_GRACE_MS,
      sessions: [{ sessionId: 's', checkId: 'c', name: 'C', checkType: 'API', link: 'l', status: 'FAILED', locations: [], failedLocations: [] }],
    });
    await store.create(failing);
    messages.finishAnswers.push({ shown: true, replied: false });
    await runner.sweep();
    let run = await store.get('failed');
    expect(run?.repliedAt).toBeUndefined();
    expect(isSettled(run!)).toBe(false);
    await jest.advanceTimersByTimeAsync(SWEEP_MS);
    await runner.sweep();
    run = await store.get('failed');
    expect(run?.repliedAt).toBeDefined();
    expect(isSettled(run!)).toBe(true);
    // The port is told the reply is done: a third try (there is none) would not post it again.
    expect(messages.finals.map((r) => r.repliedAt)).toEqual([undefined, undefined]);
  });

  test('a run over while its follower stopped is shown by whoever comes next', async () => {
    const { store, runner, messages, start } = make();
    await start();
    await store.create(aRun({ id: 'late', ts: '1', phase: 'abandoned', finishedAt: Date.now() - FINAL_GRACE_MS }));
    await runner.sweep();
    expect(messages.finals.map((r) => r.id)).toEqual(['late']);
  });

  test('a final state just recorded by another replica is left to it for a while: one thread reply, not two (chaos run, Redis)', async () => {
    const { store, runner, messages, start } = make();
    await start();
    const failed: Session = { sessionId: 's1', checkId: 'c1', name: 'C1', checkType: 'API', link: 'l', status: 'FAILED', locations: [], failedLocations: [] };
    // What another replica's sessionFinal has just written, before its own showFinal has answered.
    await store.create(aRun({ id: 'just-over', ts: '1', phase: 'final', finishedAt: Date.now(), sessions: [failed] }));
    await jest.advanceTimersByTimeAsync(SWEEP_MS);
    await runner.sweep();
    expect(messages.finals).toEqual([]);
    // That replica settles it: nothing is left for the sweep.
    await store.update('just-over', (r) => {
      r.settledAt = Date.now();
    });
    await jest.advanceTimersByTimeAsync(FINAL_GRACE_MS);
    await runner.sweep();
    expect(messages.finals).toEqual([]);
  });
});

describe('cause 3: a store error when the run timeout fires', () => {
  test('is logged, not an unhandled rejection; the sweep ends the run once the store is back', async () => {
    const { store, messages, runner, start } = make();
    await start();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      await runner.start(request);
      store.failing.add('update');
      await jest.advanceTimersByTimeAsync(RUN_TIMEOUT_MS);
      await new Promise((r) => setImmediate(r));
      expect(rejections).toEqual([]);
      expect((await store.get('run-1'))?.phase).toBe('running');
      store.failing.delete('update');
      await jest.advanceTimersByTimeAsync(SWEEP_MS);
      await runner.sweep();
      expect((await store.get('run-1'))?.phase).toBe('abandoned');
      expect(messages.finals.map((r) => r.phase)).toEqual(['abandoned']);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

describe('cause 4: a result the store could not record', () => {
  test('is recorded when the store is back, not lost, and the run is final, not abandoned', async () => {
    const { store, checkly, follower, start, runner } = make();
    await start();
    await runner.start(request);
    await jest.advanceTimersByTimeAsync(10);
    store.failing.add('update');
    checkly.finish('s1', 'PASSED');
    checkly.finish('s2', 'FAILED');
    await jest.advanceTimersByTimeAsync(10);
    expect(follower.size).toBe(2); // kept, not dropped
    store.failing.delete('update');
    await jest.advanceTimersByTimeAsync(500);
    const run = await store.get('run-1');
    expect(run?.sessions.map((s) => s.status)).toEqual(['PASSED', 'FAILED']);
    expect(run?.phase).toBe('final');
    expect(follower.size).toBe(0);
  });

  test('a result held when the run times out is recorded with it: final, not a false "abandoned"', async () => {
    const { store, checkly, start, runner } = make();
    await start();
    await runner.start(request);
    await jest.advanceTimersByTimeAsync(10);
    store.failing.add('update');
    checkly.finish('s1', 'PASSED');
    checkly.finish('s2', 'PASSED');
    await jest.advanceTimersByTimeAsync(10);
    // The store comes back just before the run times out (at +60 000), and the follower's next try
    // (every 200 ms from +10, so at +60 010) comes after the timeout.
    await jest.advanceTimersByTimeAsync(RUN_TIMEOUT_MS - 30);
    store.failing.delete('update');
    await jest.advanceTimersByTimeAsync(15);
    const run = await store.get('run-1');
    expect(run?.phase).toBe('final');
    expect(run?.sessions.map((s) => s.status)).toEqual(['PASSED', 'PASSED']);
  });
});

describe('a run whose caller waits for its post (the HTTP API)', () => {
  test('is posted at once, answered once recorded, and triggered only after the I/O pending then', async () => {
    const { runner, messages, checkly, store } = make();
    const order: string[] = [];
    let writesBeforeAnswer = 0;
    const started = runner.start({
      ...request,
      onStored: (run) => {
        writesBeforeAnswer = store.writes;
        order.push(`answered ${run.ts} showing ${run.shownDigest}`);
        // A request that arrived meanwhile, waiting for its turn of the event loop.
        setImmediate(() => order.push('pending request'));
      },
    });
    await jest.advanceTimersByTimeAsync(10);
    await started;
    order.push(...checkly.triggers.map(() => 'triggered'));
    expect(messages.postOptions).toEqual([{ answerWaits: true }]);
    expect(order).toEqual(['answered 1700000000.000001 showing posted run-1', 'pending request', 'triggered']);
    // The run, then its message's ts with what it shows, in one write: two writes before the answer.
    expect(writesBeforeAnswer).toBe(2);
    expect((await store.get('run-1'))?.phase).toBe('running');
  });

  test('with a foreground to wait for, is triggered only once the answers being prepared are out', async () => {
    const foreground = new Foreground();
    const otherRequest = foreground.begin();
    const { runner, checkly } = make({ afterAnswers: () => foreground.quiet(1000) });
    let answered = false;
    const started = runner.start({ ...request, onStored: () => (answered = true) });
    await jest.advanceTimersByTimeAsync(10);
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(true);
    expect(checkly.triggers).toHaveLength(0); // another request is still being answered
    otherRequest();
    await started;
    expect(checkly.triggers).toHaveLength(1);
  });

  test('a command run is posted after the requests already waiting, and triggered at once', async () => {
    const { runner, messages, checkly } = make();
    await runner.start(request);
    expect(messages.postOptions).toEqual([{ answerWaits: false }]);
    expect(checkly.triggers).toHaveLength(1);
  });
});

/** A run over, with one failed check, whose reruns the tests click. */
async function finishedParent(s: Setup): Promise<Run> {
  const parent = aRun({
    id: 'parent',
    ts: '1700000000.000100',
    phase: 'final',
    finishedAt: Date.now(),
    settledAt: Date.now(),
    sessions: [{ sessionId: 'p1', checkId: 'c1', name: 'C1', checkType: 'API', link: 'l', status: 'FAILED', locations: [], failedLocations: [] }],
  });
  await s.store.create(parent);
  return parent;
}

describe('cause 5: a rerun posts its message before it triggers', () => {
  test('when the post fails, nothing is triggered, no row is left, and the button works again', async () => {
    const s = make();
    await s.start();
    await finishedParent(s);
    s.messages.postFailure = Object.assign(new Error('An API error occurred: internal_error'), { data: { error: 'internal_error' } });
    const result = await s.runner.rerun((await s.store.get('parent'))!, 'failed', 'U2');
    expect(result.kind).toBe('not_posted');
    expect(s.checkly.triggers).toHaveLength(0);
    expect(await s.store.get('run-1')).toBeUndefined();
    expect((await s.store.get('parent'))?.reruns ?? []).toEqual([]);
    s.messages.postFailure = undefined;
    expect((await s.runner.rerun((await s.store.get('parent'))!, 'failed', 'U2')).kind).toBe('started');
    expect(s.checkly.triggers).toHaveLength(1);
  });

  test('a claim left by a process that died before its rerun had a run is dropped by the next click', async () => {
    const s = make();
    await s.start();
    await finishedParent(s);
    await s.store.update('parent', (p) => {
      p.reruns = [
        { runId: 'ghost', kind: 'all', key: 'all', requester: 'U9', startedAt: Date.now(), phase: 'triggering', total: 1, passed: 0, failing: 0, running: 1 },
      ];
    });
    await jest.advanceTimersByTimeAsync(3 * 60_000);
    expect((await s.runner.rerun((await s.store.get('parent'))!, 'failed', 'U2')).kind).toBe('started');
    expect((await s.store.get('parent'))?.reruns?.map((r) => r.runId)).toEqual(['run-1']);
  });

  test('the rerun message is posted and recorded before the trigger is sent', async () => {
    const s = make();
    await s.start();
    await finishedParent(s);
    s.checkly.hold = true;
    const pending = s.runner.rerun((await s.store.get('parent'))!, 'failed', 'U2');
    await jest.advanceTimersByTimeAsync(10);
    expect(s.checkly.triggers).toHaveLength(1);
    const recorded = await s.store.get('run-1');
    expect(recorded?.phase).toBe('triggering');
    expect(recorded?.ts).toBeDefined();
    expect(recorded?.threadTs).toBe('1700000000.000100');
    s.checkly.release();
    expect((await pending).kind).toBe('started');
  });
});

describe('cause 6: following a run', () => {
  test('leaves no listener on the signal it was given, whatever the number of runs', async () => {
    const { runner, store, checkly } = make();
    const signal = new AbortController().signal;
    for (const id of ['a', 'b', 'c']) {
      await store.create(
        aRun({
          id,
          ts: '1',
          sessions: [{ sessionId: `s-${id}`, checkId: 'c', name: 'C', checkType: 'API', link: 'l', status: 'STARTED', locations: [], failedLocations: [] }],
        }),
      );
    }
    const follows = ['a', 'b', 'c'].map((id) => runner.follow(id, signal));
    await jest.advanceTimersByTimeAsync(10);
    expect(getEventListeners(signal, 'abort')).toHaveLength(3);
    for (const id of ['a', 'b', 'c']) checkly.finish(`s-${id}`, 'PASSED');
    await jest.advanceTimersByTimeAsync(10);
    await Promise.all(follows);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  test("stops at once when the run's own signal aborts (the replica lost it)", async () => {
    const { runner, store, follower } = make();
    await store.create(
      aRun({
        id: 'a',
        ts: '1',
        sessions: [{ sessionId: 's-a', checkId: 'c', name: 'C', checkType: 'API', link: 'l', status: 'STARTED', locations: [], failedLocations: [] }],
      }),
    );
    const lost = new AbortController();
    const follow = runner.follow('a', lost.signal);
    await jest.advanceTimersByTimeAsync(10);
    expect(follower.size).toBe(1);
    lost.abort();
    await follow;
    expect(follower.size).toBe(0);
  });
});

describe('store faults while starting a run', () => {
  test('a short outage while recording the triggered sessions is bridged: the run is followed, not cut off', async () => {
    const { store, checkly, runner, start } = make();
    await start();
    checkly.hold = true;
    const started = runner.start(request);
    await jest.advanceTimersByTimeAsync(10);
    store.failTimes.set('update', 2);
    checkly.release();
    await jest.advanceTimersByTimeAsync(1000);
    const { run } = (await started) as { run: Run };
    expect(run.phase).toBe('running');
    expect((await store.get(run.id))?.sessions).toHaveLength(2);
  });

  test('a message posted whose run cannot be recorded triggers nothing and says so at once', async () => {
    const { store, messages, checkly, runner, start } = make();
    await start();
    store.failing.add('update');
    const started = runner.start(request);
    await jest.advanceTimersByTimeAsync(5000);
    await started;
    expect(checkly.triggers).toHaveLength(0);
    expect(messages.finals.map((r) => [r.ts, r.error?.kind])).toEqual([[messages.posts[0] && '1700000000.000001', 'not_started']]);
    expect(await store.listUnfinished()).toEqual([]);
  });
});

describe('cause 8: smaller leaks', () => {
  test('a post failure other than not-in-channel leaves no triggering row, and triggers nothing', async () => {
    const { store, messages, checkly, runner, start } = make();
    await start();
    messages.postFailure = Object.assign(new Error('An API error occurred: internal_error'), { data: { error: 'internal_error' } });
    await expect(runner.start(request)).rejects.toThrow('internal_error');
    expect(await store.listUnfinished()).toEqual([]);
    expect(checkly.triggers).toHaveLength(0);
  });

  test('a follow that fails leaks no timer and no follower entry', async () => {
    const { runner, store, follower, messages } = make();
    await store.create(
      aRun({
        id: 'a',
        ts: '1',
        sessions: [{ sessionId: 's-a', checkId: 'c', name: 'C', checkType: 'API', link: 'l', status: 'STARTED', locations: [], failedLocations: [] }],
      }),
    );
    jest.spyOn(messages, 'changed').mockImplementation(() => {
      throw new Error('render failed');
    });
    await expect(runner.follow('a', new AbortController().signal)).rejects.toThrow('render failed');
    expect(follower.size).toBe(0);
    await jest.advanceTimersByTimeAsync(1000); // the fake poll's own wait ends
    expect(jest.getTimerCount()).toBe(0); // no run timeout left behind
  });
});

describe("a rerun's last line on its parent (found by the chaos run)", () => {
  test("is part of the parent's final state: shown as such, and shown again by the sweep when Slack did not take it", async () => {
    const s = make();
    await s.start();
    await finishedParent(s);
    expect((await s.runner.rerun((await s.store.get('parent'))!, 'failed', 'U2')).kind).toBe('started');
    await jest.advanceTimersByTimeAsync(10);
    // Slack does not take the parent's update this time (a shutdown dropped it, or an internal_error).
    let refusals = 1;
    const finished = s.messages.finished.bind(s.messages);
    jest.spyOn(s.messages, 'finished').mockImplementation(async (run) => {
      if (run.id === 'parent' && refusals-- > 0) return { shown: false, replied: true };
      return finished(run);
    });
    s.checkly.finish('s1', 'PASSED');
    await jest.advanceTimersByTimeAsync(10);
    expect((await s.store.get('run-1'))?.phase).toBe('final');
    expect(isSettled((await s.store.get('parent'))!)).toBe(false);

    await jest.advanceTimersByTimeAsync(SWEEP_MS);
    await s.runner.sweep();
    const parent = (await s.store.get('parent'))!;
    expect(isSettled(parent)).toBe(true);
    const shown = s.messages.finals.filter((r) => r.id === 'parent');
    expect(shown.at(-1)?.reruns?.map((r) => [r.runId, r.phase, r.passed])).toEqual([['run-1', 'final', 1]]);
  });
});

describe("a rerun's last line on its parent, when the rerun ended in a process that then stopped", () => {
  test('the sweep that shows the rerun shows its last line on the parent too', async () => {
    const s = make();
    const failed: Session = { sessionId: 'p1', checkId: 'c1', name: 'C1', checkType: 'API', link: 'l', status: 'FAILED', locations: [], failedLocations: [] };
    const passed: Session = { ...failed, sessionId: 'r1', status: 'PASSED' };
    // What a process stopping at the wrong moment leaves: the rerun recorded as final, not shown yet,
    // and its line on the (settled) parent still "running".
    await s.store.create(
      aRun({
        id: 'parent',
        ts: '1700000000.000100',
        phase: 'final',
        finishedAt: Date.now(),
        settledAt: Date.now(),
        sessions: [{ ...failed }],
        reruns: [
          {
            runId: 'rerun',
            kind: 'failed',
            key: 'failed',
            requester: 'U2',
            startedAt: Date.now(),
            phase: 'running',
            total: 1,
            passed: 0,
            failing: 0,
            running: 1,
          },
        ],
      }),
    );
    await s.store.create(
      aRun({
        id: 'rerun',
        ts: '1700000000.000200',
        threadTs: '1700000000.000100',
        parentRunId: 'parent',
        phase: 'final',
        finishedAt: Date.now() - FINAL_GRACE_MS,
        sessions: [{ ...passed }],
      }),
    );
    await s.runner.sweep();
    expect(isSettled((await s.store.get('rerun'))!)).toBe(true);
    const parent = (await s.store.get('parent'))!;
    expect(parent.reruns?.map((r) => [r.phase, r.passed, r.running])).toEqual([['final', 1, 0]]);
    expect(isSettled(parent)).toBe(true);
    expect(s.messages.finals.filter((r) => r.id === 'parent').at(-1)?.reruns?.[0]?.phase).toBe('final');
  });
});

describe('two replicas sweeping at the same moment (found by the chaos run, Redis)', () => {
  test('show a final state nobody showed once: one thread reply, not two', async () => {
    const s = make();
    // A second replica on the same store and the same Slack.
    const other = new Runner({
      store: s.store,
      checkly: sessionStarter(s.checkly),
      messages: s.messages,
      follower: s.follower,
      dispatcher: s.dispatcher,
      runTimeoutMs: RUN_TIMEOUT_MS,
      triggerTimeoutMs: TRIGGER_TIMEOUT_MS,
      sweepIntervalMs: SWEEP_MS,
      processId: 'other-process',
      alone: false,
      now: Date.now,
      newId: () => 'other',
      logger,
    });
    const failed: Session = { sessionId: 's1', checkId: 'c1', name: 'C1', checkType: 'API', link: 'l', status: 'FAILED', locations: [], failedLocations: [] };
    // Recorded final by a follower that died before showing it.
    await s.store.create(aRun({ id: 'orphan', ts: '1', phase: 'final', finishedAt: Date.now() - FINAL_GRACE_MS, sessions: [failed] }));
    await Promise.all([s.runner.sweep(), other.sweep()]);
    expect(s.messages.finals.map((r) => r.id)).toEqual(['orphan']);
    expect(isSettled((await s.store.get('orphan'))!)).toBe(true);
    other.stop();
  });
});

describe('a post Slack did not answer in time (it may have taken it)', () => {
  test('the run ends untriggered, the starter hears it, and its final state goes out once as a new message', async () => {
    const { store, messages, checkly, runner, start } = make();
    await start();
    messages.unansweredPosts = 1;
    const result = (await runner.start(request)) as { run: Run };
    expect(result.run).toMatchObject({ phase: 'error', error: { kind: 'not_posted' } });
    expect(result.run.ts).toBeUndefined();
    expect(checkly.triggers).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(0);
    // The first post (taken, its ts unknown), then the final state as a second message.
    expect(messages.posts.map((r) => [r.phase, r.error?.kind])).toEqual([
      ['triggering', undefined],
      ['error', 'not_posted'],
    ]);
    const ended = await store.get('run-1');
    expect(ended?.ts).toBe('1700000000.000001');
    expect(isSettled(ended!)).toBe(true);
    for (let i = 0; i < 3; i += 1) {
      await jest.advanceTimersByTimeAsync(FINAL_GRACE_MS);
      await runner.sweep();
    }
    expect(messages.posts).toHaveLength(2);
  });

  test('a final state whose post gets no answer either is not posted again: the run is settled', async () => {
    const { store, messages, runner, start } = make();
    await start();
    messages.unansweredPosts = 2;
    await runner.start(request);
    await jest.advanceTimersByTimeAsync(0);
    expect(messages.posts).toHaveLength(2);
    expect(isSettled((await store.get('run-1'))!)).toBe(true);
    for (let i = 0; i < 3; i += 1) {
      await jest.advanceTimersByTimeAsync(FINAL_GRACE_MS * 4);
      await runner.sweep();
    }
    expect(messages.posts).toHaveLength(2);
    expect(await store.listUnfinished()).toEqual([]);
  });

  test('a rerun: nothing triggered, the button works again, and the rerun says why in the thread', async () => {
    const s = make();
    await s.start();
    await finishedParent(s);
    s.messages.unansweredPosts = 1;
    const result = await s.runner.rerun((await s.store.get('parent'))!, 'failed', 'U2');
    expect(result.kind).toBe('not_posted');
    expect(s.checkly.triggers).toHaveLength(0);
    expect((await s.store.get('parent'))?.reruns ?? []).toEqual([]);
    await jest.advanceTimersByTimeAsync(0);
    expect(s.messages.posts.map((r) => [r.id, r.threadTs, r.error?.kind])).toEqual([
      ['run-1', '1700000000.000100', undefined],
      ['run-1', '1700000000.000100', 'not_posted'],
    ]);
    expect((await s.runner.rerun((await s.store.get('parent'))!, 'failed', 'U2')).kind).toBe('started');
  });
});
