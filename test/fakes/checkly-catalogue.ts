// The fake Checkly's catalogue: GET /v1/checks (paged), GET /v1/checks/{id}, GET /v1/check-groups
// (paged) and GET /v1/check-statuses, with bodies typed by the spec and its query validation.
import type { CatalogueCheck, CheckGroup, CheckStatus } from '../../src/checkly/catalogue';
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
    frequency: 10,
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

/** The check's current status. `created_at` is a date by the spec, `updated_at` a date-time. */
export function statusBody(check: Readonly<FakeCheck>): NonNullable<CheckStatus> {
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
    updated_at: iso(check.stateSince),
  };
}

const CHECK_TYPES = ['AGENTIC', 'API', 'BROWSER', 'HEARTBEAT', 'ICMP', 'MULTI_STEP', 'TCP', 'PLAYWRIGHT', 'TRACEROUTE', 'URL', 'DNS', 'SSL', 'GRPC'];
const CHECK_QUERY = ['limit', 'page', 'apiCheckUrlFilterPattern', 'tag', 'checkType', 'search', 'status', 'applyGroupSettings'];
const GROUP_QUERY = ['limit', 'page', 'tag', 'name'];

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
