import { createHmac } from 'node:crypto';

/**
 * Requests as Slack sends them to an app over HTTP: form-encoded bodies signed with the signing secret
 * (`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`, docs/commands.md#slacks-limits).
 */

export function signSlackRequest(signingSecret: string, rawBody: string, timestamp: number = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
  return { 'X-Slack-Request-Timestamp': String(timestamp), 'X-Slack-Signature': `v0=${signature}` };
}

export interface SlashCommandFields {
  token: string;
  team_id: string;
  team_domain: string;
  channel_id: string;
  channel_name: string;
  user_id: string;
  user_name: string;
  command: string;
  text: string;
  api_app_id: string;
  response_url: string;
  trigger_id: string;
}

/** Defaults for a slash command; the response_url points nowhere (pass one from the fake Slack). */
export const SLASH_COMMAND_DEFAULTS: SlashCommandFields = {
  token: 'deprecated-verification-token',
  team_id: 'T0FAKE',
  team_domain: 'fake',
  channel_id: 'C0FAKE',
  channel_name: 'general',
  user_id: 'U0ALICE',
  user_name: 'alice',
  command: '/checkly',
  text: '',
  api_app_id: 'A0FAKEAPP',
  response_url: 'http://127.0.0.1:9/response-url-not-set',
  trigger_id: '1700000000.1.fake',
};

export function slashCommandBody(fields: Partial<SlashCommandFields> = {}): string {
  return new URLSearchParams({ ...SLASH_COMMAND_DEFAULTS, ...fields }).toString();
}

/**
 * Interactivity payloads (block_actions, view_submission, block_suggestion) arrive as
 * `payload=<urlencoded JSON>`; test/fakes/slack-views.ts builds the ones about modals.
 */
export function blockActionsBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface PostSignedOptions {
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  /** Sign with the wrong secret. */
  badSignature?: boolean;
  /** Send no signature headers at all. */
  unsigned?: boolean;
}

export function postSigned(url: string, body: string, secret: string, opts: PostSignedOptions = {}): Promise<{ status: number; body: string }> {
  return post(url, 'application/x-www-form-urlencoded', body, secret, opts);
}

async function post(url: string, contentType: string, body: string, secret: string, opts: PostSignedOptions): Promise<{ status: number; body: string }> {
  const signing = opts.unsigned ? {} : signSlackRequest(opts.badSignature ? `${secret}-wrong` : secret, body, opts.timestamp);
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': contentType, ...signing }, body });
  return { status: response.status, body: await response.text() };
}

/**
 * An Events API delivery as Slack sends it over HTTP: the `event_callback` envelope as a JSON body,
 * signed like every request (`function_executed`, `app_home_opened`).
 */
export function postEvent(url: string, envelope: object, secret: string, opts: PostSignedOptions = {}): Promise<{ status: number; body: string }> {
  return post(url, 'application/json', JSON.stringify(envelope), secret, opts);
}
