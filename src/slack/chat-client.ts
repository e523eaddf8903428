/**
 * The two Web API methods a run message lives on, `chat.postMessage` and `chat.update`, sent as JSON
 * over keep-alive node:http(s). Everything else goes through Bolt's `WebClient`.
 *
 * Why not `WebClient` for these two: a POST /api/v1/runs is answered once its message is posted, so
 * in a burst of them each post's CPU delays every answer behind it. Per call, `WebClient` queues the
 * call, wraps it in p-retry, copies and serialises the arguments for a debug line it builds at every
 * log level, form-encodes the blocks, and reads the answer through a fetch `Response` (headers,
 * a web stream); the answer is parsed again for the metrics. Here the arguments are serialised once
 * and the answer parsed once. `npm run bench:api` measures the difference (README, "Run checks after
 * a deploy").
 *
 * What a caller sees is what `WebClient` with `rejectRateLimitedCalls` gives: the same error classes
 * and codes (a platform error with Slack's answer as `data`, a rate-limited error with `retryAfter`
 * in seconds, which is not retried here: the message budgets pause on it), and the same retries of
 * a request that got no answer or an HTTP error (`retries`, as `WebClient`'s `retryConfig`).
 */
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { webApi } from '@slack/bolt';
import pRetry, { AbortError, type Options as RetryOptions } from 'p-retry';
import { callLabel } from './errors';

export interface ChatMessage {
  channel: string;
  /** The fallback text (notifications, screen readers); Slack wants it with blocks. */
  text: string;
  blocks?: readonly unknown[];
}

export interface ChatPostArgs extends ChatMessage {
  thread_ts?: string;
  unfurl_links?: boolean;
  unfurl_media?: boolean;
}

export interface ChatUpdateArgs extends ChatMessage {
  ts: string;
}

/** What the run messages need of a Slack client (a `WebClient` is one too). */
export interface ChatClient {
  chat: {
    postMessage(args: ChatPostArgs): Promise<{ ts?: string }>;
    update(args: ChatUpdateArgs): Promise<unknown>;
  };
}

export interface ChatClientOptions {
  token: string;
  /** The Web API's base URL, ending in a slash (`https://slack.com/api/`). */
  apiUrl: string;
  /** Tries of a request that got no answer or an HTTP error, as `WebClient`'s `retryConfig`. */
  retries: RetryOptions;
  /**
   * Told of every HTTP attempt: Slack's method, and `undefined` for a success or what went wrong
   * (Slack's error code, `ratelimited`, `http_<status>`, `network`, `invalid_response`), as the
   * metered fetch of the other calls reports them.
   */
  onCall?: (method: string, error: string | undefined) => void;
}

type Answer = { ok: true; [key: string]: unknown } | { ok: false; error?: unknown; [key: string]: unknown };

export class SlackChatClient implements ChatClient {
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly headers: Record<string, string>;
  /** Each method's request options, made once: parsing a URL for every call costs more than the call's JSON. */
  private readonly requests = new Map<string, http.RequestOptions>();

  readonly chat = {
    postMessage: (args: ChatPostArgs): Promise<{ ts?: string }> => this.call('chat.postMessage', args) as Promise<{ ts?: string }>,
    update: (args: ChatUpdateArgs): Promise<unknown> => this.call('chat.update', args),
  };

  constructor(private readonly options: ChatClientOptions) {
    const secure = new URL(options.apiUrl).protocol === 'https:';
    this.transport = secure ? https : http;
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.headers = { Authorization: `Bearer ${options.token}`, 'Content-Type': 'application/json; charset=utf-8' };
  }

  /** Closes the idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private async call(method: string, args: object): Promise<Answer> {
    const body = JSON.stringify(args);
    const request = this.requestOf(method);
    const answer = await pRetry(() => this.attempt(method, request, body), this.options.retries);
    if (!answer.ok) throw new webApi.WebAPIPlatformError(answer as webApi.WebAPICallResult & { error: string });
    return answer;
  }

  private requestOf(method: string): http.RequestOptions {
    let request = this.requests.get(method);
    if (!request) {
      const url = new URL(method, this.options.apiUrl);
      request = { ...urlToHttpOptions(url), method: 'POST', headers: this.headers, agent: this.agent };
      this.requests.set(method, request);
    }
    return request;
  }

  /** One HTTP exchange: Slack's answer (ok or not), or an error that p-retry retries unless it is an AbortError. */
  private attempt(method: string, request: http.RequestOptions, body: string): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      /** Reports the attempt once, then settles the promise. */
      const settle = (error: string | undefined, outcome: { answer: Answer } | { err: Error }): void => {
        if (settled) return;
        settled = true;
        this.options.onCall?.(method, error);
        if ('answer' in outcome) resolve(outcome.answer);
        else reject(outcome.err);
      };
      const failed = (err: Error): void => settle('network', { err: new webApi.WebAPIRequestError(err) });
      const req = this.transport.request(request, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', failed);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (status === 429) {
            const seconds = Number.parseInt(String(res.headers['retry-after'] ?? ''), 10);
            const err = Number.isNaN(seconds)
              ? new Error(`Retry header did not contain a valid timeout (${method})`)
              : new webApi.WebAPIRateLimitedError(seconds);
            settle('ratelimited', { err: new AbortError(err) });
          } else if (status !== 200) {
            settle(`http_${status}`, { err: new webApi.WebAPIHTTPError(status, res.statusMessage ?? '', flatHeaders(res.headers), text) });
          } else {
            const answer = parseAnswer(text);
            if (answer === undefined) {
              settle('invalid_response', { err: new AbortError(new Error(`Slack answered ${method} with something that is not its JSON`)) });
            } else {
              settle(callLabel(answer), { answer });
            }
          }
        });
      });
      req.on('error', failed);
      req.end(body);
    });
  }
}

function parseAnswer(text: string): Answer | undefined {
  try {
    const answer = JSON.parse(text) as unknown;
    return typeof answer === 'object' && answer !== null && typeof (answer as { ok?: unknown }).ok === 'boolean' ? (answer as Answer) : undefined;
  } catch {
    return undefined;
  }
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}
