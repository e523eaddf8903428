/**
 * What start-up checks before it takes work, and what /healthz adds in Socket Mode: a wrong key or
 * token should stop the process with one line naming the variable, not surface at the first run.
 */
import type { ChecklyClient } from '../checkly/client';
import { ChecklyError, ForbiddenError, UnauthorizedError } from '../checkly/errors';
import type { Logger } from '../shared/log';
import { platformError } from '../slack/errors';

/**
 * One authenticated request to Checkly. 401 or 403 stops start-up (the key or the account ID is
 * wrong); anything else (Checkly unreachable, 5xx, 429) is a warning: runs retry on their own.
 */
export async function checkChecklyAccess(client: Pick<ChecklyClient, 'account'>, apiUrl: string, logger: Logger): Promise<void> {
  try {
    const account = await client.account();
    logger.info({ account: account.name ?? account.id }, 'Checkly key and account verified');
  } catch (err) {
    if (err instanceof UnauthorizedError || err instanceof ForbiddenError) {
      throw new Error(
        `Checkly refused CHECKLY_API_KEY / CHECKLY_ACCOUNT_ID (${err.status ?? ''} ${err.checklyMessage}): ` +
          'check the key (User settings, API keys) and that the account ID (Account settings, General) is the key’s account',
      );
    }
    const why = err instanceof ChecklyError ? err.checklyMessage : 'unexpected error';
    logger.warn({ url: apiUrl, why }, 'Checkly could not be checked at start-up (CHECKLY_API_URL); starting anyway');
  }
}

/** The error Start-up reports when Slack answers a token with an error code. */
export function slackRefused(variable: 'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN', err: unknown): Error | undefined {
  const code = platformError(err);
  return code ? new Error(`Slack refused ${variable} (${code})`) : undefined;
}

/** The error Start-up reports when no answer came from Slack at all: the URL tried and why. */
export function slackUnreachable(apiUrl: string, err: unknown): Error {
  return new Error(`Slack could not be reached at SLACK_API_URL (${apiUrl}): ${networkCause(err)}`);
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/**
 * Why a request got no answer, in words an operator acts on: DNS, refused, TLS, timeout. Reads the
 * error chain (Slack's RequestError wraps fetch's TypeError, which wraps the system error).
 */
export function networkCause(err: unknown): string {
  const chain: Array<{ code?: unknown; message?: unknown; cause?: unknown; original?: unknown }> = [];
  let node: unknown = err;
  for (let i = 0; i < 5 && node && typeof node === 'object'; i += 1) {
    const e = node as { code?: unknown; message?: unknown; cause?: unknown; original?: unknown };
    chain.push(e);
    node = e.original ?? e.cause;
  }
  // The system's code, not the wrappers' (slack_webapi_request_error says only "no answer").
  const code = chain.map((e) => e.code).find((c): c is string => typeof c === 'string' && !c.startsWith('slack_'));
  const messages = chain.map((e) => e.message).filter((m): m is string => typeof m === 'string');
  if (code && DNS_CODES.has(code)) return `DNS lookup failed (${code})`;
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (code && TIMEOUT_CODES.has(code)) return `timed out (${code})`;
  if (code && /CERT|SSL|TLS|EPROTO/.test(code)) return `TLS failed (${code})`;
  if (code === 'ECONNRESET') return 'connection reset (ECONNRESET)';
  // Anything else as the innermost error says it, e.g. fetch refusing a port browsers block ("bad port").
  const detail = messages[messages.length - 1];
  return code ? `${code}${detail ? `: ${detail}` : ''}` : (detail ?? 'no answer');
}

/**
 * Socket Mode's part of /healthz: unhealthy once the socket has been down longer than `graceMs`
 * (a reconnect normally takes a few seconds; longer means Slack's requests are not reaching us).
 */
export class SocketHealth {
  private downSince: number | undefined;

  constructor(
    private readonly now: () => number,
    private readonly graceMs: number,
  ) {
    // Down until the first hello.
    this.downSince = now();
  }

  connected(): void {
    this.downSince = undefined;
  }

  disconnected(): void {
    this.downSince ??= this.now();
  }

  ok(): boolean {
    return this.downSince === undefined || this.now() - this.downSince <= this.graceMs;
  }
}
