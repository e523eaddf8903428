import { BadRequestError, RequestAbortedError, ServerError, apiErrorMessage, errorForStatus } from './errors';
import { Secrets } from '../shared/secrets';
import { truncate } from '../shared/truncate';
import type { ChecklyOperation } from './operation';
import { DEFAULT_RETRY_OPTIONS, isRetryable, type RetryOptions, withRetry } from './retry';
import { type HttpAnswer, type HttpRequest, Transport } from './transport';
import type { RedirectPolicy } from './redirects';
import type { Account, AssetManifest, AssetType, CheckResult, CheckSession, CompletedSession, TriggerRequest, TriggeredSession } from './types';
import { isUuid } from '../shared/uuid';

export type { ChecklyOperation, RetryOptions };

export interface ResponseInfo {
  op: ChecklyOperation;
  /** Undefined when no answer came (refused, reset, timeout). */
  status: number | undefined;
  durationMs: number;
  retryAfterMs?: number;
}

export interface ChecklyClientOptions {
  baseUrl: string;
  apiKey: string;
  accountId: string;
  userAgent: string;
  /** Per-request timeout; the completion long poll gets its wait on top. */
  timeoutMs: number;
  /** Defaults: 4 retries, 500 ms to 10 s backoff, 60 s in all. */
  retry?: Partial<RetryOptions>;
  /** Awaited before every HTTP attempt, retries included (a request budget waits here). A throw ends the call. */
  beforeRequest?: (op: ChecklyOperation) => Promise<void>;
  /** Told of every attempt's outcome (metrics, slowing down on 429). Must not throw; if it does, it is ignored. */
  onResponse?: (info: ResponseInfo) => void;
  /** Where an asset download may be redirected (transport.ts; default: `https:` to public addresses only). */
  assetRedirects?: RedirectPolicy;
}

export interface DownloadedAsset {
  contentType: string | undefined;
  bytes: Buffer;
}

/** The spec bounds maxWaitSeconds to 1..30. */
const MAX_WAIT_SECONDS = { min: 1, max: 30 };

/** The Checkly Public API calls this app makes; the only place that knows their URLs, headers and retries. */
export class ChecklyClient {
  private readonly transport: Transport;
  private readonly retry: RetryOptions;
  /** The key, kept out of error messages that quote what was sent or answered. */
  private readonly secrets: Secrets;

  constructor(private readonly options: ChecklyClientOptions) {
    this.transport = new Transport(options);
    this.secrets = new Secrets([options.apiKey]);
    this.retry = { ...DEFAULT_RETRY_OPTIONS, ...options.retry };
  }

  /** Starts one session per matching check. A 404 (NotFoundError) means no check matched. */
  async trigger(req: TriggerRequest): Promise<TriggeredSession[]> {
    const path = '/v2/check-sessions/trigger';
    for (const checkId of req.target?.checkId ?? []) this.requireUuid('trigger', path, 'check ID', checkId);
    const { data } = await this.call({ operation: 'trigger', method: 'POST', path, body: req, freshConnection: true });
    if (!isRecord(data) || !Array.isArray(data.sessions)) throw this.unexpected('trigger', path);
    return data.sessions as TriggeredSession[];
  }

  /** The session's current state; its results may be partial while it runs. */
  async getSession(id: string): Promise<CheckSession> {
    const path = `/v2/check-sessions/${this.requireUuid('session', '/v2/check-sessions/{id}', 'check session ID', id)}`;
    const { data } = await this.call({ operation: 'session', method: 'GET', path });
    if (!isRecord(data) || typeof data.status !== 'string') throw this.unexpected('session', path);
    return data as CheckSession;
  }

  /**
   * Waits up to `maxWaitSeconds` (1..30) for the session to be final. Null means "still running, ask
   * again" (Checkly's 408), which is neither retried nor an error.
   */
  async awaitCompletion(id: string, maxWaitSeconds: number, signal?: AbortSignal): Promise<CompletedSession | null> {
    const template = '/v2/check-sessions/{id}/completion';
    const path = `/v2/check-sessions/${this.requireUuid('completion', template, 'check session ID', id)}/completion`;
    if (!Number.isInteger(maxWaitSeconds) || maxWaitSeconds < MAX_WAIT_SECONDS.min || maxWaitSeconds > MAX_WAIT_SECONDS.max) {
      throw new BadRequestError({
        operation: 'completion',
        path,
        checklyMessage: `maxWaitSeconds must be an integer from ${MAX_WAIT_SECONDS.min} to ${MAX_WAIT_SECONDS.max}.`,
      });
    }
    const answer = await this.call(
      {
        operation: 'completion',
        method: 'GET',
        path,
        query: { maxWaitSeconds },
        // Checkly holds the request up to maxWaitSeconds before answering at all.
        timeoutMs: maxWaitSeconds * 1000 + this.options.timeoutMs,
        signal,
      },
      [408],
    );
    if (answer.status === 408) return null;
    if (!isRecord(answer.data) || typeof answer.data.status !== 'string') throw this.unexpected('completion', path);
    return answer.data as CompletedSession;
  }

  /** Cancels what still runs in the session; a session already final stays as it is. */
  async cancel(id: string): Promise<void> {
    const path = `/v1/check-sessions/${this.requireUuid('cancel', '/v1/check-sessions/{id}/cancel', 'check session ID', id)}/cancel`;
    // An empty body cancels every sequence; the spec requires a body.
    await this.call({ operation: 'cancel', method: 'POST', path, body: {} });
  }

  /**
   * The full result of one location's run, with its error details. `operation` says why it is asked
   * for (a row's error line or a Details modal: `result`; a thread reply's evidence: `evidence`), which
   * sets its place in the request budget.
   */
  async getCheckResult(checkId: string, checkResultId: string, operation: 'result' | 'evidence' = 'result', signal?: AbortSignal): Promise<CheckResult> {
    const template = '/v1/check-results/{checkId}/{checkResultId}';
    this.requireUuid(operation, template, 'check ID', checkId);
    this.requireUuid(operation, template, 'check result ID', checkResultId);
    const path = `/v1/check-results/${checkId}/${checkResultId}`;
    const { data } = await this.call({ operation, method: 'GET', path, ...(signal ? { signal } : {}) });
    if (!isRecord(data)) throw this.unexpected(operation, path);
    return data as CheckResult;
  }

  /**
   * The account the key and account ID open (GET /v1/accounts/me): the cheapest authenticated call,
   * made once at start-up so that a wrong key shows there rather than at the first run.
   */
  async account(): Promise<Account> {
    const path = '/v1/accounts/me';
    const { data } = await this.call({ operation: 'account', method: 'GET', path });
    if (!isRecord(data) || typeof data.id !== 'string') throw this.unexpected('account', path);
    return { id: data.id, ...(typeof data.name === 'string' ? { name: data.name } : {}) };
  }

  /** The manifest of a result's downloadable assets, of the given types only. */
  async getAssets(checkId: string, checkResultId: string, types: readonly AssetType[]): Promise<AssetManifest> {
    const template = '/v1/check-results/{checkId}/{checkResultId}/assets';
    this.requireUuid('assets', template, 'check ID', checkId);
    this.requireUuid('assets', template, 'check result ID', checkResultId);
    const path = `/v1/check-results/${checkId}/${checkResultId}/assets`;
    const { data } = await this.call({ operation: 'assets', method: 'GET', path, query: { type: types } });
    if (!isRecord(data) || !Array.isArray(data.assets)) throw this.unexpected('assets', path);
    return data as AssetManifest;
  }

  /**
   * The bytes of one asset of a manifest, at most `maxBytes`. The asset's URL is an authenticated API
   * URL: the key goes only to the API's own origin, and a redirect (to storage) is followed without it.
   */
  async downloadAsset(url: string, maxBytes: number): Promise<DownloadedAsset> {
    const path = '/v1/check-results/{checkId}/{checkResultId}/assets (download)';
    const aborted = (): Error => new RequestAbortedError({ operation: 'asset', path, checklyMessage: 'Request aborted.', neverSent: true });
    return withRetry(
      async () => {
        await this.options.beforeRequest?.('asset');
        const startedAt = performance.now();
        let got: Awaited<ReturnType<Transport['download']>>;
        try {
          got = await this.transport.download(url, { maxBytes, timeoutMs: this.options.timeoutMs, path });
        } catch (err) {
          this.report({ op: 'asset', status: undefined, durationMs: performance.now() - startedAt });
          throw err;
        }
        this.report({ op: 'asset', status: got.status, durationMs: performance.now() - startedAt });
        if (got.status >= 200 && got.status < 300 && got.bytes) return { contentType: got.contentType, bytes: got.bytes };
        throw errorForStatus(got.status, { operation: 'asset', path, checklyMessage: `The asset download answered ${got.status}.` });
      },
      { options: this.retry, shouldRetry: (err) => isRetryable(err, 'asset'), aborted },
    );
  }

  /**
   * A GET with the same headers, retries and budget as every other call, for the resource modules
   * (catalogue.ts) that keep their paths and response types beside their calls.
   */
  async read(operation: ChecklyOperation, path: string, query?: Record<string, string | number>): Promise<unknown> {
    const { data } = await this.call({ operation, method: 'GET', path, ...(query ? { query } : {}) });
    return data;
  }

  /** A write (POST, PUT, DELETE) for the resource modules (alert-channels.ts), with the same headers, retries and budget. */
  async write(operation: ChecklyOperation, method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const { data } = await this.call({ operation, method, path, ...(body === undefined ? {} : { body }) });
    return data;
  }

  /** For resource modules: refuses a non-UUID before it goes into a path. */
  checkedUuid(operation: ChecklyOperation, template: string, what: string, value: string): string {
    return this.requireUuid(operation, template, what, value);
  }

  /** Releases idle connections. */
  close(): void {
    this.transport.close();
  }

  /** One call with its retries; answers with a 2xx or one of `alsoAccepted`, or throws a ChecklyError. */
  private call(req: Omit<HttpRequest, 'timeoutMs'> & { timeoutMs?: number }, alsoAccepted: readonly number[] = []): Promise<HttpAnswer> {
    const request: HttpRequest = { ...req, timeoutMs: req.timeoutMs ?? this.options.timeoutMs };
    const aborted = (): Error => new RequestAbortedError({ operation: req.operation, path: req.path, checklyMessage: 'Request aborted.', neverSent: true });
    return withRetry(() => this.attempt(request, alsoAccepted, aborted), {
      options: this.retry,
      shouldRetry: (err) => isRetryable(err, req.operation),
      signal: req.signal,
      aborted,
    });
  }

  private async attempt(req: HttpRequest, alsoAccepted: readonly number[], aborted: () => Error): Promise<HttpAnswer> {
    if (req.signal?.aborted) throw aborted();
    await this.options.beforeRequest?.(req.operation);
    if (req.signal?.aborted) throw aborted();
    const startedAt = performance.now();
    let answer: HttpAnswer;
    try {
      answer = await this.transport.send(req);
    } catch (err) {
      this.report({ op: req.operation, status: undefined, durationMs: performance.now() - startedAt });
      throw err;
    }
    const info: ResponseInfo = { op: req.operation, status: answer.status, durationMs: performance.now() - startedAt };
    if (answer.retryAfterMs !== undefined) info.retryAfterMs = answer.retryAfterMs;
    this.report(info);
    if ((answer.status >= 200 && answer.status < 300) || alsoAccepted.includes(answer.status)) return answer;
    const details = {
      operation: req.operation,
      path: req.path,
      checklyMessage: apiErrorMessage(answer.data, answer.status, this.secrets),
    };
    throw errorForStatus(answer.status, answer.retryAfterMs === undefined ? details : { ...details, retryAfterMs: answer.retryAfterMs });
  }

  private report(info: ResponseInfo): void {
    try {
      this.options.onResponse?.(info);
    } catch {
      // A metrics hook must not turn a good answer into a failure.
    }
  }

  /** Ids go into URL paths: anything but a UUID is refused here, before a request is spent on it. */
  private requireUuid(operation: ChecklyOperation, path: string, what: string, value: string): string {
    if (isUuid(value)) return value;
    const shown = truncate(this.secrets.scrubText(String(value)), 60);
    throw new BadRequestError({ operation, path, checklyMessage: `Malformed ${what}: "${shown}" is not a UUID.` });
  }

  private unexpected(operation: ChecklyOperation, path: string): ServerError {
    return new ServerError({ operation, path, checklyMessage: 'Unexpected response body from Checkly.' });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
