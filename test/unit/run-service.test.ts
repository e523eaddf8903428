/**
 * The run service, the one door every entrance uses: over the runner fixture (in-memory store, fake
 * Slack messages, fake Checkly) on jest's fake clock, with fake permalinks.
 */
import type { Permalinks } from '../../src/runs/ports';
import { RunService } from '../../src/runs/service';
import type { Session } from '../../src/runs/types';
import { aRun, request, useRunnerFixture } from './runner-fixture';

const makeRunner = useRunnerFixture();

/** Links as Slack gives them; a message in `broken` gets none (Slack failed). */
class FakePermalinks implements Permalinks {
  asked: Array<[string, string]> = [];
  broken = new Set<string>();
  async of(channel: string, ts: string): Promise<string | undefined> {
    this.asked.push([channel, ts]);
    return this.broken.has(ts) ? undefined : `https://example.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
  }
}

function make() {
  const s = makeRunner();
  const permalinks = new FakePermalinks();
  const service = new RunService({ runner: s.runner, permalinks });
  return { ...s, permalinks, service };
}

const FAILED_SESSION: Session = {
  sessionId: 'p1',
  checkId: 'c1',
  name: 'C1',
  checkType: 'API',
  link: 'l',
  status: 'FAILED',
  locations: [],
  failedLocations: [],
};

async function finishedParent(s: ReturnType<typeof make>) {
  const parent = aRun({ id: 'parent', ts: '1700000000.000100', phase: 'final', finishedAt: Date.now(), settledAt: Date.now(), sessions: [FAILED_SESSION] });
  await s.store.create(parent);
  return parent;
}

/** A rerun of the failed checks by U2, held at its trigger (release it with `s.checkly.release()`). */
async function rerunInFlight(s: ReturnType<typeof make>) {
  const parent = await finishedParent(s);
  s.checkly.hold = true;
  const first = s.service.rerun({ parent, kind: 'failed', requester: 'U2' });
  await jest.advanceTimersByTimeAsync(10);
  return { parent, first };
}

describe('start and read', () => {
  test('a started run carries its origin and can be read back', async () => {
    const s = make();
    await s.dispatcher.start((runId, signal) => s.runner.follow(runId, signal));
    const started = await s.service.start({ ...request, origin: { kind: 'modal', userId: 'U1' } });
    if (!('run' in started)) throw new Error('expected a run');
    expect(started.run.origin).toEqual({ kind: 'modal', userId: 'U1' });
    expect((await s.service.read(started.run.id))?.sessions.map((x) => x.checkId)).toEqual(['c1', 'c2']);
    expect(await s.service.read('nope')).toBeUndefined();
  });
});

describe('rerun', () => {
  test('starts from the parent it is given, without reading it again, and carries it', async () => {
    const s = make();
    const parent = await finishedParent(s);
    const reads = jest.spyOn(s.store, 'get');
    const result = await s.service.rerun({ parent, kind: 'failed', requester: 'U2' });
    expect(result.kind).toBe('started');
    if (result.kind !== 'started') return;
    expect(result.parent.id).toBe('parent');
    expect(result.run.parentRunId).toBe('parent');
    expect(result.run.origin).toEqual({ kind: 'button', userId: 'U2' });
    expect(reads).not.toHaveBeenCalled();
    expect(s.checkly.triggers.map((t) => t.target?.checkId)).toEqual([['c1']]);
  });

  test('a second click while the rerun is going answers with the link to the rerun message', async () => {
    const s = make();
    const { parent, first } = await rerunInFlight(s);
    const second = await s.service.rerun({ parent, kind: 'failed', requester: 'U3' });
    expect(second.kind).toBe('in_progress');
    if (second.kind !== 'in_progress') return;
    expect(second.parent.id).toBe('parent');
    expect(second.rerun.requester).toBe('U2');
    const rerunTs = (await s.store.get(second.rerun.runId))?.ts;
    expect(rerunTs).toBeDefined();
    expect(s.permalinks.asked).toEqual([['C1', rerunTs]]);
    expect(second.permalink).toBe(`https://example.slack.com/archives/C1/p${rerunTs!.replace('.', '')}`);
    s.checkly.release();
    expect((await first).kind).toBe('started');
    expect(s.checkly.triggers).toHaveLength(1);
  });

  test('without a link when Slack gives none', async () => {
    const s = make();
    const { parent, first } = await rerunInFlight(s);
    s.permalinks.broken.add((await s.store.get('run-1'))!.ts!);
    const second = await s.service.rerun({ parent, kind: 'failed', requester: 'U3' });
    expect(second).toMatchObject({ kind: 'in_progress', permalink: undefined });
    s.checkly.release();
    await first;
  });

  test('nothing to rerun carries the parent and triggers nothing', async () => {
    const s = make();
    const parent = aRun({ id: 'green', ts: '1700000000.000200', phase: 'final', finishedAt: Date.now(), sessions: [{ ...FAILED_SESSION, status: 'PASSED' }] });
    await s.store.create(parent);
    const result = await s.service.rerun({ parent, kind: 'failed', requester: 'U2' });
    expect(result).toMatchObject({ kind: 'nothing_to_rerun', parent: { id: 'green' } });
    expect(s.checkly.triggers).toHaveLength(0);
  });
});

describe('cancel', () => {
  test('cancels the sessions not final yet and says which they were', async () => {
    const s = make();
    const run = aRun({
      id: 'r',
      ts: '1700000000.000300',
      sessions: [
        { ...FAILED_SESSION, sessionId: 'done' },
        { ...FAILED_SESSION, sessionId: 'going-1', status: 'PROGRESS' },
        { ...FAILED_SESSION, sessionId: 'going-2', status: 'PROGRESS' },
      ],
    });
    await s.store.create(run);
    const cancels = jest.spyOn(s.checkly, 'cancel');
    const reads = jest.spyOn(s.store, 'get');
    const result = await s.service.cancel(run);
    expect(result).toMatchObject({ kind: 'cancelled', count: 2, pending: ['going-1', 'going-2'], run: { id: 'r' } });
    expect(cancels.mock.calls.map((c) => c[0])).toEqual(['going-1', 'going-2']);
    expect(reads).not.toHaveBeenCalled();
  });

  test('a run that is over is not running: nothing is cancelled', async () => {
    const s = make();
    const run = aRun({ id: 'over', phase: 'final', sessions: [FAILED_SESSION] });
    const cancels = jest.spyOn(s.checkly, 'cancel');
    expect(await s.service.cancel(run)).toMatchObject({ kind: 'not_running', run: { id: 'over' } });
    expect(cancels).not.toHaveBeenCalled();
  });

  test('a cancel Checkly refuses says how many went through and which were asked', async () => {
    const s = make();
    const run = aRun({
      id: 'r',
      sessions: [
        { ...FAILED_SESSION, sessionId: 'a', status: 'PROGRESS' },
        { ...FAILED_SESSION, sessionId: 'b', status: 'PROGRESS' },
      ],
    });
    jest.spyOn(s.checkly, 'cancel').mockImplementation(async (sessionId: string) => {
      if (sessionId === 'b') throw Object.assign(new Error('Checkly answered 503'), { status: 503 });
    });
    const result = await s.service.cancel(run);
    expect(result).toMatchObject({ kind: 'failed', cancelled: 1, pending: ['a', 'b'] });
  });
});

describe('status', () => {
  test("lists the channel's runs in progress, oldest first, with the links Slack gave", async () => {
    const s = make();
    await s.store.create(aRun({ id: 'old', ts: '1700000000.000001', createdAt: Date.now() - 2000 }));
    await s.store.create(aRun({ id: 'new', ts: '1700000000.000002', createdAt: Date.now() - 1000 }));
    await s.store.create(aRun({ id: 'elsewhere', channel: 'C2', ts: '1700000000.000003' }));
    await s.store.create(aRun({ id: 'over', ts: '1700000000.000004', phase: 'final', finishedAt: Date.now() }));
    s.permalinks.broken.add('1700000000.000002');
    const status = await s.service.status('T1', 'C1');
    expect(status.runs.map((r) => r.id)).toEqual(['old', 'new']);
    expect(status.permalinks).toEqual({ old: 'https://example.slack.com/archives/C1/p1700000000000001' });
  });
});
