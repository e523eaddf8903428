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

/**
 * Slack's answers to chat.postMessage that say the conversation is not one the bot can post in: no
 * retry changes them (unlike `internal_error` or `ratelimited`), so the run is not started.
 */
const CHANNEL_REFUSALS: ReadonlySet<string> = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
  'cannot_reply_to_message',
  'ekm_access_denied',
  'no_permission',
  'team_access_not_granted',
  'messages_tab_disabled',
]);

/** Slack's code when `err` says the bot cannot post in that conversation; undefined for any other error. */
export function channelRefusal(err: unknown): string | undefined {
  const code = platformError(err);
  return code !== undefined && CHANNEL_REFUSALS.has(code) ? code : undefined;
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
