import { setTimeout as wait } from 'node:timers/promises';
import pRetry from 'p-retry';
import { NetworkError, RateLimitedError, RequestAbortedError, ServerError } from './errors';
import type { ChecklyOperation } from './operation';

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** Backoff before the first retry; doubles (with jitter) for each further one. */
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** No retry starts later than this after the first attempt began. */
  maxRetryTimeMs: number;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  retries: 4,
  minTimeoutMs: 500,
  maxTimeoutMs: 10_000,
  maxRetryTimeMs: 60_000,
};

/**
 * Answers after which Checkly certainly created no session: the gateway or limiter turned the trigger
 * away. Not 504: a gateway timeout can come after the backend created the sessions.
 */
const TRIGGER_REJECTED_STATUSES = new Set([429, 502, 503]);

export function isRetryable(err: unknown, operation: ChecklyOperation): boolean {
  if (err instanceof RequestAbortedError) return false;
  if (operation === 'trigger' || operation === 'alert-channel-create') {
    // The trigger is not idempotent: a repeat after a request Checkly may have processed creates a
    // second session per check. So a 500, a reset or a response timeout (any of which may follow a
    // successful creation) is not retried; only answers that say "not processed" and requests that
    // never left are.
    if (err instanceof RateLimitedError) return true;
    if (err instanceof ServerError) return err.status !== undefined && TRIGGER_REJECTED_STATUSES.has(err.status);
    if (err instanceof NetworkError) return err.neverSent;
    return false;
  }
  // The other calls are reads, or (cancel) idempotent on Checkly's side: repeating them is harmless.
  return err instanceof RateLimitedError || err instanceof ServerError || err instanceof NetworkError;
}

/** Milliseconds a Retry-After header asks for: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: unknown, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined; // "-1", "1.5": malformed, not a date
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Exponential backoff with jitter (factor 1..2), so that many clients turned away together do not return together. */
export function backoffMs(retryNumber: number, options: RetryOptions, random: () => number): number {
  const base = options.minTimeoutMs * 2 ** (retryNumber - 1);
  return Math.min(options.maxTimeoutMs, Math.round(base * (1 + random())));
}

export interface RetryPolicy {
  options: RetryOptions;
  shouldRetry(err: unknown): boolean;
  signal?: AbortSignal;
  /** The error to throw when `signal` fires during a wait. */
  aborted(): Error;
  random?: () => number;
}

/** Carries an attempt's failure through p-retry, which decorates what it is given with counters. */
class AttemptFailed extends Error {
  constructor(readonly failure: unknown) {
    super('Checkly attempt failed');
  }
}

/**
 * Runs `attempt` until it succeeds, a failure is not retryable, the retries are spent or the time is up,
 * and rejects with the attempt's own failure. p-retry counts attempts; the waits are ours, because a
 * wait must honour Retry-After, fit inside maxRetryTimeMs and end when the caller aborts.
 */
export async function withRetry<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const { options, signal } = policy;
  const random = policy.random ?? Math.random;
  const startedAt = Date.now();
  let failure: unknown;
  try {
    return await pRetry(
      async () => {
        try {
          return await attempt();
        } catch (err) {
          failure = err;
          if (!policy.shouldRetry(err)) throw new pRetry.AbortError(new AttemptFailed(err));
          throw new AttemptFailed(err);
        }
      },
      {
        retries: options.retries,
        minTimeout: 0,
        maxTimeout: 0,
        onFailedAttempt: async ({ attemptNumber, retriesLeft }) => {
          if (retriesLeft <= 0) return;
          const retryAfterMs = retryAfterOf(failure);
          const waitMs = Math.max(backoffMs(attemptNumber, options, random), retryAfterMs ?? 0);
          const remainingMs = options.maxRetryTimeMs - (Date.now() - startedAt);
          // Waiting past the retry deadline would only delay the same failure; a RateLimitedError keeps its retryAfterMs.
          if (waitMs > remainingMs) throw new AttemptFailed(failure);
          try {
            await sleep(waitMs, signal, policy.aborted);
          } catch (err) {
            failure = err;
            throw err;
          }
        },
      },
    );
  } catch (err) {
    throw failure ?? err;
  }
}

function retryAfterOf(err: unknown): number | undefined {
  if (err instanceof RateLimitedError || err instanceof ServerError) return err.retryAfterMs;
  return undefined;
}

/** Waits `ms`; rejects with `aborted()` when `signal` aborts first. */
async function sleep(ms: number, signal: AbortSignal | undefined, aborted: () => Error): Promise<void> {
  try {
    await wait(ms, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw aborted();
    throw err;
  }
}
