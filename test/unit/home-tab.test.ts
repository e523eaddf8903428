/**
 * The Home tab's way back (src/home/tab.ts): a person's runs noted as their messages go up, their tab
 * refreshed when one ends, at most once every REFRESH_MS per person, and only once they opened it.
 */
import type { View } from '@slack/types';
import { buildCatalogue } from '../../src/catalogue/model';
import { HomeBook } from '../../src/home/book';
import { HomeTab, REFRESH_MS, personOf } from '../../src/home/tab';
import { MemoryRecords } from '../../src/runs/records';
import type { Run } from '../../src/runs/types';
import { Secrets } from '../../src/shared/secrets';
import { makeRun } from './blocks-fixtures';

describe('HomeTab', () => {
  let clock: number;
  let published: Array<{ userId: string; view: View; at: number }>;
  let runs: Map<string, Run>;
  let book: HomeBook;
  let tab: HomeTab;
  const alice = { teamId: 'T1', userId: 'U0ALICE' };

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    clock = Date.now();
    published = [];
    runs = new Map();
    const now = () => Date.now();
    book = new HomeBook(new MemoryRecords(now), now, () => `pin-${Math.random()}`);
    const catalogue = buildCatalogue([], [], clock);
    tab = new HomeTab({
      book,
      runs: { read: async (id) => runs.get(id) },
      catalogue: { get: async () => ({ value: catalogue, at: clock, stale: false }), conditions: async () => ({ value: new Map(), at: clock, stale: false }) },
      views: { publish: async (userId, view) => void published.push({ userId, view, at: Date.now() }) },
      commandName: '/checkly',
      workspaceUrl: 'https://t.slack.com',
      secrets: Secrets.none,
      now,
      logger: { warn: () => undefined },
    });
  });

  afterEach(() => {
    tab.stop();
    jest.useRealTimers();
  });

  const run = (id: string, over: Partial<Run> = {}) =>
    makeRun({ id, teamId: 'T1', requester: 'U0ALICE', origin: { kind: 'command', userId: 'U0ALICE' }, ...over });

  test('a burst of runs ending is one refresh now and one after REFRESH_MS, never two within it', async () => {
    await book.opened(alice);
    for (let i = 0; i < 5; i++) {
      const r = run(`r${i}`, { phase: 'final' });
      runs.set(r.id, r);
      tab.observer.posted?.(r);
      await jest.advanceTimersByTimeAsync(10);
    }
    for (let i = 0; i < 5; i++) {
      tab.observer.over?.(runs.get(`r${i}`)!);
      await jest.advanceTimersByTimeAsync(100);
    }
    expect(published).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(REFRESH_MS);
    expect(published).toHaveLength(2);
    expect(published[1]!.at - published[0]!.at).toBeGreaterThanOrEqual(REFRESH_MS);
    // The last publish lists every run, newest first.
    const text = JSON.stringify(published[1]!.view);
    expect(text.indexOf('home_run_again:4')).toBeGreaterThan(0);
    expect((await book.read(alice)).runs).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);
    await jest.advanceTimersByTimeAsync(3 * REFRESH_MS);
    expect(published).toHaveLength(2);
  });

  test('nobody who never opened the tab is published to; the API’s runs belong to nobody', async () => {
    const r = run('r1', { phase: 'final' });
    runs.set('r1', r);
    tab.observer.posted?.(r);
    tab.observer.over?.(r);
    await jest.advanceTimersByTimeAsync(REFRESH_MS * 2);
    expect(published).toEqual([]);
    expect(personOf(run('r2', { origin: { kind: 'api', token: 'deploy' }, requester: 'deploy' }))).toBeUndefined();
    expect(personOf(run('r3', { origin: { kind: 'workflow', executionId: 'Fx1', userId: 'U0CAROL' } }))).toEqual({ teamId: 'T1', userId: 'U0CAROL' });
    expect(personOf(run('r4', { origin: { kind: 'workflow', executionId: 'Fx2' }, requester: 'Workflow' }))).toBeUndefined();
  });

  test('keeps the last 10 runs and at most 10 pins', async () => {
    for (let i = 0; i < 12; i++) await book.noteRun(alice, `r${i}`);
    expect((await book.read(alice)).runs).toEqual(['r11', 'r10', 'r9', 'r8', 'r7', 'r6', 'r5', 'r4', 'r3', 'r2']);
    const outcomes = [];
    for (let i = 0; i < 11; i++) outcomes.push(await book.pin(alice, `t${i}`, 'C1'));
    expect(outcomes.filter((o) => o === 'pinned')).toHaveLength(10);
    expect(outcomes.at(-1)).toBe('full');
    expect(await book.pin(alice, 't0', 'C1')).toBe('already');
  });
});
