// The fake Checkly's catalogue: GET /v1/checks (paged), GET /v1/checks/{id}, GET /v1/check-groups
// (paged), GET /v1/check-statuses and GET /v1/check-alerts (paged, 6 hours at most), with bodies typed
// by the spec and its query validation.
import type { CatalogueCheck, CheckAlert, CheckGroup, CheckStatus } from '../../src/checkly/catalogue';
import type { components } from '../../src/checkly/openapi';
import type { FakeCheck } from './checkly-model';
import type { Validated } from './checkly-validate';

type GenericCheck = components['schemas']['ChecksV1GenericCheck'];

export interface FakeGroupInput {
  id?: number;
  name: string;
  tags?: string[];
  activated?: boolean;
}

export interface FakeGroup {
  id: number;
  name: string;
  tags: string[];
  activated: boolean;
}

export interface Paging {
  limit: number;
  page: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** How often every check runs on its schedule here (GET /v1/checks `frequency`, minutes). */
const FREQUENCY_MINUTES = 10;
/** The most GET /v1/check-alerts answers: `from` and `to` at most 6 hours apart. */
const ALERT_WINDOW_MS = 6 * 3_600_000;

/** A check as GET /v1/checks lists it (the spec's generic check shape). */
export function checkBody(check: Readonly<FakeCheck>): CatalogueCheck {
  const body: GenericCheck = {
    id: check.id,
    name: check.name,
    checkType: check.checkType,
    activated: check.activated,
    muted: false,
    doubleCheck: false,
    shouldFail: false,
    // The spec lists Checkly's public locations; the fake's are free strings chosen by tests.
    locations: [...check.locations] as GenericCheck['locations'],
    tags: [...check.tags],
    useGlobalAlertSettings: true,
    groupId: check.groupId ?? null,
    groupOrder: null,
    runtimeId: null,
    runParallel: false,
    description: null,
    intent: null,
    aiAutoRepairEnabled: null,
    created_at: iso(check.createdAt),
    updated_at: null,
    frequency: FREQUENCY_MINUTES,
    setupSnippetId: null,
    tearDownSnippetId: null,
    localSetupScript: null,
    localTearDownScript: null,
  };
  return body;
}

export function groupBody(group: FakeGroup): CheckGroup {
  return {
    id: group.id,
    name: group.name,
    activated: group.activated,
    muted: false,
    tags: [...group.tags],
    locations: [],
    concurrency: 3,
    apiCheckDefaults: { url: null },
    runParallel: null,
    created_at: iso(0),
    updated_at: null,
  };
}

/**
 * The check's current status. `created_at` is a date by the spec, `updated_at` a date-time: as
 * Checkly's ("continuously updated as new check results come in"), it is when the last result came,
 * `lastResultAt` (the last scheduled run, or a session run here), not since when the check is in
 * its state.
 */
export function statusBody(check: Readonly<FakeCheck>, lastResultAt: number): NonNullable<CheckStatus> {
  return {
    name: check.name,
    checkId: check.id,
    hasFailures: check.state === 'failing',
    hasErrors: false,
    isDegraded: check.state === 'degraded',
    longestRun: check.longestRunMs,
    shortestRun: check.shortestRunMs,
    lastRunLocation: check.locations[0] ?? null,
    lastCheckRunId: check.lastCheckRunId,
    sslDaysRemaining: null,
    created_at: iso(check.createdAt).slice(0, 10),
    updated_at: iso(lastResultAt),
  };
}

/** When the check's last scheduled run ended: it runs every FREQUENCY_MINUTES since it entered its state. */
export function lastScheduledRun(check: Readonly<FakeCheck>, now: number): number {
  const every = FREQUENCY_MINUTES * 60_000;
  return check.stateSince + Math.floor(Math.max(0, now - check.stateSince) / every) * every;
}

/** Every alert of a check: its earlier ones, and the one that took it to its state when that is not passing. */
function alertsOf(check: Readonly<FakeCheck>): Array<{ alertType: FakeCheck['alerts'][number]['alertType']; at: number }> {
  const entered = check.state === 'failing' ? 'ALERT_FAILURE' : check.state === 'degraded' ? 'ALERT_DEGRADED' : undefined;
  return entered ? [...check.alerts, { alertType: entered, at: check.stateSince }] : [...check.alerts];
}

/** UNIX seconds, as the spec's `from` and `to` are described (a number, possibly with a fraction). */
function seconds(query: URLSearchParams, name: string): Validated<number | undefined> {
  const raw = query.get(name);
  if (raw === null) return { ok: true, value: undefined };
  if (!/^\d+(\.\d+)?$/.test(raw)) return { ok: false, message: `"${name}" must be a valid date` };
  return { ok: true, value: Number(raw) * 1000 };
}

/**
 * GET /v1/check-alerts: the alerts created in [from, to), newest first, paged. With neither, the 6
 * hours ending now; with one, the 6 hours from or to it; both at most 6 hours apart.
 */
export function listAlertsBody(checks: readonly FakeCheck[], query: URLSearchParams, now: number): Validated<CheckAlert[]> {
  const paging = validatePaging(query, ALERT_QUERY);
  if (!paging.ok) return paging;
  const from = seconds(query, 'from');
  if (!from.ok) return from;
  const to = seconds(query, 'to');
  if (!to.ok) return to;
  const end = to.value ?? (from.value !== undefined ? from.value + ALERT_WINDOW_MS : now);
  const start = from.value ?? end - ALERT_WINDOW_MS;
  if (end - start > ALERT_WINDOW_MS) return { ok: false, message: '"from" and "to" must be at most 6 hours apart' };
  const alerts = checks
    .flatMap((check) => alertsOf(check).map((alert, i) => ({ check, alert, id: `${check.id}-${i}` })))
    .filter(({ alert }) => alert.at >= start && alert.at < end && alert.at <= now)
    .sort((a, b) => b.alert.at - a.alert.at);
  return {
    ok: true,
    value: pageOf(alerts, paging.value).map(({ check, alert, id }) => ({
      id,
      name: check.name,
      checkId: check.id,
      alertType: alert.alertType,
      checkType: check.checkType,
      runLocation: check.locations[0] ?? 'eu-west-1',
      responseTime: check.shortestRunMs ?? 0,
      error: FAILING_ALERTS.has(alert.alertType) ? (check.errorMessage ?? 'failed') : null,
      statusCode: null,
      created_at: iso(alert.at),
      startedAt: iso(alert.at),
    })),
  };
}

const CHECK_TYPES = ['AGENTIC', 'API', 'BROWSER', 'HEARTBEAT', 'ICMP', 'MULTI_STEP', 'TCP', 'PLAYWRIGHT', 'TRACEROUTE', 'URL', 'DNS', 'SSL', 'GRPC'];
const CHECK_QUERY = ['limit', 'page', 'apiCheckUrlFilterPattern', 'tag', 'checkType', 'search', 'status', 'applyGroupSettings'];
const GROUP_QUERY = ['limit', 'page', 'tag', 'name'];
const ALERT_QUERY = ['limit', 'page', 'from', 'to'];
const FAILING_ALERTS: ReadonlySet<string> = new Set(['ALERT_FAILURE', 'ALERT_FAILURE_REMAIN', 'ALERT_DEGRADED_FAILURE']);

/** limit: integer 1..100, default 10; page: a positive number, default 1 (as the spec says). */
export function validatePaging(query: URLSearchParams, allowed: readonly string[]): Validated<Paging> {
  const unknown = [...query.keys()].find((k) => !allowed.includes(k));
  if (unknown !== undefined) return { ok: false, message: `"${unknown}" is not allowed` };
  const rawLimit = query.get('limit');
  const rawPage = query.get('page');
  let limit = 10;
  let page = 1;
  if (rawLimit !== null) {
    if (!/^-?\d+$/.test(rawLimit)) return { ok: false, message: '"limit" must be a number' };
    limit = Number(rawLimit);
    if (limit < 1) return { ok: false, message: '"limit" must be greater than or equal to 1' };
    if (limit > 100) return { ok: false, message: '"limit" must be less than or equal to 100' };
  }
  if (rawPage !== null) {
    page = Number(rawPage);
    if (rawPage.trim() === '' || !Number.isFinite(page)) return { ok: false, message: '"page" must be a number' };
    if (page <= 0) return { ok: false, message: '"page" must be a positive number' };
  }
  return { ok: true, value: { limit, page } };
}

function pageOf<T>(items: readonly T[], { limit, page }: Paging): T[] {
  const start = (Math.floor(page) - 1) * limit;
  return items.slice(start, start + limit);
}

export function listChecksBody(checks: readonly FakeCheck[], query: URLSearchParams): Validated<CatalogueCheck[]> {
  const paging = validatePaging(query, CHECK_QUERY);
  if (!paging.ok) return paging;
  const checkType = query.get('checkType');
  if (checkType !== null && !CHECK_TYPES.includes(checkType)) return { ok: false, message: `"checkType" must be one of [${CHECK_TYPES.join(', ')}]` };
  const status = query.get('status');
  if (status !== null && !['passing', 'failing', 'degraded'].includes(status)) {
    return { ok: false, message: '"status" must be one of [passing, failing, degraded]' };
  }
  const tags = query.getAll('tag');
  const search = query.get('search')?.toLowerCase();
  const matching = checks.filter(
    (c) =>
      (tags.length === 0 || tags.some((t) => c.tags.includes(t))) &&
      (checkType === null || c.checkType === checkType) &&
      (search === undefined || c.name.toLowerCase().includes(search)) &&
      (status === null || c.state === status),
  );
  return { ok: true, value: pageOf(matching, paging.value).map(checkBody) };
}

export function listGroupsBody(groups: readonly FakeGroup[], query: URLSearchParams): Validated<CheckGroup[]> {
  const paging = validatePaging(query, GROUP_QUERY);
  if (!paging.ok) return paging;
  const tags = query.getAll('tag');
  const names = query.getAll('name');
  const matching = groups.filter((g) => (tags.length === 0 || tags.some((t) => g.tags.includes(t))) && (names.length === 0 || names.includes(g.name)));
  return { ok: true, value: pageOf(matching, paging.value).map(groupBody) };
}
