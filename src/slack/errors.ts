import { webApi } from '@slack/bolt';

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
