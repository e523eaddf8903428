import { webApi } from '@slack/bolt';
import { SlackTimeout } from './http';

const { ErrorCode } = webApi;

/** The `error` code of a Slack Web API error answer (`not_in_channel`, ...), if that is what `err` is. */
export function platformError(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; data?: { error?: unknown } };
  if (e.code === ErrorCode.PlatformError && typeof e.data?.error === 'string') return e.data.error;
  return undefined;
}

const ERROR_CODE = /^[a-z_]{1,64}$/;

/**
 * A Slack answer as the call metrics label it: undefined when it is ok, else Slack's error code, or
 * `other` for anything that does not look like one (not a label worth a series).
 */
export function callLabel(answer: { ok?: unknown; error?: unknown }): string | undefined {
  if (answer.ok === true) return undefined;
  return typeof answer.error === 'string' && ERROR_CODE.test(answer.error) ? answer.error : 'other';
}

/**
 * Whether `err` is a Web API call that got no answer within SLACK_REQUEST_TIMEOUT_MS (slack/http.ts):
 * Slack may have carried it out. A post that timed out is not sent again, lest it appear twice.
 */
export function isUnanswered(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; original?: unknown };
  return e.code === ErrorCode.RequestError && e.original instanceof SlackTimeout;
}
