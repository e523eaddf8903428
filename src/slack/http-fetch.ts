/**
 * The Slack Web API client's `fetch`, over node:http(s) with keep-alive agents. The client sends
 * every call but uploads as one form-encoded string and reads one JSON answer; Node's fetch spends
 * about a millisecond and a half of CPU on such a call (streams, and a WebAssembly HTTP parser),
 * node:http about a third of that. The run messages' posts and updates, which a burst of API runs
 * waits on, do not go through the client at all (chat-client.ts); this serves the other calls
 * (ephemeral answers, modals, permalinks, usergroups, upload URLs) the same way.
 * Bodies that are not text (an upload's multipart form) go to `fallback`, the platform's fetch.
 */
import http from 'node:http';
import https from 'node:https';

export interface SlackHttp {
  fetch: typeof fetch;
  /** Closes the idle keep-alive sockets. */
  close(): void;
}

/** The bytes of each answer this fetch made, so a reader of the answer needs no copy of its stream. */
const bodies = new WeakMap<Response, Buffer>();

/** The body of an answer `slackHttpFetch` made (undefined for any other Response). */
export function bufferedBody(response: Response): Buffer | undefined {
  return bodies.get(response);
}

/** Statuses whose answer has no body (a Response refuses one). */
const NO_BODY = new Set([101, 103, 204, 205, 304]);

export function slackHttpFetch(fallback: typeof fetch = globalThis.fetch): SlackHttp {
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
  const send = (url: URL, init: RequestInit & { body: string | Uint8Array }): Promise<Response> =>
    new Promise((resolve, reject) => {
      const client = url.protocol === 'https:' ? https : http;
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const req = client.request(
        url,
        { method: init.method ?? 'GET', headers, agent: agents[url.protocol as 'http:' | 'https:'], signal: init.signal ?? undefined },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const answerHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) answerHeaders.append(name, v);
            }
            const status = res.statusCode ?? 0;
            try {
              const body = Buffer.concat(chunks);
              const response = new Response(NO_BODY.has(status) ? null : body, { status, statusText: res.statusMessage ?? '', headers: answerHeaders });
              bodies.set(response, body);
              resolve(response);
            } catch (err) {
              reject(err);
            }
          });
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  return {
    fetch: (async (input: string | URL | Request, init: RequestInit = {}) => {
      if (input instanceof Request) return fallback(input, init);
      const url = new URL(input);
      const { body } = init;
      const plain = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
      if (!plain || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fallback(input, init);
      return send(url, { ...init, body: body ?? '' });
    }) as typeof fetch,
    close() {
      for (const agent of Object.values(agents)) agent.destroy();
    },
  };
}
