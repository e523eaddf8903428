import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { NetworkError, RequestAbortedError, redact } from './errors';
import type { ChecklyOperation } from './operation';
import { parseRetryAfter } from './retry';

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  accountId: string;
  userAgent: string;
}

export interface HttpRequest {
  operation: ChecklyOperation;
  method: 'GET' | 'POST';
  /** Path under the base URL, ids already validated. */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Use a new connection rather than a pooled keep-alive one (see Transport.send). */
  freshConnection?: boolean;
}

export interface HttpAnswer {
  status: number;
  data: unknown;
  /** From Retry-After, on the answers where Checkly sends it (429, 503). */
  retryAfterMs?: number;
}

/** Errors after which the request certainly never reached the server. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);

/**
 * One HTTP exchange with Checkly: headers, timeout, and every failure without an answer turned into a
 * NetworkError that carries no trace of the request (axios errors hold the headers, hence the key).
 */
export class Transport {
  private readonly http: AxiosInstance;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly freshHttpAgent = new http.Agent({ keepAlive: false });
  private readonly freshHttpsAgent = new https.Agent({ keepAlive: false });
  private readonly secrets: string[];

  constructor(options: TransportOptions) {
    this.secrets = [options.apiKey];
    this.http = axios.create({
      baseURL: options.baseUrl.replace(/\/+$/, ''),
      headers: {
        Authorization: `Bearer ${options.apiKey}`,
        'X-Checkly-Account': options.accountId,
        'User-Agent': options.userAgent,
        Accept: 'application/json',
      },
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // Statuses are ours to judge; only "no answer" should throw.
      validateStatus: () => true,
      // A redirect would carry the key elsewhere; Checkly's API does not redirect.
      maxRedirects: 0,
    });
  }

  /**
   * A pooled socket the server is closing as we reuse it fails with a reset after the request was
   * written, which looks exactly like a reset after Checkly processed it. For a call that must not be
   * repeated on doubt (the trigger), a fresh connection avoids that ambiguity for one handshake.
   */
  async send(req: HttpRequest): Promise<HttpAnswer> {
    let response;
    try {
      response = await this.http.request({
        method: req.method,
        url: req.path,
        params: req.query,
        data: req.body,
        timeout: req.timeoutMs,
        signal: req.signal,
        ...(req.freshConnection ? { httpAgent: this.freshHttpAgent, httpsAgent: this.freshHttpsAgent } : {}),
      });
    } catch (err) {
      throw this.networkError(req, err);
    }
    const answer: HttpAnswer = { status: response.status, data: response.data };
    if (response.status === 429 || response.status === 503) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after'], Date.now());
      if (retryAfterMs !== undefined) answer.retryAfterMs = retryAfterMs;
    }
    return answer;
  }

  /** Frees idle keep-alive sockets, so a stopping process is not held open. */
  close(): void {
    for (const agent of [this.httpAgent, this.httpsAgent, this.freshHttpAgent, this.freshHttpsAgent]) agent.destroy();
  }

  private networkError(req: HttpRequest, err: unknown): NetworkError {
    const details = { operation: req.operation, path: req.path };
    if (req.signal?.aborted || codeOf(err) === 'ERR_CANCELED') {
      return new RequestAbortedError({ ...details, checklyMessage: 'Request aborted.', neverSent: false });
    }
    const code = codeOf(err);
    if (code !== undefined && TIMEOUT_CODES.has(code)) {
      return new NetworkError({
        ...details,
        checklyMessage: `No answer from Checkly within ${req.timeoutMs} ms.`,
        neverSent: false,
      });
    }
    const what = code ?? redact(messageOf(err), this.secrets).slice(0, 200);
    return new NetworkError({
      ...details,
      checklyMessage: `Could not reach Checkly (${what}).`,
      neverSent: code !== undefined && NEVER_SENT_CODES.has(code),
    });
  }
}

/** The system error code, looking through wrappers (axios, AggregateError of happy eyeballs). */
function codeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth += 1) {
    const { code, cause, errors } = e as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && code !== 'ERR_NETWORK' && code !== 'ERR_BAD_RESPONSE') return code;
    e = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}
