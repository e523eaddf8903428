import type { RunStore } from '../../src/runs/store';
import { targetKey } from '../../src/runs/target-key';
import type { Run, RunPhase, Session } from '../../src/runs/types';
import { aRun as runOf } from './runner-fixture';

/**
 * The expectations every RunStore meets, run against each implementation. `open` gives a fresh,
 * empty store for each test; the contract closes it afterwards.
 */
export function runStoreContract(name: string, open: () => Promise<RunStore>): void {
  describe(`${name} (RunStore contract)`, () => {
    // Real clock times: the Redis store expires over runs relative to the server's clock.
    const now = Date.now();
    const hour = 3_600_000;
    let store: RunStore;

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await store.close();
    });

    it('gives back the run it was given', async () => {
      const run = aRun({ id: 'r1', ts: '1700000000.000100', threadTs: '1700000000.000001', sessions: [aSession('s1')] });
      await store.create(run);
      expect(await store.get('r1')).toEqual(run);
    });

    it('keeps every field of an over run, error included', async () => {
      const run = aRun({
        id: 'r1',
        phase: 'error',
        error: { kind: 'rate_limited', message: 'Too many requests', status: 429 },
        finishedAt: now,
      });
      await store.create(run);
      expect(await store.get('r1')).toEqual(run);
    });

    it('answers undefined for an unknown id', async () => {
      expect(await store.get('nope')).toBeUndefined();
    });

    it('keeps its own copy on create', async () => {
      const run = aRun({ id: 'r1', sessions: [aSession('s1')] });
      await store.create(run);
      run.phase = 'final';
      run.sessions[0]!.status = 'FAILED';
      const stored = await store.get('r1');
      expect(stored?.phase).toBe('running');
      expect(stored?.sessions[0]?.status).toBe('PROGRESS');
    });

    it('hands out copies from get', async () => {
      await store.create(aRun({ id: 'r1', sessions: [aSession('s1')] }));
      const first = await store.get('r1');
      first!.phase = 'final';
      first!.sessions[0]!.status = 'FAILED';
      first!.sessions.push(aSession('s2'));
      expect(await store.get('r1')).toEqual(aRun({ id: 'r1', sessions: [aSession('s1')] }));
    });

    it('refuses to create a run whose id exists, and keeps the first', async () => {
      await store.create(aRun({ id: 'r1', requester: 'U1' }));
      await expect(store.create(aRun({ id: 'r1', requester: 'U2' }))).rejects.toThrow('run r1 exists already');
      expect((await store.get('r1'))?.requester).toBe('U1');
    });

    it('applies a change and returns the run as stored', async () => {
      await store.create(aRun({ id: 'r1', sessions: [aSession('s1'), aSession('s2')] }));
      const updated = await store.update('r1', (run) => {
        run.sessions[0]!.status = 'PASSED';
        run.ts = '1700000000.000200';
      });
      const expected = aRun({ id: 'r1', ts: '1700000000.000200', sessions: [{ ...aSession('s1'), status: 'PASSED' }, aSession('s2')] });
      expect(updated).toEqual(expected);
      expect(await store.get('r1')).toEqual(expected);
    });

    it('hands out a copy from update', async () => {
      await store.create(aRun({ id: 'r1' }));
      const updated = await store.update('r1', (run) => {
        run.requester = 'U2';
      });
      updated!.requester = 'U3';
      expect((await store.get('r1'))?.requester).toBe('U2');
    });

    it('returns the run unchanged when the change changes nothing', async () => {
      await store.create(aRun({ id: 'r1' }));
      expect(await store.update('r1', () => {})).toEqual(aRun({ id: 'r1' }));
    });

    it('does not call the change, and creates nothing, for an unknown id', async () => {
      const change = jest.fn((run: Run) => {
        run.phase = 'final';
      });
      expect(await store.update('nope', change)).toBeUndefined();
      expect(change).not.toHaveBeenCalled();
      expect(await store.get('nope')).toBeUndefined();
      expect(await store.listUnfinished()).toEqual([]);
    });

    it('stores nothing when the change throws', async () => {
      await store.create(aRun({ id: 'r1' }));
      const failure = new Error('change failed');
      await expect(
        store.update('r1', (run) => {
          run.phase = 'final';
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await store.get('r1')).toEqual(aRun({ id: 'r1' }));
    });

    it('refuses a change of the id', async () => {
      await store.create(aRun({ id: 'r1' }));
      await expect(
        store.update('r1', (run) => {
          run.id = 'r2';
        }),
      ).rejects.toThrow('a change of run r1 must not change its id');
      expect(await store.get('r1')).toEqual(aRun({ id: 'r1' }));
      expect(await store.get('r2')).toBeUndefined();
    });

    it('loses no change when many arrive at once', async () => {
      await store.create(aRun({ id: 'r1' }));
      const ids = Array.from({ length: 20 }, (_, i) => `s${i}`);
      await Promise.all(
        ids.map((sessionId) =>
          store.update('r1', (run) => {
            run.sessions.push(aSession(sessionId));
          }),
        ),
      );
      const stored = await store.get('r1');
      expect(stored?.sessions.map((s) => s.sessionId).sort()).toEqual([...ids].sort());
    });

    it('deletes a run, and then knows it no more', async () => {
      await store.create(aRun({ id: 'r1' }));
      await store.create(aRun({ id: 'r2' }));
      await store.delete('r1');
      expect(await store.get('r1')).toBeUndefined();
      expect(await store.update('r1', () => {})).toBeUndefined();
      expect((await store.listUnfinished()).map((r) => r.id)).toEqual(['r2']);
      await store.delete('r1');
      await store.create(aRun({ id: 'r1', requester: 'U9' }));
      expect((await store.get('r1'))?.requester).toBe('U9');
    });

    it('lists the unfinished runs, oldest first, ties by id', async () => {
      const phases: [string, RunPhase, number][] = [
        ['b', 'running', now - 10],
        ['a', 'triggering', now - 30],
        ['final', 'final', now - 40],
        ['error', 'error', now - 50],
        ['abandoned', 'abandoned', now - 60],
        ['d', 'running', now - 20],
        ['c', 'triggering', now - 20],
      ];
      for (const [id, phase, createdAt] of phases) {
        await store.create(aRun({ id, phase, createdAt, finishedAt: phase === 'running' || phase === 'triggering' ? undefined : now }));
      }
      const unfinished = await store.listUnfinished();
      expect(unfinished.map((r) => r.id)).toEqual(['a', 'c', 'd', 'b']);
      expect(unfinished[0]).toEqual(aRun({ id: 'a', phase: 'triggering', createdAt: now - 30 }));
    });

    it('follows phase changes in listUnfinished', async () => {
      await store.create(aRun({ id: 'r1', phase: 'triggering', createdAt: now - 2 }));
      await store.create(aRun({ id: 'r2', phase: 'triggering', createdAt: now - 1 }));
      await store.update('r1', (run) => {
        run.phase = 'running';
      });
      await store.update('r2', (run) => {
        run.phase = 'final';
        run.finishedAt = now;
      });
      // Over but not settled: its final state is still to be shown.
      expect((await store.listUnfinished()).map((r) => [r.id, r.phase])).toEqual([
        ['r1', 'running'],
        ['r2', 'final'],
      ]);
      expect(await store.prune(now + hour)).toBe(0);
      await store.update('r2', (run) => {
        run.settledAt = now;
      });
      await store.update('r1', (run) => {
        run.phase = 'abandoned';
        run.finishedAt = now;
        run.settledAt = now;
      });
      expect(await store.listUnfinished()).toEqual([]);
    });

    it('prunes over runs finished before the cut-off, and nothing else', async () => {
      const cutoff = now - hour;
      await store.create(aRun({ id: 'final-old', phase: 'final', createdAt: now - 3 * hour, finishedAt: now - 2 * hour }));
      await store.create(aRun({ id: 'error-old', phase: 'error', createdAt: now - 3 * hour, finishedAt: cutoff - 1 }));
      await store.create(aRun({ id: 'abandoned-old', phase: 'abandoned', createdAt: now - 4 * hour, finishedAt: now - 2 * hour }));
      await store.create(aRun({ id: 'final-at-cutoff', phase: 'final', createdAt: now - 3 * hour, finishedAt: cutoff }));
      await store.create(aRun({ id: 'final-new', phase: 'final', createdAt: now - 3 * hour, finishedAt: now - 60_000 }));
      await store.create(aRun({ id: 'running-old', phase: 'running', createdAt: now - 5 * hour }));
      await store.create(aRun({ id: 'triggering-old', phase: 'triggering', createdAt: now - 5 * hour }));

      expect(await store.prune(cutoff)).toBe(3);

      for (const id of ['final-old', 'error-old', 'abandoned-old']) expect(await store.get(id)).toBeUndefined();
      for (const id of ['final-at-cutoff', 'final-new', 'running-old', 'triggering-old']) expect((await store.get(id))?.id).toBe(id);
      expect((await store.listUnfinished()).map((r) => r.id)).toEqual(['running-old', 'triggering-old']);
      expect(await store.prune(cutoff)).toBe(0);
    });

    it('prunes a run that finished through update', async () => {
      await store.create(aRun({ id: 'r1', createdAt: now - 3 * hour }));
      expect(await store.prune(now)).toBe(0);
      await store.update('r1', (run) => {
        run.phase = 'final';
        run.finishedAt = now - 2 * hour;
      });
      expect(await store.prune(now - hour)).toBe(0);
      await store.update('r1', (run) => {
        run.settledAt = now - 2 * hour;
      });
      expect(await store.prune(now - hour)).toBe(1);
      expect(await store.get('r1')).toBeUndefined();
    });

    it('prunes an over run without finishedAt by its createdAt', async () => {
      await store.create(aRun({ id: 'old', phase: 'final', createdAt: now - 2 * hour }));
      await store.create(aRun({ id: 'new', phase: 'final', createdAt: now - 60_000 }));
      expect(await store.prune(now - hour)).toBe(1);
      expect(await store.get('old')).toBeUndefined();
      expect((await store.get('new'))?.id).toBe('new');
    });

    it('lists a target’s last runs in a channel, newest first, however the target was typed; not other channels, teams, targets or reruns', async () => {
      const prod = { tags: [['prod', 'api'], ['web']], checkIds: [], all: false };
      const prodTypedOtherwise = { tags: [['web'], ['api', 'prod', 'api']], checkIds: [], all: false };
      for (let i = 0; i < 12; i++)
        await store.create(aRun({ id: `p${String(i).padStart(2, '0')}`, target: i % 2 ? prod : prodTypedOtherwise, createdAt: now - 100_000 + i }));
      await store.create(aRun({ id: 'tie-a', target: prod, createdAt: now - 50_000 }));
      await store.create(aRun({ id: 'tie-b', target: prod, createdAt: now - 50_000 }));
      await store.create(aRun({ id: 'other-channel', target: prod, channel: 'C2', createdAt: now }));
      await store.create(aRun({ id: 'other-team', target: prod, teamId: 'T2', createdAt: now }));
      await store.create(aRun({ id: 'other-target', target: { tags: [['prod']], checkIds: [], all: false }, createdAt: now }));
      await store.create(aRun({ id: 'rerun', target: prod, parentRunId: 'p11', createdAt: now }));
      const key = targetKey(prod);
      expect(targetKey(prodTypedOtherwise)).toBe(key);
      expect((await store.listRecent('T1', 'C1', key, 10)).map((r) => r.id)).toEqual([
        'tie-b',
        'tie-a',
        'p11',
        'p10',
        'p09',
        'p08',
        'p07',
        'p06',
        'p05',
        'p04',
      ]);
      expect((await store.listRecent('T1', 'C1', key, 3)).map((r) => r.id)).toEqual(['tie-b', 'tie-a', 'p11']);
      expect(await store.listRecent('T1', 'C1', key, 0)).toEqual([]);
      expect(await store.listRecent('T1', 'C9', key, 10)).toEqual([]);
      expect((await store.listRecent('T1', 'C2', key, 10)).map((r) => r.id)).toEqual(['other-channel']);
      // What is listed is the run as stored now.
      await store.update('p11', (r) => {
        r.phase = 'final';
        r.finishedAt = now;
      });
      expect((await store.listRecent('T1', 'C1', key, 3))[2]).toMatchObject({ id: 'p11', phase: 'final' });
    });

    it('lists no run it deleted or pruned', async () => {
      const all = { tags: [], checkIds: [], all: true };
      await store.create(aRun({ id: 'gone', target: all, createdAt: now - 3 * hour }));
      await store.create(aRun({ id: 'pruned', target: all, phase: 'final', createdAt: now - 3 * hour, finishedAt: now - 2 * hour }));
      await store.create(aRun({ id: 'kept', target: all, createdAt: now - hour }));
      await store.delete('gone');
      expect(await store.prune(now - hour)).toBe(1);
      expect((await store.listRecent('T1', 'C1', targetKey(all), 10)).map((r) => r.id)).toEqual(['kept']);
    });

    /** Over runs are settled unless said otherwise: the contract is about what stores keep. */
    function aRun(overrides: Partial<Run> & { id: string }): Run {
      const over = overrides.phase === 'final' || overrides.phase === 'error' || overrides.phase === 'abandoned';
      return runOf({
        ...(over ? { settledAt: overrides.finishedAt ?? overrides.createdAt ?? now - 1000 } : {}),
        createdAt: now - 1000,
        ...overrides,
      });
    }
  });
}

export function aSession(sessionId: string): Session {
  return {
    sessionId,
    checkId: `check-${sessionId}`,
    name: `Check ${sessionId}`,
    checkType: 'API',
    link: `https://app.checklyhq.com/sessions/${sessionId}`,
    status: 'PROGRESS',
    locations: ['eu-west-1', 'us-east-1'],
    failedLocations: [],
  };
}
