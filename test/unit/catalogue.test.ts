import { buildCatalogue, conditions, failingChecks, searchChecks, type CheckEntry } from '../../src/catalogue/model';
import { CatalogueCache } from '../../src/catalogue/cache';
import { MAX_CHOSEN_CHECKS, resolveChoice } from '../../src/catalogue/choice';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const entry = (n: number, name: string, tags: string[], over: Partial<CheckEntry> = {}): CheckEntry => ({
  id: id(n),
  name,
  checkType: 'API',
  tags,
  activated: true,
  ...over,
});

describe('searchChecks', () => {
  const checks = [
    entry(1, 'Login API', ['prod', 'api']),
    entry(2, 'Legacy login', ['api']),
    entry(3, 'login', []),
    entry(4, 'Checkout', ['prod', 'login-flow']),
    entry(5, 'Search', ['web']),
  ];

  it('ranks the whole name, then its start, then words in the name, then tags', () => {
    expect(searchChecks(checks, 'LOGIN').map((c) => c.name)).toEqual(['login', 'Login API', 'Legacy login', 'Checkout']);
  });

  it('needs every word, in the name or the tags', () => {
    expect(searchChecks(checks, 'login prod').map((c) => c.name)).toEqual(['Login API', 'Checkout']);
    expect(searchChecks(checks, 'login web')).toEqual([]);
  });
});

describe('resolveChoice', () => {
  const catalogue = buildCatalogue(
    [
      { id: id(1), name: 'A', tags: ['prod', 'api'], activated: true, groupId: 1, checkType: 'API' },
      { id: id(2), name: 'B', tags: ['prod'], activated: true, groupId: 1, checkType: 'API' },
      { id: id(3), name: 'C', tags: ['prod', 'api'], activated: false, checkType: 'API' },
    ],
    [],
    0,
  );

  it('tags become one AND group; checks their ids; groups the ids of their checks in scope', () => {
    expect(resolveChoice(catalogue, { tags: ['prod', 'api'], groupIds: [], checkIds: [] })).toMatchObject({
      kind: 'ok',
      deactivated: 1,
      target: { tags: [['prod', 'api']], checkIds: [], all: false },
    });
    const byGroup = resolveChoice(catalogue, { tags: ['api'], groupIds: [1], checkIds: [] });
    expect(byGroup).toMatchObject({ kind: 'ok', target: { tags: [['api']], checkIds: [id(1)] } });
    expect(resolveChoice(catalogue, { tags: [], groupIds: [], checkIds: [id(2)] })).toMatchObject({ target: { tags: [], checkIds: [id(2)] } });
    expect(resolveChoice(catalogue, { tags: [], groupIds: [], checkIds: [] })).toEqual({ kind: 'empty' });
  });

  it('never turns a group with no checks into an empty target that would run everything', () => {
    const r = resolveChoice(catalogue, { tags: [], groupIds: [99], checkIds: [] });
    expect(r.kind === 'ok' && r.matching).toEqual([]);
  });

  it('refuses more than MAX_CHOSEN_CHECKS ids', () => {
    const big = buildCatalogue(
      Array.from({ length: 150 }, (_, i) => ({ id: id(i), name: `c${i}`, tags: [], activated: true, groupId: 2, checkType: 'API' })),
      [],
      0,
    );
    expect(resolveChoice(big, { tags: [], groupIds: [2], checkIds: [] })).toEqual({ kind: 'too_many', count: 150 });
    expect(MAX_CHOSEN_CHECKS).toBe(100);
  });
});

describe('conditions: since when a check is in its state comes from its alerts (issue 20)', () => {
  const at = (iso: string) => Date.parse(iso);
  const status = (checkId: string, over: Record<string, unknown>) => ({
    name: checkId,
    checkId,
    hasFailures: false,
    hasErrors: false,
    isDegraded: false,
    updated_at: '2026-11-27T09:59:00Z',
    ...over,
  });
  const alert = (checkId: string, alertType: string, time: string) => ({ name: checkId, checkId, alertType, created_at: time, startedAt: time }) as never;

  test("the latest alert that took the check to its state; never the status's updated_at", () => {
    const byId = conditions(
      [status('flapping', { hasFailures: true }), status('slow', { isDegraded: true }), status('broken', { hasFailures: true }), status('fine', {})],
      [
        alert('flapping', 'ALERT_FAILURE', '2026-11-27T06:00:00Z'),
        alert('flapping', 'ALERT_RECOVERY', '2026-11-27T07:00:00Z'),
        alert('flapping', 'ALERT_FAILURE', '2026-11-27T08:00:00Z'),
        alert('flapping', 'ALERT_FAILURE_REMAIN', '2026-11-27T09:00:00Z'), // a reminder starts nothing
        alert('slow', 'ALERT_DEGRADED', '2026-11-27T08:30:00Z'),
        alert('fine', 'ALERT_FAILURE', '2026-11-27T05:00:00Z'),
        alert('fine', 'ALERT_RECOVERY', '2026-11-27T05:30:00Z'),
      ],
    );
    expect(byId.get('flapping')).toEqual({ state: 'failing', since: at('2026-11-27T08:00:00Z'), hasErrors: false });
    expect(byId.get('slow')?.since).toBe(at('2026-11-27T08:30:00Z'));
    // No alert in the window (failing for longer, or alerts off): unknown, not the last result.
    expect(byId.get('broken')).toEqual({ state: 'failing', hasErrors: false });
    expect(byId.get('fine')).toEqual({ state: 'passing', hasErrors: false });
  });

  test('an alert that took the check elsewhere than where its status says (not caught up yet) gives no since; degraded to failing counts', () => {
    const byId = conditions(
      [status('a', { hasFailures: true }), status('b', { hasFailures: true })],
      [
        alert('a', 'ALERT_DEGRADED', '2026-11-27T08:00:00Z'),
        alert('b', 'ALERT_DEGRADED', '2026-11-27T07:00:00Z'),
        alert('b', 'ALERT_DEGRADED_FAILURE', '2026-11-27T08:00:00Z'),
      ],
    );
    expect(byId.get('a')?.since).toBeUndefined();
    expect(byId.get('b')?.since).toBe(at('2026-11-27T08:00:00Z'));
  });
});

describe('failingChecks', () => {
  it('failing before degraded, longest-standing first; passing and unknown left out', () => {
    const catalogue = buildCatalogue(
      [1, 2, 3, 4, 5].map((n) => ({ id: id(n), name: `c${n}`, tags: [], activated: true, checkType: 'API' })),
      [],
      0,
    );
    // Since when: from the alerts (the statuses' updated_at is the last result, the same for all here).
    const last = '2026-11-27T09:59:00Z';
    const states = conditions(
      [
        { name: 'c1', checkId: id(1), isDegraded: true, updated_at: last },
        { name: 'c2', checkId: id(2), hasFailures: true, updated_at: last },
        { name: 'c3', checkId: id(3), hasErrors: true, updated_at: last },
        { name: 'c4', checkId: id(4), hasFailures: false },
      ],
      [
        { name: 'c1', checkId: id(1), alertType: 'ALERT_DEGRADED', created_at: '2026-11-27T06:00:00Z' },
        { name: 'c2', checkId: id(2), alertType: 'ALERT_FAILURE', created_at: '2026-11-27T07:00:00Z' },
        { name: 'c3', checkId: id(3), alertType: 'ALERT_FAILURE', created_at: '2026-11-27T05:00:00Z' },
      ],
    );
    expect(failingChecks(catalogue, states).map((f) => [f.check.name, f.condition.state])).toEqual([
      ['c3', 'failing'],
      ['c2', 'failing'],
      ['c1', 'degraded'],
    ]);
  });
});

describe('CatalogueCache', () => {
  function source() {
    const calls = { checks: 0, groups: 0, statuses: 0 };
    let fail = false;
    let release: () => void = () => undefined;
    let gate: Promise<void> = Promise.resolve();
    return {
      calls,
      setFail: (f: boolean) => (fail = f),
      hold: () => (gate = new Promise((r) => (release = r))),
      release: () => release(),
      listChecks: async () => {
        calls.checks += 1;
        await gate;
        if (fail) throw new Error('503');
        return [{ id: id(calls.checks), name: `v${calls.checks}`, tags: [], activated: true, checkType: 'API' }];
      },
      listCheckGroups: async () => {
        calls.groups += 1;
        return [];
      },
      listCheckStatuses: async () => {
        calls.statuses += 1;
        return [];
      },
      listCheckAlerts: async () => [],
    };
  }

  it('one fetch for many at once; past the TTL it serves the old one while one refresh runs', async () => {
    let now = 0;
    const src = source();
    const cache = new CatalogueCache({ source: src, ttlMs: 1000, now: () => now });
    src.hold();
    const many = Array.from({ length: 50 }, () => cache.get());
    src.release();
    const served = await Promise.all(many);
    expect(src.calls.checks).toBe(1);
    expect(served.every((s) => s.value.checks[0]!.name === 'v1')).toBe(true);
    now = 999;
    expect((await cache.get()).value.checks[0]!.name).toBe('v1');
    expect(src.calls.checks).toBe(1);
    now = 1000;
    expect((await cache.get()).value.checks[0]!.name).toBe('v1');
    await new Promise((r) => setImmediate(r));
    expect(src.calls.checks).toBe(2);
    expect((await cache.get()).value.checks[0]!.name).toBe('v2');
  });

  it('cold and failing: throws; warm and failing: serves the last one, marked stale', async () => {
    let now = 0;
    const src = source();
    const errors: string[] = [];
    const cache = new CatalogueCache({ source: src, ttlMs: 1000, now: () => now, onBackgroundError: (what) => errors.push(what) });
    src.setFail(true);
    await expect(cache.get()).rejects.toThrow('503');
    src.setFail(false);
    expect((await cache.get()).stale).toBe(false);
    src.setFail(true);
    now = 5000;
    await cache.get();
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual(['catalogue']);
    const served = await cache.get();
    expect(served).toMatchObject({ stale: true, at: 0 });
    expect(served.value.checks).toHaveLength(1);
  });
});
