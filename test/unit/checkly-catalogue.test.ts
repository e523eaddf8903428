import { ChecklyBudget } from '../../src/checkly/budget';
import { getCheck, listCheckAlerts, listCheckGroups, listCheckStatuses, listChecks, PAGE_SIZE } from '../../src/checkly/catalogue';
import { ChecklyClient } from '../../src/checkly/client';
import { BadRequestError, NotFoundError, ServerError, UnauthorizedError } from '../../src/checkly/errors';
import { type FakeCheckly, startFakeCheckly, uuid } from '../fakes/checkly';

const FAST_RETRY = { retries: 2, minTimeoutMs: 20, maxTimeoutMs: 50, maxRetryTimeMs: 5000 };

let fake: FakeCheckly;
let budget: ChecklyBudget | undefined;
const clients: ChecklyClient[] = [];

beforeEach(async () => {
  fake = await startFakeCheckly();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  budget?.stop();
  budget = undefined;
  await fake.close();
});

function client(apiKey = fake.apiKey, withBudget?: ChecklyBudget): ChecklyClient {
  const c = new ChecklyClient({
    baseUrl: fake.url,
    apiKey,
    accountId: fake.accountId,
    userAgent: 'checkly-slack/test',
    timeoutMs: 2000,
    retry: FAST_RETRY,
    ...(withBudget ? { beforeRequest: withBudget.beforeRequest, onResponse: withBudget.onResponse } : {}),
  });
  clients.push(c);
  return c;
}

function addChecks(n: number): void {
  for (let i = 0; i < n; i++) fake.addCheck({ name: `Check ${String(i).padStart(4, '0')}`, tags: [i % 2 ? 'odd' : 'even'] });
}

describe('listChecks', () => {
  test('pages through 2,000 checks 100 at a time, in order, and stops at the first short page', async () => {
    addChecks(2000);
    const checks = await listChecks(client());
    expect(checks).toHaveLength(2000);
    expect(checks.map((c) => c.id)).toEqual(fake.checks.map((c) => c.id));
    const pages = fake.requests.filter((r) => r.op === 'checks');
    expect(pages.every((r) => r.query.limit === String(PAGE_SIZE))).toBe(true);
    const numbers = pages.map((r) => Number(r.query.page)).sort((a, b) => a - b);
    // Pages 1..21 are needed (21 is the empty one that says "the end"); the window may ask a few past it.
    expect(numbers.slice(0, 21)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(numbers.length).toBeLessThanOrEqual(24);
  });

  test('an item left out for having no name does not end the paging: the end is a short page of the raw answer (issue 20)', async () => {
    // Page 1 is full, one of its items nameless (left out); page 2 is full too; page 3 is short.
    const pageOf = (n: number): unknown[] =>
      Array.from({ length: n === 3 ? 5 : PAGE_SIZE }, (_, i) => (n === 1 && i === 7 ? { id: 'nameless' } : { id: `p${n}-${i}`, name: `Check ${n}-${i}` }));
    const asked: number[] = [];
    const reader = {
      read: async (_op: string, _path: string, query?: Record<string, string | number>) => {
        asked.push(Number(query?.page));
        return pageOf(Number(query?.page));
      },
      checkedUuid: (_op: string, _t: string, _w: string, v: string) => v,
    } as unknown as Parameters<typeof listChecks>[0];
    const checks = await listChecks(reader);
    expect(checks).toHaveLength(2 * PAGE_SIZE - 1 + 5);
    expect(checks.some((c) => c.id === 'p3-4')).toBe(true);
    expect(asked.slice(0, 3)).toEqual([1, 2, 3]);
  });

  test('one short page is one request', async () => {
    addChecks(42);
    const checks = await listChecks(client());
    expect(checks).toHaveLength(42);
    expect(fake.requests.filter((r) => r.op === 'checks')).toHaveLength(1);
  });

  test('the fields the app shows come as the spec names them', async () => {
    fake.addGroup({ id: 7, name: 'Payments' });
    const check = fake.addCheck({ name: 'Login API', tags: ['prod', 'api'], checkType: 'API', groupId: 7, activated: false });
    const [listed] = await listChecks(client());
    expect(listed).toMatchObject({ id: check.id, name: 'Login API', tags: ['prod', 'api'], checkType: 'API', groupId: 7, activated: false });
  });

  test('a page that fails with 500 is retried; a 401 is not, and says what Checkly said', async () => {
    addChecks(150);
    fake.failNext('checks', 500);
    expect(await listChecks(client())).toHaveLength(150);
    await expect(listChecks(client('cu_wrong'))).rejects.toThrow(UnauthorizedError);
    await expect(listChecks(client('cu_wrong'))).rejects.toMatchObject({ checklyMessage: 'Bad Token' });
  });

  test('a body that is not a list is an error, not an empty catalogue', async () => {
    addChecks(3);
    // The fake answers an unknown route with an ApiError object: point the reader at it.
    const reader = { read: () => Promise.resolve({ message: 'nope' }), checkedUuid: (_o: unknown, _t: string, _w: string, v: string) => v };
    await expect(listChecks(reader)).rejects.toThrow(ServerError);
  });

  test('every page goes through the request budget', async () => {
    addChecks(250);
    budget = new ChecklyBudget({ maxRequestsPerMinute: 100 });
    await listChecks(client(fake.apiKey, budget));
    expect(budget.used()).toBe(fake.requests.length);
    expect(budget.used()).toBeGreaterThanOrEqual(3);
  });
});

describe('the fake follows the spec on paging', () => {
  test('limit defaults to 10 and may not exceed 100; page must be positive', async () => {
    addChecks(30);
    const get = (q: string) => fetch(`${fake.url}/v1/checks${q}`, { headers: { Authorization: `Bearer ${fake.apiKey}`, 'X-Checkly-Account': fake.accountId } });
    expect(((await (await get('')).json()) as unknown[]).length).toBe(10);
    expect((await get('?limit=101')).status).toBe(400);
    expect((await get('?page=0')).status).toBe(400);
    expect((await get('?bogus=1')).status).toBe(400);
    expect(((await (await get('?limit=25&page=2')).json()) as unknown[]).length).toBe(5);
  });
});

describe('the fake filters as the spec says', () => {
  const get = (q: string) =>
    fetch(`${fake.url}${q}`, { headers: { Authorization: `Bearer ${fake.apiKey}`, 'X-Checkly-Account': fake.accountId } }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Array<{ name: string }>,
    }));

  test('checks by tag (any of them), type, name and status; groups by tag and exact name', async () => {
    fake.addCheck({ name: 'Login API', tags: ['prod'], checkType: 'API' });
    fake.addCheck({ name: 'Home page', tags: ['web'], checkType: 'BROWSER', state: 'failing' });
    fake.addCheck({ name: 'Search', tags: ['staging'], checkType: 'API', state: 'degraded' });
    fake.addGroup({ name: 'Payments', tags: ['money'] });
    fake.addGroup({ name: 'Search' });
    const names = async (q: string) => (await get(q)).body.map((c) => c.name);
    expect(await names('/v1/checks?tag=prod&tag=web')).toEqual(['Login API', 'Home page']);
    expect(await names('/v1/checks?checkType=API')).toEqual(['Login API', 'Search']);
    expect(await names('/v1/checks?search=PAGE')).toEqual(['Home page']);
    expect(await names('/v1/checks?status=failing')).toEqual(['Home page']);
    expect(await names('/v1/checks?status=degraded')).toEqual(['Search']);
    expect((await get('/v1/checks?status=broken')).status).toBe(400);
    expect((await get('/v1/checks?checkType=FOO')).status).toBe(400);
    expect(await names('/v1/check-groups?tag=money')).toEqual(['Payments']);
    expect(await names('/v1/check-groups?name=Search')).toEqual(['Search']);
  });
});

describe('listCheckGroups and listCheckStatuses', () => {
  test('groups are paged to the end', async () => {
    for (let i = 0; i < 130; i++) fake.addGroup({ name: `Group ${i}` });
    const groups = await listCheckGroups(client());
    expect(groups).toHaveLength(130);
    expect(groups[129]).toMatchObject({ id: fake.groups[129]!.id, name: 'Group 129' });
  });

  test('statuses carry failing, degraded, when the last result came and the shortest and longest response times', async () => {
    const since = Date.now() - 65 * 60_000;
    const failing = fake.addCheck({ name: 'Checkout', state: 'failing', stateSince: since, durationMs: 5000 });
    const degraded = fake.addCheck({ name: 'Search', state: 'degraded', shortestRunMs: 100, longestRunMs: 900 });
    fake.addCheck({ name: 'Home' });
    const statuses = await listCheckStatuses(client());
    expect(statuses).toHaveLength(3);
    expect(statuses[0]).toMatchObject({
      checkId: failing.id,
      name: 'Checkout',
      hasFailures: true,
      isDegraded: false,
      hasErrors: false,
      // Updated with every result (every 10 minutes here), not since when the check fails.
      updated_at: new Date(since + 60 * 60_000).toISOString(),
      // Response times (the fake's defaults for a check whose sessions take 5 s): less than a session.
      shortestRun: 3000,
      longestRun: 4000,
      lastRunLocation: 'eu-west-1',
    });
    expect(statuses[0]!.created_at).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(statuses[1]).toMatchObject({ checkId: degraded.id, hasFailures: false, isDegraded: true, shortestRun: 100, longestRun: 900 });
    expect(fake.requests.filter((r) => r.op === 'statuses')).toHaveLength(1);
  });

  test('alerts: the last 6 hours, newest first, paged to the end; since when a check fails comes from them (issue 20)', async () => {
    const now = Date.now();
    const hour = 3_600_000;
    // Failing again since an hour ago, after a recovery; degraded since 2 hours; failing for 8 hours (its alert is older than the window).
    const flapping = fake.addCheck({
      name: 'Checkout',
      state: 'failing',
      stateSince: now - hour,
      alerts: [
        { alertType: 'ALERT_FAILURE', at: now - 3 * hour },
        { alertType: 'ALERT_RECOVERY', at: now - 2 * hour },
      ],
    });
    fake.addCheck({ name: 'Search', state: 'degraded', stateSince: now - 2 * hour });
    fake.addCheck({ name: 'Legacy', state: 'failing', stateSince: now - 8 * hour });
    for (let i = 0; i < 120; i++)
      fake.addCheck({ name: `Noisy ${i}`, state: 'passing', alerts: [{ alertType: 'ALERT_RECOVERY', at: now - 30 * 60_000 - i * 1000 }] });
    const alerts = await listCheckAlerts(client());
    expect(alerts).toHaveLength(124); // not the one of the check failing for 8 hours
    expect(fake.requests.filter((r) => r.op === 'alerts').map((r) => r.query)).toEqual([
      { limit: '100', page: '1' },
      { limit: '100', page: '2' },
      { limit: '100', page: '3' },
      { limit: '100', page: '4' },
      { limit: '100', page: '5' },
    ]);
    expect(alerts.filter((a) => a.checkId === flapping.id).map((a) => a.alertType)).toEqual(['ALERT_FAILURE', 'ALERT_RECOVERY', 'ALERT_FAILURE']);
    expect(alerts.every((a) => Date.parse(a.created_at!) >= now - 6 * hour - 1000)).toBe(true);
    // As Checkly validates: the window is 6 hours at most, the limit 100.
    const get = (q: string) =>
      fetch(`${fake.url}/v1/check-alerts?${q}`, { headers: { authorization: `Bearer ${fake.apiKey}`, 'x-checkly-account': fake.accountId } });
    expect((await get('from=1000&to=30000')).status).toBe(400);
    expect((await get('limit=101')).status).toBe(400);
    expect((await get('from=yesterday')).status).toBe(400);
    expect((await get(`from=${Math.floor((now - 8.5 * hour) / 1000)}`)).status).toBe(200);
  });
});

describe('getCheck', () => {
  test('a deleted check is a NotFoundError; a malformed id costs no request', async () => {
    const check = fake.addCheck({ name: 'Gone soon' });
    expect(await getCheck(client(), check.id)).toMatchObject({ id: check.id, name: 'Gone soon' });
    fake.removeCheck(check.id);
    await expect(getCheck(client(), check.id)).rejects.toThrow(NotFoundError);
    await expect(getCheck(client(), uuid())).rejects.toThrow(NotFoundError);
    const before = fake.requests.length;
    await expect(getCheck(client(), '../v1/accounts')).rejects.toThrow(BadRequestError);
    expect(fake.requests.length).toBe(before);
  });
});
