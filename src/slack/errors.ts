import { webApi } from '@slack/bolt';

const { ErrorCode } = webApi;

/** The `error` code of a Slack Web API error answer (`not_in_channel`, ...), if that is what `err` is. */
export function platformError(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; data?: { error?: unknown } };
  if (e.code === ErrorCode.PlatformError && typeof e.data?.error === 'string') return e.data.error;
  return undefined;
}
