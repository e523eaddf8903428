// A fake Checkly Public API over real HTTP on 127.0.0.1, following reference/checkly-openapi.json for
// the operations the app calls. Controllable: checks and their outcomes, latency, rate limits,
// injected faults; observable: every request and every session's timeline.
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChecklyOperation } from '../../src/checkly/operation';
import {
  CALM_RESPONSE_SHARE,
  type FakeCheck,
  type FakeCheckInput,
  type FakeSession,
  type ResponseShare,
  assetManifestBody,
  checkResultBody,
  completionBody,
  fakePng,
  uuid,
  finalAt,
  responseTime,
  isFinalStatus,
  matchingChecks,
  newCheck,
  newSession,
  sessionBody,
  statusAt,
  triggeredBody,
  visibleResults,
} from './checkly-model';
import { isUuid, validateCancel, validateMaxWait, validateTrigger } from './checkly-validate';
import {
  type FakeGroup,
  type FakeGroupInput,
  checkBody,
  lastScheduledRun,
  listAlertsBody,
  listChecksBody,
  listGroupsBody,
  statusBody,
} from './checkly-catalogue';
import type { Account, SessionStatus } from '../../src/checkly/types';
import { FakeAlertChannels } from './checkly-alert-channels';

export { uuid, type CheckState, type FakeCheck, type FakeCheckInput, type FakeOutcome, type ResponseShare } from './checkly-model';
export type { FakeGroup, FakeGroupInput } from './checkly-catalogue';
export type { AlertVariables, Delivery, FakeAlertChannel } from './checkly-alert-channels';
export type { ChecklyOperation };

export interface FakeChecklyOptions {
  apiKey?: string;
  accountId?: string;
  /** Added before every answer, in ms; called per request, so it may vary. */
  latencyMs?: () => number;
  /** Requests per sliding 60 s window per account; over it, 429 with Retry-After. */
  rateLimitPerMinute?: number;
  /** The session clock, in epoch ms. Held long polls assume it runs at real speed; else call recheck(). */
  now?: () => number;
  /**
   * A field-like account, where one check's sessions vary from run to run: each lasts its check's
   * durationMs × (1 + j), j drawn per session uniformly within ±this (default 0, a calm account: every
   * session lasts exactly its check's durationMs).
   */
  sessionJitter?: number;
  /**
   * Response times as shares of a session (default CALM_RESPONSE_SHARE, 0.6 and 0.8): a check's status
   * reports `shortestRun` min × and `longestRun` max × its durationMs until sessions run here widen them,
   * and a session's results answer in max × the session.
   */
  responseTimeShare?: ResponseShare;
  /** Where the jitter is drawn from (default Math.random): the benchmark seeds it. */
  random?: () => number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** As received (lower-cased names). */
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  /** The operation the route names, when it names one. */
  op?: ChecklyOperation;
  /** Undefined until answered, and for a dropped connection. */
  status?: number;
  /** Arrival and answer times on the session clock. */
  at: number;
  answeredAt?: number;
  dropped?: boolean;
  /** A trigger that created sessions: their ids (set even when the client had gone before the answer). */
  sessionIds?: string[];
}

export interface SessionView {
  id: string;
  checkId: string;
  name: string;
  createdAt: number;
  /** When the session is (or will be) final: its end, or its cancellation. */
  finalAt: number;
  status: SessionStatus;
  cancelledAt?: number;
}

export interface FailOptions {
  /** How many matching requests get this answer (default 1). */
  times?: number;
  retryAfterSeconds?: number;
  message?: string;
}

export interface FakeCheckly {
  /** Base URL, no trailing slash. */
  readonly url: string;
  readonly apiKey: string;
  readonly accountId: string;
  readonly checks: readonly FakeCheck[];
  readonly sessions: SessionView[];
  readonly requests: RecordedRequest[];
  /** Requests answered 429 by the rate limit (not by failNext). */
  readonly rateLimited: number;
  /** Requests to the storage that asset downloads are redirected to. */
  readonly storageRequests: ReadonlyArray<{ path: string; headers: IncomingHttpHeaders }>;
  /** Completion requests being held right now. */
  readonly heldRequests: number;
  addCheck(input: FakeCheckInput): FakeCheck;
  /** Deletes a check: it leaves the catalogue, and triggers no longer match it. */
  removeCheck(id: string): void;
  readonly groups: readonly FakeGroup[];
  addGroup(input: FakeGroupInput): FakeGroup;
  session(id: string): SessionView | undefined;
  finalAt(sessionId: string): number | undefined;
  /** Answers the next matching request(s) with `status` and an ApiError body. */
  failNext(op: ChecklyOperation | 'any', status: number, opts?: FailOptions): void;
  /** Destroys the connection of the next matching request(s) without answering (a reset / socket hang up). */
  dropNext(op: ChecklyOperation | 'any', opts?: { times?: number }): void;
  /** Extra delay before answering requests of `op` (on top of latencyMs). 0 removes it. */
  setDelay(op: ChecklyOperation | 'any', ms: number): void;
  /** Re-evaluates held long polls now (after moving an injected clock). */
  recheck(): void;
  /** Replaces the account's API key, as revoking one does: requests with the old key get 401. */
  rotateKey(newKey: string): void;
  /** The account's alert channels, and its alerts sent to them as Checkly sends them. */
  readonly alertChannels: FakeAlertChannels;
  close(): Promise<void>;
}

const DEFAULT_API_KEY = 'cu_fake_0123456789abcdef0123456789abcdef';
const DEFAULT_ACCOUNT_ID = '7d1f3a2c-5b6e-4c8d-9e0f-1a2b3c4d5e6f';
const WINDOW_MS = 60_000;
const MAX_BODY_BYTES = 1_000_000;

interface Fault {
  op: ChecklyOperation | 'any';
  remaining: number;
  status?: number;
  drop?: boolean;
  retryAfterSeconds?: number;
  message?: string;
}

interface Waiter {
  session: FakeSession;
  /** Real time (Date.now) at which the long poll gives up with 408. */
  deadline: number;
  maxWaitSeconds: number;
  res: ServerResponse;
  record: RecordedRequest;
  timer?: NodeJS.Timeout;
}

interface Route {
  op: ChecklyOperation;
  params: string[];
}

const ROUTES: { method: string; pattern: RegExp; op: ChecklyOperation }[] = [
  { method: 'POST', pattern: /^\/v2\/check-sessions\/trigger$/, op: 'trigger' },
  { method: 'GET', pattern: /^\/v2\/check-sessions\/([^/]+)\/completion$/, op: 'completion' },
  { method: 'GET', pattern: /^\/v2\/check-sessions\/([^/]+)$/, op: 'session' },
  { method: 'POST', pattern: /^\/v1\/check-sessions\/([^/]+)\/cancel$/, op: 'cancel' },
  { method: 'GET', pattern: /^\/v1\/check-results\/([^/]+)\/([^/]+)$/, op: 'result' },
  { method: 'GET', pattern: /^\/v1\/check-results\/([^/]+)\/([^/]+)\/assets$/, op: 'assets' },
  // Not in the spec: where the manifest's "authenticated API URL" of an asset points, in this fake.
  { method: 'GET', pattern: /^\/v1\/check-results\/([^/]+)\/([^/]+)\/assets\/(\d+)$/, op: 'asset' },
  { method: 'GET', pattern: /^\/v1\/checks$/, op: 'checks' },
  { method: 'GET', pattern: /^\/v1\/checks\/([^/]+)$/, op: 'check' },
  { method: 'GET', pattern: /^\/v1\/check-groups$/, op: 'groups' },
  { method: 'GET', pattern: /^\/v1\/check-statuses$/, op: 'statuses' },
  { method: 'GET', pattern: /^\/v1\/check-alerts$/, op: 'alerts' },
  { method: 'GET', pattern: /^\/v1\/accounts\/me$/, op: 'account' },
  { method: 'POST', pattern: /^\/v1\/alert-channels$/, op: 'alert-channel-create' },
  { method: 'GET', pattern: /^\/v1\/alert-channels$/, op: 'alert-channel' },
  { method: 'GET', pattern: /^\/v1\/alert-channels\/([^/]+)$/, op: 'alert-channel' },
  { method: 'PUT', pattern: /^\/v1\/alert-channels\/([^/]+)$/, op: 'alert-channel' },
  { method: 'DELETE', pattern: /^\/v1\/alert-channels\/([^/]+)$/, op: 'alert-channel' },
  { method: 'PUT', pattern: /^\/v1\/alert-channels\/([^/]+)\/subscriptions$/, op: 'alert-channel' },
];

const ASSET_TYPES = ['log', 'trace', 'video', 'screenshot', 'pcap', 'report', 'file'];

function route(method: string, path: string): Route | undefined {
  for (const r of ROUTES) {
    const m = r.method === method ? r.pattern.exec(path) : null;
    if (m) return { op: r.op, params: m.slice(1).map(decodeURIComponent) };
  }
  return undefined;
}

function apiError(status: number, message?: string): { statusCode: number; error: string; message: string } {
  const error = STATUS_CODES[status] ?? 'Error';
  return { statusCode: status, error, message: message ?? error };
}

class FakeChecklyServer implements FakeCheckly {
  apiKey: string;
  readonly accountId: string;
  readonly requests: RecordedRequest[] = [];
  rateLimited = 0;
  url = '';

  private readonly server: http.Server;
  private readonly now: () => number;
  private readonly checkList: FakeCheck[] = [];
  private readonly groupList: FakeGroup[] = [];
  private readonly sessionList: FakeSession[] = [];
  private readonly sessionsById = new Map<string, FakeSession>();
  private readonly resultsById = new Map<string, { session: FakeSession; ref: FakeSession['results'][number] }>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly faults: Fault[] = [];
  private readonly delays = new Map<ChecklyOperation | 'any', number>();
  private readonly windows = new Map<string, number[]>();
  private readonly storedAssets = new Map<string, Buffer>();
  /** Requests to the fake storage behind asset redirects (no Checkly credentials may reach it). */
  readonly storageRequests: Array<{ path: string; headers: IncomingHttpHeaders }> = [];
  private closed = false;
  readonly alertChannels: FakeAlertChannels;

  constructor(private readonly options: FakeChecklyOptions) {
    this.apiKey = options.apiKey ?? DEFAULT_API_KEY;
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.now = options.now ?? Date.now;
    this.alertChannels = new FakeAlertChannels(this.now, (id) => this.checkList.some((c) => c.id === id));
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) this.answer(res, undefined, 500, apiError(500, String(err)));
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  get checks(): readonly FakeCheck[] {
    return this.checkList;
  }

  get sessions(): SessionView[] {
    return this.sessionList.map((s) => this.view(s));
  }

  get heldRequests(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  addCheck(input: FakeCheckInput): FakeCheck {
    const check = newCheck(input, this.now(), this.options.responseTimeShare);
    this.checkList.push(check);
    return check;
  }

  removeCheck(id: string): void {
    const i = this.checkList.findIndex((c) => c.id === id);
    if (i >= 0) this.checkList.splice(i, 1);
  }

  get groups(): readonly FakeGroup[] {
    return this.groupList;
  }

  addGroup(input: FakeGroupInput): FakeGroup {
    const group: FakeGroup = {
      id: input.id ?? 1000 + this.groupList.length,
      name: input.name,
      tags: input.tags ?? [],
      activated: input.activated ?? true,
    };
    this.groupList.push(group);
    return group;
  }

  session(id: string): SessionView | undefined {
    const s = this.sessionsById.get(id);
    return s && this.view(s);
  }

  finalAt(sessionId: string): number | undefined {
    const s = this.sessionsById.get(sessionId);
    return s && finalAt(s);
  }

  failNext(op: ChecklyOperation | 'any', status: number, opts: FailOptions = {}): void {
    const fault: Fault = { op, status, remaining: opts.times ?? 1 };
    if (opts.retryAfterSeconds !== undefined) fault.retryAfterSeconds = opts.retryAfterSeconds;
    if (opts.message !== undefined) fault.message = opts.message;
    this.faults.push(fault);
  }

  dropNext(op: ChecklyOperation | 'any', opts: { times?: number } = {}): void {
    this.faults.push({ op, drop: true, remaining: opts.times ?? 1 });
  }

  setDelay(op: ChecklyOperation | 'any', ms: number): void {
    if (ms > 0) this.delays.set(op, ms);
    else this.delays.delete(op);
  }

  rotateKey(newKey: string): void {
    this.apiKey = newKey;
  }

  recheck(): void {
    for (const set of this.waiters.values()) for (const w of [...set]) this.checkWaiter(w);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const set of this.waiters.values()) {
      for (const w of set) {
        clearTimeout(w.timer);
        w.res.destroy();
      }
    }
    this.waiters.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- request handling ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname.startsWith('/storage/')) return this.storage(req, res, url);
    const matched = route(method, url.pathname);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: undefined,
      at: this.now(),
    };
    if (matched) record.op = matched.op;
    this.requests.push(record);
    const raw = await readBody(req);
    record.body = parseBody(raw);

    await this.sleep((this.options.latencyMs?.() ?? 0) + (matched ? this.delayFor(matched.op) : (this.delays.get('any') ?? 0)));
    if (this.closed) return;

    const account = method === 'GET' ? /^\/next\/accounts\/([^/]+)$/.exec(url.pathname) : null;
    if (account) return this.account(req, res, record, account[1] as string);
    if (!matched) return this.answer(res, record, 404, apiError(404));
    if (this.overRateLimit(req, res, record)) return;
    const fault = this.takeFault(matched.op);
    if (fault?.drop) {
      record.dropped = true;
      res.destroy();
      return;
    }
    if (fault?.status !== undefined) {
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) };
      return this.answer(res, record, fault.status, apiError(fault.status, fault.message), headers);
    }
    const denied = this.authenticate(req.headers);
    if (denied) return this.answer(res, record, denied.statusCode, denied);

    const [first = '', second = ''] = matched.params;
    switch (matched.op) {
      case 'trigger':
        return this.trigger(res, record, raw);
      case 'session':
        return this.getSession(res, record, first);
      case 'completion':
        return this.completion(res, record, first, url.searchParams.get('maxWaitSeconds'));
      case 'cancel':
        return this.cancel(res, record, first, raw);
      case 'result':
        return this.checkResult(res, record, first, second);
      case 'account':
        return this.answer(res, record, 200, accountBody(this.accountId));
      case 'assets':
        return this.assets(res, record, first, second, url.searchParams.getAll('type'));
      case 'asset':
        return this.asset(res, record, first, second, Number(matched.params[2]));
      case 'checks':
        return this.answerValidated(res, record, listChecksBody(this.checkList, url.searchParams));
      case 'groups':
        return this.answerValidated(res, record, listGroupsBody(this.groupList, url.searchParams));
      case 'statuses':
        return this.answer(
          res,
          record,
          200,
          this.checkList.map((c) => statusBody(this.withRunsSoFar(c), this.lastResultAt(c))),
        );
      case 'alerts':
        return this.answerValidated(res, record, listAlertsBody(this.checkList, url.searchParams, this.now()));
      case 'check':
        return this.getCheck(res, record, first);
      case 'alert-channel-create':
      case 'alert-channel':
        return this.alertChannel(res, record, method, url.pathname, first, raw);
      default:
        return this.answer(res, record, 404, apiError(404));
    }
  }

  /**
   * GET /next/accounts/{id}: not in the public spec, but the Checkly CLI asks it first to check its
   * credentials (the benchmark runs the CLI against this fake). Counted against the rate limit.
   */
  private account(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, id: string): void {
    if (this.overRateLimit(req, res, record)) return;
    const denied = this.authenticate(req.headers);
    if (denied) {
      this.answer(res, record, denied.statusCode, denied);
      return;
    }
    if (id !== this.accountId) {
      this.answer(res, record, 404, apiError(404));
      return;
    }
    this.answer(res, record, 200, { id: this.accountId, name: 'Fake account', runtimeId: '2025.04' });
    return;
  }

  private alertChannel(res: ServerResponse, record: RecordedRequest, method: string, path: string, id: string, raw: string): void {
    const channels = this.alertChannels;
    const needsBody = method === 'POST' || method === 'PUT';
    const parsed = needsBody ? parseJson(raw) : { ok: true as const, value: undefined };
    if (!parsed.ok) {
      this.answer(res, record, 400, apiError(400, 'Invalid request payload JSON format'));
      return;
    }
    const answer =
      method === 'POST'
        ? channels.create(parsed.value)
        : path.endsWith('/subscriptions')
          ? channels.subscribe(id, parsed.value)
          : method === 'PUT'
            ? channels.update(id, parsed.value)
            : method === 'DELETE'
              ? channels.remove(id)
              : id === ''
                ? channels.listAll()
                : channels.read(id);
    this.answer(res, record, answer.status, answer.body);
  }

  /** When the check's last result came: its last scheduled run, or the end of a session run here since. */
  private lastResultAt(check: FakeCheck): number {
    const now = this.now();
    let last = lastScheduledRun(check, now);
    for (const s of this.sessionList) {
      if (s.check.id === check.id && s.cancelledAt === undefined && finalAt(s) <= now) last = Math.max(last, finalAt(s));
    }
    return last;
  }

  /**
   * The check with its shortest and longest response times widened by every session of it that ended
   * here (cancelled ones did not run to the end), as Checkly's statuses follow the results that come in.
   */
  private withRunsSoFar(check: FakeCheck): FakeCheck {
    const now = this.now();
    let shortest = check.shortestRunMs;
    let longest = check.longestRunMs;
    for (const s of this.sessionList) {
      if (s.check.id !== check.id || s.cancelledAt !== undefined || finalAt(s) > now) continue;
      const ran = responseTime(s);
      shortest = shortest === null ? ran : Math.min(shortest, ran);
      longest = longest === null ? ran : Math.max(longest, ran);
    }
    return { ...check, shortestRunMs: shortest, longestRunMs: longest };
  }

  /** A session of `check` on this account: as long as the check's duration, or varied from it. */
  private shapeOf(check: FakeCheck): { durationMs: number; responseShare: number } {
    const jitter = this.options.sessionJitter ?? 0;
    const draw = jitter > 0 ? (this.options.random ?? Math.random)() : 0.5;
    return {
      durationMs: Math.round(check.durationMs * (1 + jitter * (2 * draw - 1))),
      responseShare: (this.options.responseTimeShare ?? CALM_RESPONSE_SHARE).max,
    };
  }

  private delayFor(op: ChecklyOperation): number {
    return (this.delays.get(op) ?? 0) + (this.delays.get('any') ?? 0);
  }

  private authenticate(headers: IncomingHttpHeaders): ReturnType<typeof apiError> | undefined {
    const auth = headers.authorization ?? '';
    const m = /^Bearer (.+)$/i.exec(auth);
    if (!m || m[1] !== this.apiKey) return apiError(401, 'Bad Token');
    const account = headers['x-checkly-account'];
    if (account === undefined || account === '') return apiError(401, 'Missing x-checkly-account header');
    if (account !== this.accountId) return apiError(403, 'Forbidden');
    return undefined;
  }

  /** Sliding window per account; the requests it turns away do not count against it. */
  private overRateLimit(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): boolean {
    const limit = this.options.rateLimitPerMinute;
    if (limit === undefined) return false;
    const account = String(req.headers['x-checkly-account'] ?? '');
    const now = this.now();
    const window = (this.windows.get(account) ?? []).filter((t) => t > now - WINDOW_MS);
    this.windows.set(account, window);
    if (window.length < limit) {
      window.push(now);
      return false;
    }
    this.rateLimited += 1;
    const retryAfter = Math.max(1, Math.ceil((window[0]! + WINDOW_MS - now) / 1000));
    this.answer(res, record, 429, apiError(429), { 'Retry-After': String(retryAfter) });
    return true;
  }

  private takeFault(op: ChecklyOperation): Fault | undefined {
    const i = this.faults.findIndex((f) => f.op === 'any' || f.op === op);
    if (i < 0) return undefined;
    const fault = this.faults[i]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(i, 1);
    return fault;
  }

  private trigger(res: ServerResponse, record: RecordedRequest, raw: string): void {
    const parsed = parseJson(raw);
    if (!parsed.ok) {
      this.answer(res, record, 400, apiError(400, 'Invalid request payload JSON format'));
      return;
    }
    const valid = validateTrigger(parsed.value);
    if (!valid.ok) {
      this.answer(res, record, 400, apiError(400, valid.message));
      return;
    }
    const checks = matchingChecks(this.checkList, valid.value.target);
    if (checks.length === 0) {
      this.answer(res, record, 404, apiError(404, 'No matching checks were found.'));
      return;
    }
    const now = this.now();
    const sessions = checks.map((check) => {
      const session = newSession(check, this.accountId, now, this.shapeOf(check));
      this.sessionList.push(session);
      this.sessionsById.set(session.id, session);
      for (const ref of session.results) this.resultsById.set(ref.id, { session, ref });
      return session;
    });
    record.sessionIds = sessions.map((s) => s.id);
    this.answer(res, record, 201, { sessions: sessions.map(triggeredBody) });
  }

  private findSession(res: ServerResponse, record: RecordedRequest, id: string): FakeSession | undefined {
    if (!isUuid(id)) {
      this.answer(res, record, 400, apiError(400, '"checkSessionId" must be a valid GUID'));
      return undefined;
    }
    const session = this.sessionsById.get(id);
    if (!session) this.answer(res, record, 404, apiError(404, 'No such check session.'));
    return session;
  }

  private getSession(res: ServerResponse, record: RecordedRequest, id: string): void {
    const session = this.findSession(res, record, id);
    if (session) this.answer(res, record, 200, sessionBody(session, this.now()));
  }

  private completion(res: ServerResponse, record: RecordedRequest, id: string, rawMaxWait: string | null): void {
    if (!isUuid(id)) {
      this.answer(res, record, 400, apiError(400, '"checkSessionId" must be a valid GUID'));
      return;
    }
    const maxWait = validateMaxWait(rawMaxWait);
    if (!maxWait.ok) {
      this.answer(res, record, 400, apiError(400, maxWait.message));
      return;
    }
    const session = this.findSession(res, record, id);
    if (!session) return;
    const waiter: Waiter = { session, deadline: Date.now() + maxWait.value * 1000, maxWaitSeconds: maxWait.value, res, record };
    let set = this.waiters.get(session.id);
    if (!set) {
      set = new Set();
      this.waiters.set(session.id, set);
    }
    set.add(waiter);
    // A client that gives up (abort, timeout) must not leave a timer behind.
    res.on('close', () => this.release(waiter));
    this.checkWaiter(waiter);
  }

  /** Answers a held long poll when its session is final or its wait is over; otherwise sleeps until the nearer of both. */
  private checkWaiter(w: Waiter): void {
    clearTimeout(w.timer);
    const now = this.now();
    if (isFinalStatus(statusAt(w.session, now))) {
      this.release(w);
      this.answer(w.res, w.record, 200, completionBody(w.session, now));
      return;
    }
    const untilDeadline = w.deadline - Date.now();
    if (untilDeadline <= 0) {
      this.release(w);
      const message = `The check session did not complete within ${w.maxWaitSeconds} seconds.`;
      this.answer(w.res, w.record, 408, apiError(408, message));
      return;
    }
    const untilFinal = finalAt(w.session) - now;
    w.timer = setTimeout(() => this.checkWaiter(w), Math.max(1, Math.min(untilFinal, untilDeadline)));
  }

  private release(w: Waiter): void {
    clearTimeout(w.timer);
    const set = this.waiters.get(w.session.id);
    set?.delete(w);
    if (set?.size === 0) this.waiters.delete(w.session.id);
  }

  private cancel(res: ServerResponse, record: RecordedRequest, id: string, raw: string): void {
    if (!isUuid(id)) {
      this.answer(res, record, 400, apiError(400, '"checkSessionId" must be a valid GUID'));
      return;
    }
    const parsed = parseJson(raw);
    if (!parsed.ok) {
      this.answer(res, record, 400, apiError(400, 'Invalid request payload JSON format'));
      return;
    }
    const valid = validateCancel(parsed.value);
    if (!valid.ok) {
      this.answer(res, record, 400, apiError(400, valid.message));
      return;
    }
    const session = this.findSession(res, record, id);
    if (!session) return;
    // The spec: 204 once cancellation is dispatched, 404 only for an unknown session. A final session
    // has nothing left to cancel, so it keeps its status and the answer is still 204.
    const now = this.now();
    if (!isFinalStatus(statusAt(session, now))) {
      session.cancelledAt = now;
      for (const w of [...(this.waiters.get(session.id) ?? [])]) this.checkWaiter(w);
    }
    this.answer(res, record, 204);
  }

  private answerValidated(res: ServerResponse, record: RecordedRequest, body: { ok: true; value: unknown } | { ok: false; message: string }): void {
    if (body.ok) this.answer(res, record, 200, body.value);
    else this.answer(res, record, 400, apiError(400, body.message));
  }

  private getCheck(res: ServerResponse, record: RecordedRequest, id: string): void {
    if (!isUuid(id)) {
      this.answer(res, record, 400, apiError(400, '"id" must be a valid GUID'));
      return;
    }
    const check = this.checkList.find((c) => c.id === id);
    if (!check) {
      this.answer(res, record, 404, apiError(404, 'Not Found'));
      return;
    }
    this.answer(res, record, 200, checkBody(check));
  }

  private checkResult(res: ServerResponse, record: RecordedRequest, checkId: string, resultId: string): void {
    if (!isUuid(checkId)) {
      this.answer(res, record, 400, apiError(400, '"checkId" must be a valid GUID'));
      return;
    }
    if (!isUuid(resultId)) {
      this.answer(res, record, 400, apiError(400, '"checkResultId" must be a valid GUID'));
      return;
    }
    const found = this.resultsById.get(resultId);
    const visible =
      found && found.session.check.id === checkId && isFinalStatus(statusAt(found.session, this.now())) && visibleResults(found.session).includes(found.ref);
    if (!found || !visible) {
      this.answer(res, record, 404, apiError(404, 'Check result not found.'));
      return;
    }
    this.answer(res, record, 200, checkResultBody(found.session, found.ref));
  }

  /** A final, visible result of `checkId`, or undefined after answering 400/404. */
  private visibleResult(res: ServerResponse, record: RecordedRequest, checkId: string, resultId: string) {
    if (!isUuid(checkId)) return void this.answer(res, record, 400, apiError(400, '"checkId" must be a valid GUID'));
    if (!isUuid(resultId)) return void this.answer(res, record, 400, apiError(400, '"checkResultId" must be a valid GUID'));
    const found = this.resultsById.get(resultId);
    const visible =
      found && found.session.check.id === checkId && isFinalStatus(statusAt(found.session, this.now())) && visibleResults(found.session).includes(found.ref);
    if (!found || !visible) return void this.answer(res, record, 404, apiError(404, 'Check result not found.'));
    return found;
  }

  private assets(res: ServerResponse, record: RecordedRequest, checkId: string, resultId: string, types: string[]): void {
    const bad = types.find((t) => !ASSET_TYPES.includes(t));
    if (bad !== undefined) {
      this.answer(res, record, 400, apiError(400, `"type" must be one of [${ASSET_TYPES.join(', ')}]`));
      return;
    }
    const found = this.visibleResult(res, record, checkId, resultId);
    if (!found) return;
    const base = `${this.url}/v1/check-results/${checkId}/${resultId}/assets`;
    this.answer(
      res,
      record,
      200,
      assetManifestBody(found.session, found.ref, types, (i) => `${base}/${i}`),
    );
  }

  /** The authenticated asset URL: a redirect to storage, whose URL is signed and takes no other credentials. */
  private asset(res: ServerResponse, record: RecordedRequest, checkId: string, resultId: string, index: number): void {
    const found = this.visibleResult(res, record, checkId, resultId);
    if (!found) return;
    const entry = assetManifestBody(found.session, found.ref, [], () => '').assets[index];
    if (!entry) {
      this.answer(res, record, 404, apiError(404, 'Asset not found.'));
      return;
    }
    const token = uuid();
    this.storedAssets.set(
      token,
      entry.type === 'screenshot'
        ? (found.session.check.screenshot ?? fakePng(found.session.check.screenshotBytes))
        : Buffer.from(`${entry.name} of ${resultId}`),
    );
    this.answer(res, record, 302, undefined, { Location: `/storage/${token}?X-Amz-Signature=fake${token.slice(0, 8)}` });
  }

  private storage(req: IncomingMessage, res: ServerResponse, url: URL): void {
    this.storageRequests.push({ path: url.pathname, headers: req.headers });
    // As S3 does: a signed URL takes no Authorization header ("Only one auth mechanism allowed").
    if (req.headers.authorization !== undefined) return void res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Only one auth mechanism allowed');
    const bytes = this.storedAssets.get(url.pathname.slice('/storage/'.length));
    if (!bytes || !url.searchParams.get('X-Amz-Signature')) return void res.writeHead(403, { 'Content-Type': 'text/plain' }).end('AccessDenied');
    const type = bytes.subarray(0, 4).toString('latin1') === '\x89PNG' ? 'image/png' : 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': bytes.length }).end(bytes);
  }

  // ---- plumbing ----

  private answer(res: ServerResponse, record: RecordedRequest | undefined, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    if (record) {
      record.status = status;
      record.answeredAt = this.now();
    }
    if (body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text);
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private view(s: FakeSession): SessionView {
    const v: SessionView = {
      id: s.id,
      checkId: s.check.id,
      name: s.check.name,
      createdAt: s.createdAt,
      finalAt: finalAt(s),
      status: statusAt(s, this.now()),
    };
    if (s.cancelledAt !== undefined) v.cancelledAt = s.cancelledAt;
    return v;
  }
}

/** The spec's Account, as GET /v1/accounts/me answers it for the account the headers name. */
function accountBody(id: string): Account {
  return { id, name: 'Fake Account', runtimeId: '2025.04', plan: 'team', planDisplayName: 'Team' };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  if (raw.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

function parseBody(raw: string): unknown {
  const parsed = parseJson(raw);
  return parsed.ok ? parsed.value : raw;
}

export async function startFakeCheckly(opts: FakeChecklyOptions = {}): Promise<FakeCheckly> {
  const fake = new FakeChecklyServer(opts);
  await fake.listen();
  return fake;
}
