/**
 * The account's catalogue: its checks (GET /v1/checks), check groups (GET /v1/check-groups), the
 * checks' current statuses (GET /v1/check-statuses) and the alerts of the last hours (GET
 * /v1/check-alerts). Read through ChecklyClient, so every page goes through the same headers, retries
 * and request budget as a trigger.
 */
import type { ChecklyClient } from './client';
import { RunFailure } from '../runs/types';
import { NotFoundError, ServerError, toRunError } from './errors';
import type { components } from './openapi';
import type { ChecklyOperation } from './operation';

type Schemas = components['schemas'];

/** A check as GET /v1/checks lists it (one of the spec's check kinds). */
export type CatalogueCheck = Schemas['ChecksV1Check'];
export type CheckGroup = Schemas['CheckGroupRead'];
/** A check's current state: failing, degraded, its shortest and longest runs. */
export type CheckStatus = Schemas['CheckStatus'];
export type CatalogueCheckType = Schemas['ChecksV1CheckType'];
/** An alert Checkly sent: a check going failing or degraded, staying so, or recovering. */
export type CheckAlert = Schemas['CheckAlert'];

/** The most the spec lets one page hold. */
export const PAGE_SIZE = 100;
/**
 * Pages asked for at once after the first full one. The end is only known from a short page, so a
 * window of 4 wastes at most 3 requests and makes 20 pages cost about 6 round trips instead of 21.
 */
const PAGE_WINDOW = 4;
/** 1,000 pages is 100,000 checks: past that, something is answering the same page forever. */
const MAX_PAGES = 1000;

export type CatalogueReader = Pick<ChecklyClient, 'read' | 'checkedUuid'>;

/** Every check of the account, paged to the end. */
export function listChecks(client: CatalogueReader): Promise<CatalogueCheck[]> {
  return readAllPages<CatalogueCheck>(client, 'checks', '/v1/checks');
}

/** Every check group of the account, paged to the end. */
export function listCheckGroups(client: CatalogueReader): Promise<CheckGroup[]> {
  return readAllPages<CheckGroup>(client, 'groups', '/v1/check-groups');
}

/** The current status of every check (one request: the endpoint is not paged). */
export async function listCheckStatuses(client: CatalogueReader): Promise<CheckStatus[]> {
  const path = '/v1/check-statuses';
  return listOf<CheckStatus>(await client.read('statuses', path), 'statuses', path);
}

/**
 * The alerts of the last 6 hours, paged to the end: Checkly answers no more than that window, and
 * with neither `from` nor `to` it is the one ending now.
 */
export function listCheckAlerts(client: CatalogueReader): Promise<CheckAlert[]> {
  return readAllPages<CheckAlert>(client, 'alerts', '/v1/check-alerts');
}

/**
 * The ids among `checkIds` that Checkly no longer has (catalogue/ports.ts CheckLookup); a RunFailure
 * when Checkly could not say for one of the others.
 */
export async function missingChecks(client: CatalogueReader, checkIds: readonly string[]): Promise<string[]> {
  const looked = await Promise.allSettled(checkIds.map((id) => getCheck(client, id)));
  const gone = checkIds.filter((_, i) => {
    const r = looked[i];
    return r?.status === 'rejected' && r.reason instanceof NotFoundError;
  });
  if (gone.length > 0) return gone;
  const failed = looked.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw new RunFailure(toRunError(failed.reason));
  return [];
}

/** One check; a NotFoundError when it was deleted. */
export async function getCheck(client: CatalogueReader, id: string): Promise<CatalogueCheck> {
  const path = `/v1/checks/${client.checkedUuid('check', '/v1/checks/{id}', 'check ID', id)}`;
  const data = await client.read('check', path);
  if (!isRecord(data) || typeof data.name !== 'string') throw unexpected('check', path);
  return data as CatalogueCheck;
}

async function readAllPages<T>(client: CatalogueReader, op: ChecklyOperation, path: string): Promise<T[]> {
  // The end is a short page of Checkly's answer as it came, before any item is left out of it.
  const page = async (n: number): Promise<unknown[]> => rawList(await client.read(op, path, { limit: PAGE_SIZE, page: n }), op, path);
  const first = await page(1);
  const all = named<T>(first);
  if (first.length < PAGE_SIZE) return all;
  for (let next = 2; next <= MAX_PAGES; next += PAGE_WINDOW) {
    const numbers = Array.from({ length: Math.min(PAGE_WINDOW, MAX_PAGES - next + 1) }, (_, i) => next + i);
    const pages = await Promise.all(numbers.map(page));
    for (const items of pages) {
      all.push(...named<T>(items));
      if (items.length < PAGE_SIZE) return all;
    }
  }
  throw new ServerError({ operation: op, path, checklyMessage: `More than ${MAX_PAGES} pages of ${PAGE_SIZE}: stopped reading.` });
}

function listOf<T>(data: unknown, op: ChecklyOperation, path: string): T[] {
  return named<T>(rawList(data, op, path));
}

function rawList(data: unknown, op: ChecklyOperation, path: string): unknown[] {
  if (!Array.isArray(data)) throw unexpected(op, path);
  return data;
}

/** The spec's lists hold objects with a name; anything else is not something we can show. */
function named<T>(items: readonly unknown[]): T[] {
  return items.filter((item): item is T => isRecord(item) && typeof item.name === 'string');
}

function unexpected(operation: ChecklyOperation, path: string): ServerError {
  return new ServerError({ operation, path, checklyMessage: 'Unexpected response body from Checkly.' });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
