// The fake Checkly's world: checks, sessions and the bodies the spec says describe them.
// Pure functions of (state, now): a session's status is computed from the clock, so thousands of
// sessions cost no timers.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { deflateSync } from 'node:zlib';
import type { CheckResult, CheckSession, CheckType, CompletedSession, SessionResult, SessionStatus, TriggeredSession } from '../../src/checkly/types';

export type FakeOutcome = 'PASSED' | 'FAILED' | 'DEGRADED' | 'TIMED_OUT';
export type FinalStatus = CompletedSession['status'];

export interface FakeCheckInput {
  id?: string;
  name: string;
  tags?: string[];
  checkType?: CheckType;
  locations?: string[];
  durationMs?: number;
  outcome?: FakeOutcome;
  /** Locations whose result fails (or degrades); default: all of them when the outcome is not PASSED. */
  failingLocations?: string[];
  /**
   * The error a failing result reports (may span lines). API/URL checks: `apiCheckResult.requestError`;
   * without it, a failed status-code assertion. Browser-like checks: their `errors` list (a degraded
   * one's too: a soft assertion's). A degraded protocol check reports none, as Checkly: it was slow.
   */
  errorMessage?: string;
  activated?: boolean;
  /** Report browser-like errors as plain strings instead of `{message}` objects. */
  errorsAsStrings?: boolean;
  /**
   * ATTEMPT results before the FINAL one, per failing location (Checkly retries failed runs); for a
   * check whose outcome is PASSED, per location: it failed that often and passed on a retry.
   */
  failedAttempts?: number;
  /** Browser and Playwright checks: bytes of the failure screenshot in the asset manifest (default about 1 KB). */
  screenshotBytes?: number;
  /** The check group it belongs to (GET /v1/checks `groupId`). */
  groupId?: number;
  /** API checks: the URL they call, as a result's request shows it (default `https://api.example.com/<name>`). */
  url?: string;
  /** API checks: the request's method (default GET). */
  method?: string;
  /** API checks: the HTTP status a failing result's response has (default 500); its status assertion fails on it. */
  failingStatus?: number;
  /** Browser and Playwright checks: the failure screenshot's bytes (default: a 2×2 PNG of about screenshotBytes). */
  screenshot?: Buffer;
  /**
   * Its current state in GET /v1/check-statuses (default passing), and since when (epoch ms; default
   * now): GET /v1/check-alerts has the alert that took it there (ALERT_FAILURE, ALERT_DEGRADED).
   */
  state?: CheckState;
  stateSince?: number;
  /** Earlier alerts of the check (GET /v1/check-alerts), before the one of its current state. */
  alerts?: FakeAlert[];
  /**
   * GET /v1/check-statuses `shortestRun` / `longestRun`: response times in ms, as the spec says, less
   * than a session takes; defaults: the account's response time shares of durationMs (ResponseShare).
   */
  shortestRunMs?: number | null;
  longestRunMs?: number | null;
}

export type CheckState = 'passing' | 'failing' | 'degraded';

/** An alert Checkly sent about a check (spec: CheckAlert `alertType`), and when (epoch ms). */
export interface FakeAlert {
  alertType:
    | 'ALERT_FAILURE'
    | 'ALERT_FAILURE_REMAIN'
    | 'ALERT_FAILURE_DEGRADED'
    | 'ALERT_RECOVERY'
    | 'ALERT_DEGRADED'
    | 'ALERT_DEGRADED_REMAIN'
    | 'ALERT_DEGRADED_FAILURE'
    | 'ALERT_DEGRADED_RECOVERY';
  at: number;
}

/** A check of the fake account. Mutable: a change applies to sessions triggered afterwards. */
export interface FakeCheck {
  id: string;
  name: string;
  tags: string[];
  checkType: CheckType;
  locations: string[];
  durationMs: number;
  outcome: FakeOutcome;
  failingLocations?: string[];
  errorMessage?: string;
  activated: boolean;
  errorsAsStrings: boolean;
  failedAttempts: number;
  screenshotBytes?: number;
  groupId?: number;
  url?: string;
  method?: string;
  failingStatus?: number;
  screenshot?: Buffer;
  createdAt: number;
  state: CheckState;
  stateSince: number;
  alerts: FakeAlert[];
  shortestRunMs: number | null;
  longestRunMs: number | null;
  lastCheckRunId: string | null;
}

export function uuid(): string {
  return randomUUID();
}

/**
 * What a check's results answer in, as shares of a session: its status's shortest and longest response
 * times are `min` × and `max` × its durationMs, and a session's results answer in `max` × the session.
 */
export interface ResponseShare {
  min: number;
  max: number;
}

/** A calm account's response times: close to the session (the rest is the runner's own work). */
export const CALM_RESPONSE_SHARE: ResponseShare = { min: 0.6, max: 0.8 };

export function newCheck(input: FakeCheckInput, now: number = Date.now(), share: ResponseShare = CALM_RESPONSE_SHARE): FakeCheck {
  const durationMs = input.durationMs ?? 1000;
  const check: FakeCheck = {
    id: input.id ?? uuid(),
    name: input.name,
    tags: input.tags ?? [],
    checkType: input.checkType ?? 'API',
    locations: input.locations ?? ['eu-west-1'],
    durationMs,
    outcome: input.outcome ?? 'PASSED',
    activated: input.activated ?? true,
    errorsAsStrings: input.errorsAsStrings ?? false,
    failedAttempts: input.failedAttempts ?? 0,
    createdAt: now,
    state: input.state ?? 'passing',
    stateSince: input.stateSince ?? now,
    alerts: input.alerts ?? [],
    shortestRunMs: input.shortestRunMs === undefined ? Math.round(durationMs * share.min) : input.shortestRunMs,
    longestRunMs: input.longestRunMs === undefined ? Math.round(durationMs * share.max) : input.longestRunMs,
    lastCheckRunId: uuid(),
  };
  if (input.groupId !== undefined) check.groupId = input.groupId;
  if (input.failingLocations !== undefined) check.failingLocations = input.failingLocations;
  if (input.errorMessage !== undefined) check.errorMessage = input.errorMessage;
  if (input.screenshotBytes !== undefined) check.screenshotBytes = input.screenshotBytes;
  if (input.url !== undefined) check.url = input.url;
  if (input.method !== undefined) check.method = input.method;
  if (input.failingStatus !== undefined) check.failingStatus = input.failingStatus;
  if (input.screenshot !== undefined) check.screenshot = input.screenshot;
  return check;
}

// ---- matching, as the Checkly CLI's tag expressions mean it ----

export interface TriggerTarget {
  matchTags?: string[][];
  checkId?: string[];
}

/** Any group matches; a group matches when all its tags do; `!tag` means the check lacks the tag. */
export function matchesTags(checkTags: readonly string[], groups: readonly (readonly string[])[]): boolean {
  return groups.some((group) => group.every((tag) => (tag.startsWith('!') ? !checkTags.includes(tag.slice(1)) : checkTags.includes(tag))));
}

export function matchingChecks(checks: readonly FakeCheck[], target: TriggerTarget | undefined): FakeCheck[] {
  const tags = target?.matchTags ?? [];
  const ids = target?.checkId ?? [];
  return checks.filter((c) => c.activated && (tags.length === 0 || matchesTags(c.tags, tags)) && (ids.length === 0 || ids.includes(c.id)));
}

// ---- sessions ----

export interface ResultRef {
  id: string;
  location: string;
  resultType: 'FINAL' | 'ATTEMPT';
}

export interface FakeSession {
  id: string;
  accountId: string;
  /** The check as it was when triggered. */
  check: Readonly<FakeCheck>;
  createdAt: number;
  /** How long this session runs: its check's durationMs, or that varied (a field-like account). */
  durationMs: number;
  /** Its results' response time as a share of the session (what a session spends besides calling the target is the rest). */
  responseShare: number;
  cancelledAt?: number;
  /** Every result the session will have once final, ids fixed at creation. */
  results: ResultRef[];
}

/** How one session differs from its check's typical one; default: it lasts durationMs, its results answer in a calm share of it. */
export interface SessionShape {
  durationMs?: number;
  responseShare?: number;
}

export function newSession(check: FakeCheck, accountId: string, now: number, shape: SessionShape = {}): FakeSession {
  const snapshot: FakeCheck = { ...check, tags: [...check.tags], locations: [...check.locations] };
  const results: ResultRef[] = [];
  for (const location of snapshot.locations) {
    if ((isFailingLocation(snapshot, location) && snapshot.outcome !== 'DEGRADED') || snapshot.outcome === 'PASSED') {
      for (let i = 0; i < snapshot.failedAttempts; i += 1) results.push({ id: uuid(), location, resultType: 'ATTEMPT' });
    }
    results.push({ id: uuid(), location, resultType: 'FINAL' });
  }
  const durationMs = shape.durationMs ?? snapshot.durationMs;
  return { id: uuid(), accountId, check: snapshot, createdAt: now, durationMs, responseShare: shape.responseShare ?? CALM_RESPONSE_SHARE.max, results };
}

export function finalAt(session: FakeSession): number {
  return session.cancelledAt ?? session.createdAt + session.durationMs;
}

export function isFinalStatus(status: SessionStatus): status is FinalStatus {
  return ['PASSED', 'FAILED', 'DEGRADED', 'TIMED_OUT', 'CANCELLED'].includes(status);
}

/** STARTED, then PROGRESS at 20 %, PROGRESS_FAILED/_DEGRADED at 60 % when it is heading there, the outcome at 100 %. */
export function statusAt(session: FakeSession, now: number): SessionStatus {
  if (session.cancelledAt !== undefined && now >= session.cancelledAt) return 'CANCELLED';
  const { durationMs } = session;
  const { outcome } = session.check;
  const elapsed = now - session.createdAt;
  if (elapsed >= durationMs) return outcome;
  if (elapsed >= 0.6 * durationMs && outcome === 'FAILED') return 'PROGRESS_FAILED';
  if (elapsed >= 0.6 * durationMs && outcome === 'DEGRADED') return 'PROGRESS_DEGRADED';
  if (elapsed >= 0.2 * durationMs) return 'PROGRESS';
  return 'STARTED';
}

export function isFailingLocation(check: Readonly<FakeCheck>, location: string): boolean {
  if (check.outcome === 'PASSED') return false;
  return check.failingLocations ? check.failingLocations.includes(location) : true;
}

// ---- bodies, typed by the spec's generated types ----

const APP = 'https://app.checklyhq.com';

export function sessionLink(session: FakeSession): string {
  return `${APP}/accounts/${session.accountId}/checks/${session.check.id}/check-sessions/${session.id}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function triggeredBody(session: FakeSession): TriggeredSession {
  return {
    checkSessionId: session.id,
    checkSessionLink: sessionLink(session),
    checkId: session.check.id,
    checkType: session.check.checkType,
    name: session.check.name,
    status: 'STARTED',
    startedAt: iso(session.createdAt),
    stoppedAt: null,
    timeElapsed: 0,
    runLocations: [...session.check.locations],
    runSource: 'TRIGGER_API',
  };
}

export function sessionBody(session: FakeSession, now: number): CheckSession {
  const status = statusAt(session, now);
  const final = isFinalStatus(status);
  const stoppedAt = final ? finalAt(session) : undefined;
  return {
    ...triggeredBody(session),
    status,
    stoppedAt: stoppedAt === undefined ? null : iso(stoppedAt),
    timeElapsed: (stoppedAt ?? now) - session.createdAt,
    results: final ? visibleResults(session).map((r) => conciseResult(session, r)) : [],
  };
}

/** Once final, the results Checkly shows; a cancelled session never got to its retries. */
export function visibleResults(session: FakeSession): ResultRef[] {
  return session.cancelledAt === undefined ? session.results : session.results.filter((r) => r.resultType === 'FINAL');
}

/** The completion body; only for a final session. */
export function completionBody(session: FakeSession, now: number): CompletedSession {
  const body = sessionBody(session, now);
  if (!isFinalStatus(body.status) || body.stoppedAt === null) throw new Error(`session ${session.id} is not final`);
  return { ...body, status: body.status, stoppedAt: body.stoppedAt };
}

interface Verdict {
  hasFailures: boolean;
  hasErrors: boolean;
  isDegraded: boolean;
  isCancelled: boolean;
}

function verdict(session: FakeSession, ref: ResultRef): Verdict {
  if (session.cancelledAt !== undefined) {
    return { hasFailures: false, hasErrors: false, isDegraded: false, isCancelled: true };
  }
  // An ATTEMPT result is a failed attempt, whatever the final one says (Checkly retried it).
  const failing = isFailingLocation(session.check, ref.location) || ref.resultType === 'ATTEMPT';
  const degraded = failing && session.check.outcome === 'DEGRADED' && ref.resultType === 'FINAL';
  const failed = failing && !degraded;
  return { hasFailures: failed, hasErrors: failed, isDegraded: degraded, isCancelled: false };
}

function resultLink(session: FakeSession, ref: ResultRef): string {
  return `${sessionLink(session)}/results/${ref.id}`;
}

function conciseResult(session: FakeSession, ref: ResultRef): SessionResult {
  const v = verdict(session, ref);
  return {
    checkResultId: ref.id,
    checkResultLink: resultLink(session, ref),
    checkId: session.check.id,
    checkType: session.check.checkType,
    name: session.check.name,
    runLocation: ref.location,
    resultType: ref.resultType,
    ...v,
    aborted: v.isCancelled,
    responseTime: responseTime(session),
    startedAt: iso(session.createdAt),
    stoppedAt: iso(finalAt(session)),
  };
}

/** What a session's results report as their response time: less than the session took. */
export function responseTime(session: FakeSession): number {
  return Math.round((finalAt(session) - session.createdAt) * session.responseShare);
}

const DEFAULT_BROWSER_ERROR =
  "Error: expect(locator).toBeVisible() failed\n\nLocator: getByRole('button', { name: 'Sign in' })\nExpected: visible\nReceived: <element(s) not found>";

export function checkResultBody(session: FakeSession, ref: ResultRef): CheckResult {
  const v = verdict(session, ref);
  const failing = v.hasFailures || v.isDegraded;
  const { check } = session;
  const body: CheckResult = {
    id: ref.id,
    name: check.name,
    checkId: check.id,
    hasFailures: v.hasFailures,
    hasErrors: v.hasErrors,
    isDegraded: v.isDegraded,
    isCancelled: v.isCancelled,
    overMaxResponseTime: check.outcome === 'TIMED_OUT' && failing,
    runLocation: ref.location,
    startedAt: iso(session.createdAt),
    stoppedAt: iso(finalAt(session)),
    created_at: iso(finalAt(session)),
    responseTime: responseTime(session),
    checkRunId: Math.floor(finalAt(session)) % 1_000_000_000,
    attempts: 1 + session.results.filter((r) => r.location === ref.location && r.resultType === 'ATTEMPT').length,
    resultType: ref.resultType,
    sequenceId: uuid(),
    traceId: null,
    errorGroupIds: [],
  };
  const errors = failing ? [check.errorMessage ?? DEFAULT_BROWSER_ERROR] : [];
  // A protocol check degrades from its response time alone (its assertions passed): no error to report.
  const failed = v.hasFailures || v.hasErrors;
  // Browser-like errors carry a stack whose frame names the line of the spec that failed.
  const listed = errors.map((message) => (check.errorsAsStrings ? message : { message, stack: `${message}\n    at ${SPEC_FRAME}` }));
  const log = jobLog(check, failing);
  switch (check.checkType) {
    case 'API':
    case 'URL':
      body.apiCheckResult = apiResult(check, failed);
      break;
    case 'BROWSER':
      body.browserCheckResult = { type: 'PLAYWRIGHT', errors: listed, pages: [], jobLog: log, jobAssets: [], runtimeVersion: '2025.04' };
      break;
    case 'MULTI_STEP':
      body.multiStepCheckResult = { errors: listed, jobLog: log, jobAssets: [], runtimeVersion: '2025.04' };
      break;
    case 'PLAYWRIGHT':
      body.playwrightCheckResult = {
        errors: errors.map((message) => ({ title: `${check.name} › completes the flow`, message })),
        playwrightTraceFiles: [],
        jobLog: log,
      };
      break;
    case 'AGENTIC':
      body.agenticCheckResult = { assertions: [], suggestions: [], steps: [], errors: errors.map((message) => ({ message })) };
      break;
    case 'TRACEROUTE':
      body.tracerouteCheckResult = { requestError: failed ? (check.errorMessage ?? 'Destination not reached') : null };
      break;
    case 'GRPC':
      body.grpcCheckResult = { requestError: failed ? (check.errorMessage ?? '14 UNAVAILABLE: connection refused') : null };
      break;
    case 'SSL':
      body.sslCheckResult = { requestError: failed ? (check.errorMessage ?? 'certificate has expired') : null };
      break;
    default:
      // TCP, DNS, ICMP, HEARTBEAT: the spec defines no detail object for these.
      break;
  }
  return body;
}

export const SPEC_FRAME = '/check/__checks__/flow.spec.ts:14:23';
/** Log lines a browser-like result carries: more than the 20 the app shows. */
export const JOB_LOG_LINES = 25;

/** The runner's log: `{time, level, msg}` entries, the error last when the run failed. */
function jobLog(check: Readonly<FakeCheck>, failing: boolean): Array<{ time: number; level: string; msg: string }> {
  const lines = Array.from({ length: JOB_LOG_LINES - 1 }, (_, i) => ({
    time: 1_700_000_000_000 + i * 100,
    level: 'INFO',
    msg: `log line ${i + 1} of ${check.name}`,
  }));
  lines.push(
    failing
      ? { time: 1_700_000_002_500, level: 'ERROR', msg: (check.errorMessage ?? DEFAULT_BROWSER_ERROR).split('\n')[0]! }
      : { time: 1_700_000_002_500, level: 'INFO', msg: 'done' },
  );
  return lines;
}

function apiResult(check: Readonly<FakeCheck>, failing: boolean): NonNullable<CheckResult['apiCheckResult']> {
  const status = failing ? (check.failingStatus ?? 500) : 200;
  const statusAssertion = { source: 'STATUS_CODE', property: '', comparison: 'EQUALS', target: '200', regex: null };
  const failedAssertion = failing && check.errorMessage === undefined;
  const url = check.url ?? `https://api.example.com/${encodeURIComponent(check.name)}`;
  const method = check.method ?? 'GET';
  return {
    assertions: [failedAssertion ? { ...statusAssertion, actual: status, error: `Expected ${status} to equal 200` } : statusAssertion],
    request: {
      method,
      url,
      headers: { authorization: 'Bearer fake-target-api-token' },
      data: '',
    },
    response: {
      status,
      statusText: STATUS_CODES[status] ?? '',
      body: '',
      // Headers are part of the answer Checkly keeps; the app must never show them.
      headers: { 'content-type': 'application/json', 'set-cookie': 'session=fake-secret-cookie' },
      timings: { total: 180 },
    },
    requestError: failing ? (check.errorMessage ?? null) : null,
    jobLog: {
      request: [
        { time: 1_700_000_000_000, level: 'INFO', msg: `${method} ${url}` },
        { time: 1_700_000_000_180, level: failing ? 'ERROR' : 'INFO', msg: `answered ${status}` },
      ],
    },
    jobAssets: null,
  };
}

// ---- assets ----

/** Whether a result has a failure screenshot: failed browser and Playwright results. */
export function hasScreenshot(session: FakeSession, ref: ResultRef): boolean {
  const v = verdict(session, ref);
  return (session.check.checkType === 'BROWSER' || session.check.checkType === 'PLAYWRIGHT') && v.hasFailures;
}

/** The normalized asset manifest (spec: AssetManifest); `downloadUrl(i)` is where asset i is served. */
export function assetManifestBody(session: FakeSession, ref: ResultRef, types: readonly string[], downloadUrl: (i: number) => string) {
  const source = {
    type: 'check-result' as const,
    checkId: session.check.id,
    checkName: session.check.name,
    checkType: session.check.checkType,
    resultId: ref.id,
  };
  const all = [
    { type: 'log' as const, name: 'job-log.txt', url: downloadUrl(0), contentType: 'text/plain', source },
    ...(hasScreenshot(session, ref)
      ? [
          {
            type: 'screenshot' as const,
            name: 'failure.png',
            url: downloadUrl(1),
            contentType: 'image/png',
            source,
            archive: { entryName: 'screenshots/failure.png' },
          },
          { type: 'trace' as const, name: 'trace.zip', url: downloadUrl(2), contentType: 'application/zip', source },
        ]
      : []),
  ];
  return { assets: types.length === 0 ? all : all.filter((a) => types.includes(a.type)) };
}

/** A valid PNG of about `bytes` bytes (a 2×2 image, padded with an ancillary chunk). */
export function fakePng(bytes = 1024): Buffer {
  const rgb = Buffer.from([255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0]);
  return encodePng(2, 2, rgb, bytes);
}

/** `rgb` (3 bytes a pixel, row by row) as a PNG, padded with an ancillary chunk to about `minBytes`. */
export function encodePng(width: number, height: number, rgb: Buffer, minBytes = 0): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  // Each row starts with its filter type (0: none).
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y += 1) rgb.copy(raw, y * (1 + width * 3) + 1, y * width * 3, (y + 1) * width * 3);
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw))];
  const end = chunk('IEND', Buffer.alloc(0));
  const used = parts.reduce((n, p) => n + p.length, 0) + end.length + 12;
  if (minBytes > used) parts.push(chunk('teXt', Buffer.alloc(minBytes - used, 0x61)));
  return Buffer.concat([...parts, end]);
}

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
