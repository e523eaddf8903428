/**
 * What a check result says about a failure, read out of Checkly's wire shape once, for the thread
 * reply and the Details modal. Checkly keeps errors, assertions and logs in a different place per
 * check type, mostly as free-form objects; everything here is outside text, to be escaped and scrubbed
 * where it is shown. Request headers and bodies are never read: they may hold credentials.
 */
import { LRUCache } from 'lru-cache';
import type { AssertionRow, LocationResult, ResultDetail } from '../runs/types';
import type { AssetManifest, AssetType, CheckResult } from './types';
import { ResultGone, RunFailure } from '../runs/types';
import type { EvidencePort, ResultReader } from '../runs/ports';
import { NotFoundError, asRunFailure, toRunError } from './errors';
import { scrubUrl } from '../shared/urls';
import { firstErrorLine } from './results';

const MAX_ERRORS = 5;
const MAX_ERROR_CHARS = 2_000;
const MAX_ASSERTIONS = 20;
const MAX_FIELD_CHARS = 300;
const LOG_LINES = 20;
const MAX_LOG_LINE_CHARS = 300;

export function resultDetail(result: CheckResult): ResultDetail {
  const api = result.apiCheckResult ?? undefined;
  const browserLike = result.browserCheckResult ?? result.multiStepCheckResult ?? undefined;
  const playwright = result.playwrightCheckResult ?? undefined;
  const detail: ResultDetail = {
    location: str(result.runLocation) ?? 'unknown location',
    outcome: result.isCancelled ? 'cancelled' : result.hasFailures || result.hasErrors ? 'failed' : result.isDegraded ? 'degraded' : 'passed',
    errors: [],
    assertions: [],
    logTail: [],
  };
  if (typeof result.attempts === 'number' && result.attempts > 0) detail.attempts = result.attempts;
  if (typeof result.responseTime === 'number' && result.responseTime >= 0) detail.responseTimeMs = result.responseTime;

  const errorSources: unknown[] = [];
  if (api) {
    errorSources.push(api.requestError);
    detail.assertions = (api.assertions ?? []).slice(0, MAX_ASSERTIONS).map(assertionRow);
    for (const failed of detail.assertions.filter((a) => !a.passed)) errorSources.push(`Assertion failed: ${describeAssertion(failed)}`);
    const method = str(api.request?.method);
    const url = str(api.request?.url);
    if (method !== undefined || url !== undefined) detail.request = { method: (method ?? 'GET').toUpperCase(), url: scrubUrl(url ?? '') };
    const status = api.response?.status;
    const statusText = str(api.response?.statusText);
    if (typeof status === 'number' || statusText !== undefined) {
      detail.response = {};
      if (typeof status === 'number') detail.response.status = status;
      if (statusText !== undefined) detail.response.statusText = statusText;
    }
    detail.logTail = logTail(api.jobLog);
  }
  if (browserLike) {
    errorSources.push(...(browserLike.errors ?? []));
    detail.logTail = logTail(browserLike.jobLog);
    detail.failingStep = failingStep(browserLike.errors ?? []);
  }
  if (playwright) {
    errorSources.push(...(playwright.errors ?? []));
    detail.logTail = logTail(playwright.jobLog);
    detail.failingStep = failingStep(playwright.errors ?? []);
  }
  errorSources.push(
    ...(result.agenticCheckResult?.errors ?? []),
    result.tracerouteCheckResult?.requestError,
    result.grpcCheckResult?.requestError,
    result.sslCheckResult?.requestError,
  );
  for (const source of errorSources) {
    const text = messageOf(source)?.trim();
    if (text && !detail.errors.includes(text)) detail.errors.push(text.slice(0, MAX_ERROR_CHARS));
    if (detail.errors.length >= MAX_ERRORS) break;
  }
  if (detail.failingStep === undefined) delete detail.failingStep;
  return detail;
}

/** "STATUS_CODE EQUALS 200 (got 500)" */
export function describeAssertion(a: AssertionRow): string {
  const what = [a.source, a.property, a.comparison, a.target].filter((p) => p !== '').join(' ');
  return a.actual === undefined ? what : `${what} (got ${a.actual})`;
}

function assertionRow(raw: unknown): AssertionRow {
  const a = isRecord(raw) ? raw : {};
  const row: AssertionRow = {
    source: field(a.source),
    property: field(a.property),
    comparison: field(a.comparison),
    target: field(a.target),
    passed: a.error === undefined || a.error === null || a.error === false || a.error === '',
  };
  if (a.actual !== undefined && a.actual !== null) row.actual = field(a.actual);
  return row;
}

function field(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS - 1)}…` : text;
}

/** The job log's last lines, whatever its shape: lines, `{msg}` entries, or an object of phases holding either. */
function logTail(jobLog: unknown): string[] {
  const lines: string[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 3) return;
    if (typeof node === 'string') lines.push(...node.split(/\r?\n/));
    else if (Array.isArray(node)) for (const item of node) visit(item, depth + 1);
    else if (isRecord(node)) {
      const msg = str(node.msg) ?? str(node.message) ?? str(node.text);
      if (msg !== undefined) lines.push(...msg.split(/\r?\n/));
      else for (const value of Object.values(node)) visit(value, depth + 1);
    }
  };
  visit(jobLog, 0);
  return lines
    .filter((l) => l.trim() !== '')
    .slice(-LOG_LINES)
    .map((l) => (l.length > MAX_LOG_LINE_CHARS ? `${l.slice(0, MAX_LOG_LINE_CHARS - 1)}…` : l));
}

/** The test or step named by the first error that names one, else the first source line of its stack. */
function failingStep(errors: readonly unknown[]): string | undefined {
  for (const e of errors) {
    if (!isRecord(e)) continue;
    const named = str(e.step) ?? str(e.title) ?? str(e.testTitle);
    if (named !== undefined && named.trim() !== '') return named.trim().slice(0, MAX_FIELD_CHARS);
  }
  for (const e of errors) {
    const stack = isRecord(e) ? str(e.stack) : undefined;
    const frame = stack?.split(/\r?\n/).find((l) => /^\s*at .*\.(spec|test)\.[jt]s:\d+/.test(l));
    if (frame) return frame.trim().slice(0, MAX_FIELD_CHARS);
  }
  return undefined;
}

function messageOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value)) {
    for (const key of ['message', 'error', 'stack']) {
      if (typeof value[key] === 'string') return value[key] as string;
    }
  }
  return undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a result is asked for, which sets its place in the request budget (ChecklyClient.getCheckResult). */
export type ResultOperation = 'result' | 'evidence';

/** What a final check result says, read once (ResultReadings). */
export interface ResultReading {
  /** The first line of its first error, when it has one (a row of the run message). */
  errorLine?: string;
  detail: ResultDetail;
}

/** Where the ports read results: one ResultReadings shared by the error lines, the evidence and the Details modal. */
export interface ResultReads {
  read(checkId: string, checkResultId: string, operation: ResultOperation, signal?: AbortSignal): Promise<ResultReading>;
}

/** Readings kept: many runs' failing sessions (a reading is a few KB at most). */
const READINGS_KEPT = 2_000;
/** Long enough for a run's thread reply and the Details clicks that follow it. */
const READINGS_KEPT_MS = 30 * 60_000;

/**
 * Final check results, each read once. A failing session's result is fetched for its error line the
 * moment the session is final; the thread reply's evidence and a click on Details then read the same
 * result. A final result never changes, so its reading is kept (bounded, for a while) and those cost
 * no request. Only the reading is kept, not Checkly's whole answer (logs, bodies); a failed fetch is
 * not kept, so the next reader asks again.
 */
export class ResultReadings implements ResultReads {
  private readonly kept: LRUCache<string, ResultReading>;

  constructor(
    private readonly source: {
      getCheckResult(checkId: string, checkResultId: string, operation: ResultOperation, signal?: AbortSignal): Promise<CheckResult>;
    },
    options: { max?: number; ttlMs?: number } = {},
  ) {
    this.kept = new LRUCache({ max: options.max ?? READINGS_KEPT, ttl: options.ttlMs ?? READINGS_KEPT_MS });
  }

  /** The reading of a final result: kept, or fetched (at `operation`'s place in the budget) and kept. */
  async read(checkId: string, checkResultId: string, operation: ResultOperation, signal?: AbortSignal): Promise<ResultReading> {
    const key = `${checkId}/${checkResultId}`;
    const known = this.kept.get(key);
    if (known) return known;
    const result = await this.source.getCheckResult(checkId, checkResultId, operation, signal);
    const errorLine = firstErrorLine(result);
    const reading: ResultReading = { detail: resultDetail(result), ...(errorLine !== undefined ? { errorLine } : {}) };
    this.kept.set(key, reading);
    return reading;
  }
}

/** The calls of ChecklyClient the evidence port is built on (tests fake them). */
export interface EvidenceSource {
  getCheckResult(checkId: string, checkResultId: string, operation: 'evidence', signal?: AbortSignal): Promise<CheckResult>;
  getAssets(checkId: string, checkResultId: string, types: readonly AssetType[]): Promise<AssetManifest>;
  downloadAsset(url: string, maxBytes: number): Promise<{ contentType: string | undefined; bytes: Buffer }>;
}

/** The evidence port (runs/ports.ts) over the wire: results read into details, screenshots found in manifests. */
export function evidencePort(source: EvidenceSource, results: ResultReads = new ResultReadings(source)): EvidencePort {
  return {
    async resultDetail(checkId, resultId, signal) {
      try {
        return (await results.read(checkId, resultId, 'evidence', signal)).detail;
      } catch (err) {
        throw err instanceof NotFoundError ? new ResultGone(resultId, err) : err;
      }
    },
    async screenshot(checkId, resultId, maxBytes) {
      const manifest = await source.getAssets(checkId, resultId, ['screenshot']);
      const entry = manifest.assets.find((a) => a.type === 'screenshot' && (a.contentType === 'image/png' || /\.png$/i.test(a.archive?.entryName ?? a.name)));
      if (!entry) return undefined;
      return (await source.downloadAsset(entry.url, maxBytes)).bytes;
    },
  };
}

/** The calls the Details modal's port is built on: a result at a person's priority, and a session's results. */
export interface ResultSource {
  getCheckResult(checkId: string, checkResultId: string, operation: 'result'): Promise<CheckResult>;
  sessionResults(sessionId: string): Promise<LocationResult[]>;
}

/** The Details modal's port (runs/ports.ts ResultReader) over the wire. */
export function resultReader(source: ResultSource, results: ResultReads = new ResultReadings(source)): ResultReader {
  return {
    sessionResults: (sessionId) => asRunFailure(source.sessionResults(sessionId)),
    async resultDetail(checkId, resultId) {
      try {
        return (await results.read(checkId, resultId, 'result')).detail;
      } catch (err) {
        throw err instanceof NotFoundError ? new ResultGone(resultId, err) : new RunFailure(toRunError(err));
      }
    },
  };
}
