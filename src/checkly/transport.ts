import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { BadRequestError, NetworkError, RequestAbortedError } from './errors';
import { Secrets } from '../shared/secrets';
import type { ChecklyOperation } from './operation';
import { checkRedirect, publicHttpsOnly, type CheckedTarget, type RedirectPolicy } from './redirects';
import { parseRetryAfter } from './retry';

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  accountId: string;
  userAgent: string;
  /** Where an asset download may be redirected (default: `https:` to public addresses only). */
  assetRedirects?: RedirectPolicy;
}

export interface HttpRequest {
  operation: ChecklyOperation;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under the base URL, ids already validated. */
  path: string;
  /** An array is sent as the parameter repeated (`type=a&type=b`), as the spec asks. */
  query?: Record<string, string | number | readonly string[]>;
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

export interface Download {
  status: number;
  contentType: string | undefined;
  /** Only for a 2xx. */
  bytes: Buffer | undefined;
}

/**
 * axios's own rule for HTTP(S)_PROXY / NO_PROXY (the package ships no types): the proxy URL for a
 * URL, or '' when none applies.
 */
const { getProxyForUrl } = require('proxy-from-env') as { getProxyForUrl(url: string): string };

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
  private readonly secrets: Secrets;
  private readonly headers: Record<string, string>;
  private readonly origin: string | undefined;
  private readonly assetRedirects: RedirectPolicy;

  constructor(options: TransportOptions) {
    this.secrets = new Secrets([options.apiKey]);
    this.assetRedirects = options.assetRedirects ?? publicHttpsOnly;
    this.origin = parseWebUrl(options.baseUrl)?.origin;
    this.headers = {
      Authorization: `Bearer ${options.apiKey}`,
      'X-Checkly-Account': options.accountId,
      'User-Agent': options.userAgent,
      Accept: 'application/json',
    };
    this.http = axios.create({
      baseURL: options.baseUrl.replace(/\/+$/, ''),
      headers: this.headers,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // Statuses are ours to judge; only "no answer" should throw.
      validateStatus: () => true,
      // A redirect would carry the key elsewhere; Checkly's API does not redirect.
      maxRedirects: 0,
      paramsSerializer: { indexes: null },
    });
  }

  /**
   * A pooled socket the server is closing as we reuse it fails with a reset after the request was
   * written, which looks exactly like a reset after Checkly processed it. For a call that must not be
   * repeated on doubt (the trigger), a fresh connection avoids that ambiguity for one handshake.
   */
  async send(req: HttpRequest): Promise<HttpAnswer> {
    let response: AxiosResponse;
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

  /**
   * GETs an asset by its absolute URL, as bytes, at most `maxBytes` (more is a BadRequestError). The
   * manifest's URLs are authenticated API URLs: the key is sent only when the URL is on the API's own
   * origin (a manifest cannot send it elsewhere). One redirect, to storage that signs its own URLs, is
   * followed without any of our headers, where `assetRedirects` allows (redirects.ts); a second one is
   * not. The URL never appears in an error: it may be signed.
   */
  async download(url: string, opts: { maxBytes: number; timeoutMs: number; path: string }): Promise<Download> {
    const req: HttpRequest = { operation: 'asset', method: 'GET', path: opts.path, timeoutMs: opts.timeoutMs };
    const refuse = (why: string) => new BadRequestError({ operation: 'asset', path: opts.path, checklyMessage: why });
    const target = parseWebUrl(url);
    if (!target || target.origin !== this.origin) throw refuse('The asset URL is not on the Checkly API.');
    const first = await this.getBytes(req, target.href, opts.maxBytes);
    if (!isRedirect(first.status)) return first;
    const location = typeof first.location === 'string' ? parseUrl(first.location, target) : undefined;
    if (!location) throw refuse(`The asset download was redirected without a usable location (${first.status}).`);
    let checked: CheckedTarget;
    try {
      checked = await checkRedirect(location, this.assetRedirects);
    } catch (err) {
      throw refuse(`The asset download's redirect was refused: ${messageOf(err)}.`);
    }
    const second = await this.getBytes(req, checked.url.href, opts.maxBytes, checked);
    if (isRedirect(second.status)) throw refuse('The asset download was redirected more than once.');
    return second;
  }

  /** One GET: with the API's headers, or, on a redirect's checked target, with none of them. */
  private async getBytes(req: HttpRequest, url: string, maxBytes: number, redirected?: CheckedTarget): Promise<Download & { location?: unknown }> {
    let response: AxiosResponse<ArrayBuffer>;
    try {
      response = await axios.request<ArrayBuffer>({
        method: 'GET',
        url,
        headers: redirected ? { 'User-Agent': this.headers['User-Agent'], Accept: 'image/*, */*' } : { ...this.headers, Accept: 'image/*, */*' },
        responseType: 'arraybuffer',
        timeout: req.timeoutMs,
        maxContentLength: maxBytes,
        maxRedirects: 0,
        validateStatus: () => true,
        // A redirect's target connects, on a connection of its own, to the addresses checked only;
        // behind a proxy (axios's rule, NO_PROXY included), the proxy connects, so the connection
        // to it is not pinned to the target's addresses.
        ...(redirected
          ? { ...(getProxyForUrl(url) === '' && { lookup: redirected.lookup }), httpAgent: this.freshHttpAgent, httpsAgent: this.freshHttpsAgent }
          : { httpAgent: this.httpAgent, httpsAgent: this.httpsAgent }),
      });
    } catch (err) {
      if (/maxContentLength/i.test(messageOf(err))) {
        throw new BadRequestError({ operation: 'asset', path: req.path, checklyMessage: `The asset is larger than ${maxBytes} bytes.` });
      }
      throw this.networkError(req, err);
    }
    const type = response.headers['content-type'];
    return {
      status: response.status,
      contentType: typeof type === 'string' ? type : undefined,
      bytes: response.status >= 200 && response.status < 300 ? Buffer.from(response.data) : undefined,
      location: response.headers.location,
    };
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
    const what = code ?? this.secrets.scrubText(messageOf(err)).slice(0, 200);
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

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/** `url` (relative to `base`), whatever its scheme; undefined when it does not parse. */
function parseUrl(url: string, base: URL): URL | undefined {
  try {
    return new URL(url, base);
  } catch {
    return undefined;
  }
}

function parseWebUrl(url: string): URL | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
