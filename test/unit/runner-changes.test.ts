/**
 * The runner's part in new or already broken (product.md section 13): it reads the checks' states
 * while the message is posted and before the trigger, keeps them with the run, and classifies each
 * session when it is final, counting the check's outcomes for `flaky`.
 */
import { CheckOutcomes } from '../../src/runs/outcomes';
import type { CheckStates } from '../../src/runs/ports';
import { MemoryRecords } from '../../src/runs/records';
import type { Run } from '../../src/runs/types';
import { logger, request, useRunnerFixture } from './runner-fixture';

const make = useRunnerFixture();
const C1 = 'a0000000-0000-4000-8000-000000000001';
const C2 = 'a0000000-0000-4000-8000-000000000002';
const OTHER = 'a0000000-0000-4000-8000-000000000003';
const target = { tags: [], checkIds: [C1, C2], all: false };

function statesOf(read: CheckStates['read']): CheckStates & { calls: number } {
  const states = {
    calls: 0,
    read: () => {
      states.calls += 1;
      return read();
    },
  };
  return states;
}

async function settle(until: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50 && !(await until()); i++) await jest.advanceTimersByTimeAsync(100);
}

describe('the runner tells new failures from old', () => {
  test('reads the states before the trigger, keeps them, and classifies each session when final; outcomes are counted once', async () => {
    const records = new MemoryRecords();
    // The account's other checks are read too, and not kept with this run.
    const states = statesOf(async () => ({ [C1]: { state: 'failing', since: 5 }, [C2]: { state: 'passing' }, [OTHER]: { state: 'failing' } }));
    const { runner, checkly, store, start } = make({ changes: { states, outcomes: new CheckOutcomes(records, 60_000, logger) } });
    await start();
    const started = await runner.start({ ...request, target });
    if (!('run' in started)) throw new Error('not started');
    expect(states.calls).toBe(1);
    expect(checkly.triggers).toHaveLength(1);
    const stored = (await store.get(started.run.id)) as Run;
    expect(stored.before).toEqual({ at: expect.any(Number), checks: { [C1]: { state: 'failing', since: 5 }, [C2]: { state: 'passing' } } });
    await jest.advanceTimersByTimeAsync(10);
    checkly.finish(stored.sessions[0]!.sessionId, 'FAILED');
    checkly.finish(stored.sessions[1]!.sessionId, 'FAILED');
    await settle(async () => (await store.get(started.run.id))?.phase === 'final');
    const final = (await store.get(started.run.id)) as Run;
    expect(final.phase).toBe('final');
    expect(final.sessions.map((s) => [s.checkId, s.before, s.change])).toEqual([
      [C1, { state: 'failing', since: 5 }, 'still_failing'],
      [C2, { state: 'passing' }, 'new'],
    ]);
    expect(await records.read(`check-outcomes:${C1}`)).toEqual([true]);
    expect(await records.read(`check-outcomes:${C2}`)).toEqual([true]);
  });

  test('states Checkly could not give: the run keeps that it cannot tell, and classifies nothing', async () => {
    const records = new MemoryRecords();
    const states = statesOf(async () => {
      throw new Error('Checkly answered 500');
    });
    const { runner, checkly, store, start } = make({ changes: { states, outcomes: new CheckOutcomes(records, 60_000, logger) } });
    await start();
    const started = await runner.start({ ...request, target });
    if (!('run' in started)) throw new Error('not started');
    expect(checkly.triggers).toHaveLength(1);
    const stored = (await store.get(started.run.id)) as Run;
    expect(stored.before).toEqual({ at: expect.any(Number) });
    await jest.advanceTimersByTimeAsync(10);
    for (const s of stored.sessions) checkly.finish(s.sessionId, 'FAILED');
    await settle(async () => (await store.get(started.run.id))?.phase === 'final');
    const final = (await store.get(started.run.id)) as Run;
    expect(final.sessions.map((s) => [s.before, s.change])).toEqual([
      [{ state: 'unknown' }, undefined],
      [{ state: 'unknown' }, undefined],
    ]);
  });

  test('states that do not come in time: the trigger goes after waitMs without them', async () => {
    const states = statesOf(() => new Promise(() => undefined));
    const { runner, checkly, store, start } = make({ changes: { states, outcomes: new CheckOutcomes(new MemoryRecords(), 60_000, logger), waitMs: 2000 } });
    await start();
    const starting = runner.start({ ...request, target });
    await jest.advanceTimersByTimeAsync(1900);
    expect(checkly.triggers).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(200);
    const started = await starting;
    if (!('run' in started)) throw new Error('not started');
    expect(checkly.triggers).toHaveLength(1);
    expect((await store.get(started.run.id))?.before).toEqual({ at: expect.any(Number) });
  });

  test('without the changes dependency nothing is read or classified (as before)', async () => {
    const { runner, store, start } = make();
    await start();
    const started = await runner.start({ ...request, target });
    if (!('run' in started)) throw new Error('not started');
    expect((await store.get(started.run.id))?.before).toBeUndefined();
  });
});
