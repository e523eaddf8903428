/** The plumbing of the HTTP API: JSON answers, the error shape of product.md §8, bounded bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** product.md §8: a JSON body of at most 16 KB. */
export const MAX_BODY_BYTES = 16 * 1024;

export type ErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_target'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'not_in_channel'
  | 'channel_unavailable'
  | 'payload_too_large'
  | 'idempotency_key_reused'
  | 'rate_limited'
  | 'internal'
  | 'slack_timeout';

const STATUS: Record<ErrorCode, number> = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_target: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  not_in_channel: 409,
  channel_unavailable: 409,
  payload_too_large: 413,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal: 500,
  slack_timeout: 504,
};

/** An answer of `{"error": code, "message": text}`; `message` is plain text, free of secrets. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, error: ApiError): void {
  const extra: Record<string, string> = error.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
  sendJson(res, error.status, { error: error.code, message: error.message }, { ...extra, ...error.headers });
}

/**
 * The request's body as text; rejects with 413 as soon as it is known to be longer than `limit`
 * (by its Content-Length, or while it streams in), without reading the rest.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const tooLarge = () => new ApiError('payload_too_large', `The body is larger than ${limit} bytes.`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `Authorization: Bearer <secret>`: the secret, or undefined when the header is missing or another scheme. */
export function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match?.[1];
}
