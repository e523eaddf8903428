import type { Secrets } from '../shared/secrets';
import { STATUS_CODES } from 'node:http';
import { RunFailure, type RunError } from '../runs/types';
import type { ChecklyOperation } from './operation';
import { truncate } from '../shared/truncate';

export type { ChecklyOperation };
export type ChecklyErrorKind = RunError['kind'];

/** Everything an error may carry. Deliberately no request, config or headers: the API key lives there. */
export interface ChecklyErrorDetails {
  operation: ChecklyOperation;
  /** The request path, without query string. */
  path: string;
  status?: number;
  /** What Checkly said, or what went wrong when Checkly said nothing. Free of secrets. */
  checklyMessage: string;
}

/** Checkly messages can be long (validation dumps); Slack and logs need the gist only. */
const MAX_MESSAGE_LENGTH = 500;

export abstract class ChecklyError extends Error {
  abstract readonly kind: ChecklyErrorKind;
  readonly operation: ChecklyOperation;
  readonly path: string;
  readonly status?: number;
  readonly checklyMessage: string;

  constructor(details: ChecklyErrorDetails) {
    super(describe(details));
    this.operation = details.operation;
    this.path = details.path;
    if (details.status !== undefined) this.status = details.status;
    this.checklyMessage = details.checklyMessage;
  }

  /** Logged errors are serialized; say what happened, with nothing else attached. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      operation: this.operation,
      path: this.path,
      status: this.status,
      message: this.checklyMessage,
    };
  }
}

function describe({ operation, path, status, checklyMessage }: ChecklyErrorDetails): string {
  const answer = status === undefined ? 'failed' : `answered ${status}`;
  return `Checkly ${operation} (${path}) ${answer}: ${checklyMessage}`;
}

export class BadRequestError extends ChecklyError {
  override readonly name = 'BadRequestError';
  readonly kind = 'bad_request';
}

export class UnauthorizedError extends ChecklyError {
  override readonly name = 'UnauthorizedError';
  readonly kind = 'unauthorized';
}

export class PaymentRequiredError extends ChecklyError {
  override readonly name = 'PaymentRequiredError';
  readonly kind = 'payment_required';
}

export class ForbiddenError extends ChecklyError {
  override readonly name = 'ForbiddenError';
  readonly kind = 'forbidden';
}

export class NotFoundError extends ChecklyError {
  override readonly name = 'NotFoundError';
  readonly kind = 'not_found';
}

export class RateLimitedError extends ChecklyError {
  override readonly name = 'RateLimitedError';
  readonly kind = 'rate_limited';
  /** How long Checkly asked us to wait (its Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(details: ChecklyErrorDetails & { retryAfterMs?: number }) {
    super(details);
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

/** 5xx, and the odd 408 outside the completion long poll. */
export class ServerError extends ChecklyError {
  override readonly name = 'ServerError';
  readonly kind = 'server';
  /** Checkly's answer to 503 may say when to come back. */
  readonly retryAfterMs?: number;

  constructor(details: ChecklyErrorDetails & { retryAfterMs?: number }) {
    super(details);
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

/** No answer at all: connection refused or reset, DNS failure, timeout, abort. */
export class NetworkError extends ChecklyError {
  override readonly name: string = 'NetworkError';
  readonly kind = 'network';
  /**
   * True when the request certainly never reached Checkly (refused, unresolvable host), so even a
   * non-idempotent call may be repeated. A reset or a timeout may have been processed.
   */
  readonly neverSent: boolean;

  constructor(details: ChecklyErrorDetails & { neverSent: boolean }) {
    super(details);
    this.neverSent = details.neverSent;
  }
}

/** The caller gave up (its AbortSignal fired), typically at shutdown. Never retried. */
export class RequestAbortedError extends NetworkError {
  override readonly name: string = 'RequestAbortedError';
}

/** The error class for an HTTP status that is not a success. */
export function errorForStatus(status: number, details: Omit<ChecklyErrorDetails, 'status'> & { retryAfterMs?: number }): ChecklyError {
  const withStatus = { ...details, status };
  if (status === 400) return new BadRequestError(withStatus);
  if (status === 401) return new UnauthorizedError(withStatus);
  if (status === 402) return new PaymentRequiredError(withStatus);
  if (status === 403) return new ForbiddenError(withStatus);
  if (status === 404) return new NotFoundError(withStatus);
  if (status === 429) return new RateLimitedError(withStatus);
  if (status >= 500 || status === 408) return new ServerError(withStatus);
  // Other 4xx (and redirects, which we never follow): our request was wrong in a way we cannot fix by waiting.
  return new BadRequestError(withStatus);
}

/**
 * What Checkly said in its ApiError body (`message`), or the status text when the body is not one
 * (a proxy's HTML page, an empty body). Any secret the server echoes back is masked.
 */
export function apiErrorMessage(body: unknown, status: number, secrets: Secrets): string {
  const said = isRecord(body) ? messageText(body.message) : undefined;
  const text = said && said.trim() !== '' ? said : (STATUS_CODES[status] ?? `HTTP ${status}`);
  return truncate(secrets.scrubText(text), MAX_MESSAGE_LENGTH);
}

function messageText(message: unknown): string | undefined {
  if (typeof message === 'string') return message;
  // Validation errors sometimes come as a list of messages.
  if (Array.isArray(message) && message.every((m) => typeof m === 'string')) return message.join('; ');
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Maps any failure of a Checkly call to the run domain's error, for rendering and storage. */
export function toRunError(err: unknown): RunError {
  if (err instanceof ChecklyError) {
    const runError: RunError = { kind: err.kind, message: err.checklyMessage };
    if (err.status !== undefined) runError.status = err.status;
    return runError;
  }
  // Not ours: its message may hold anything (a URL with credentials, a header dump), so say nothing of it.
  return { kind: 'network', message: 'Unexpected error while talking to Checkly.' };
}

/** `call`, failing with the domain's RunFailure (the ports' failure) rather than a Checkly error. */
export async function asRunFailure<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw new RunFailure(toRunError(err));
  }
}
