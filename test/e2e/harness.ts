import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp, type Running } from '../../src/app';
import { allowingOrigin } from '../../src/checkly/redirects';
import { loadConfig } from '../../src/config';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { blockActionsBody, postEvent, postSigned, slashCommandBody, type SlashCommandFields } from '../fakes/sign';
import { startFakeSlack, type FakeMessage, type FakeSlack, type FakeSlackOptions } from '../fakes/slack';
import { waitFor } from '../helpers';

export { waitFor };

export const SECRETS = {
  botToken: 'xoxb-e2e-bot-token-0000000001',
  appToken: 'xapp-e2e-app-token-0000000002',
  signingSecret: 'e2e-signing-secret-0000000003',
  checklyApiKey: 'cu_e2e_checkly_api_key_0000000004',
};
export const ACCOUNT_ID = '6a1b0c4e-8f3d-4a52-9a7e-2f1c3b4d5e6f';

/** The variables that point the app at the fakes, with the test credentials. */
export function fakeEnv(slack: FakeSlack, checkly: FakeCheckly): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: SECRETS.botToken,
    SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    CHECKLY_API_KEY: SECRETS.checklyApiKey,
    CHECKLY_ACCOUNT_ID: ACCOUNT_ID,
    CHECKLY_API_URL: checkly.url,
  };
}

export interface Harness {
  slack: FakeSlack;
  checkly: FakeCheckly;
  app: Running;
  /** Every line the app logged. */
  logs: string[];
  /** The app's request URL (HTTP mode). */
  eventsUrl: string;
  /** The variables the app was started with. */
  env: Readonly<Record<string, string>>;
  command(text: string, fields?: Partial<SlashCommandFields>): Promise<{ status: number; body: string }>;
  action(payload: object): Promise<{ status: number; body: string }>;
  /** An Events API delivery (`function_executed`, `app_home_opened`), signed as Slack signs it. */
  event(envelope: object): Promise<{ status: number; body: string }>;
  /**
   * Clicks a button on a message the bot posted, with a block_actions payload shaped as Slack sends
   * it. Returns the response_url id, whose posts land in `slack.responsePosts`.
   */
  click(message: FakeMessage, actionId: string | RegExp, user?: string): Promise<{ status: number; responseId: string }>;
  /** The run messages the bot posted in a channel, oldest first (thread replies excluded). */
  runMessages(channel?: string): FakeMessage[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  socketMode?: boolean;
  /** How the fake Slack behaves (its tokens are the harness's). */
  slack?: Omit<FakeSlackOptions, 'botToken' | 'appToken'>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const slack = await startFakeSlack({ ...options.slack, botToken: SECRETS.botToken, appToken: SECRETS.appToken });
  const checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
  const env: Record<string, string> = {
    ...fakeEnv(slack, checkly),
    PORT: '0',
    CHECKLY_POLL_WAIT_SECONDS: '2',
    // The budgets have their own tests and the benchmark; here they would only slow big runs down.
    CHECKLY_MAX_REQUESTS_PER_MINUTE: '20000',
    SLACK_MAX_UPDATES_PER_MINUTE: '1000',
    SLACK_UPDATE_INTERVAL_MS: '200',
    LOG_LEVEL: 'debug',
    STATE_DIR: mkdtempSync(path.join(tmpdir(), 'checkly-slack-e2e-')),
    ...(options.socketMode ? { SLACK_APP_TOKEN: SECRETS.appToken } : {}),
    ...options.env,
  };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`bad test config: ${loaded.problems.join('; ')}`);
  const logs: string[] = [];
  // The fake Checkly's storage is on loopback, over http: allowed for it alone, as production allows neither.
  const app = await startApp(loaded.config, { logDestination: { write: (line: string) => logs.push(line) }, assetRedirects: allowingOrigin(checkly.url) });
  // The start-up key check (startup-checks.test.ts) is not caused by a test's own actions: forget it.
  const probe = checkly.requests.findIndex((r) => r.op === 'account');
  if (probe >= 0) checkly.requests.splice(probe, 1);
  const eventsUrl = `http://127.0.0.1:${app.port}/slack/events`;

  return {
    slack,
    checkly,
    app,
    logs,
    eventsUrl,
    env,
    command: (text, fields = {}) =>
      postSigned(
        eventsUrl,
        slashCommandBody({
          text,
          command: '/checkly',
          response_url: slack.responseUrl(`cmd-${Math.random()}`),
          // As Slack does: a trigger_id for a modal, good for 3 s, in every command.
          trigger_id: slack.views.issueTriggerId(fields.user_id ?? 'U0ALICE'),
          ...fields,
        }),
        SECRETS.signingSecret,
      ),
    async action(payload) {
      const res = await postSigned(eventsUrl, blockActionsBody(payload), SECRETS.signingSecret);
      // Slack acts on a submission's answer: it closes the modal, updates it or shows its errors.
      if (res.status === 200) slack.views.settle(payload, res.body);
      return res;
    },
    event: (envelope) => postEvent(eventsUrl, envelope, SECRETS.signingSecret),
    async click(message, actionId, user = 'U0BOB') {
      const found = findButton(message.blocks ?? [], actionId);
      if (!found) throw new Error(`no button ${String(actionId)} on message ${message.ts}`);
      const responseId = `click-${Math.random().toString(36).slice(2)}`;
      const payload = blockActionsPayload(message, found.button, found.blockId, user, slack.responseUrl(responseId), slack.views.issueTriggerId(user));
      const res = await postSigned(eventsUrl, blockActionsBody(payload), SECRETS.signingSecret);
      return { status: res.status, responseId };
    },
    runMessages: (channel = 'C0FAKE') => [...slack.messages.values()].filter((m) => m.channel === channel && !isThreadReply(m)),
    async close() {
      await app.stop();
      // Let a Socket Mode client finish its close handshake; cut short, it waits 30 s for the peer.
      await waitFor(() => slack.socketConnections() === 0, 2000, 'the socket to close').catch(() => undefined);
      await Promise.all([slack.close(), checkly.close()]);
    },
  };
}

function isThreadReply(message: FakeMessage): boolean {
  return message.thread_ts !== undefined && message.thread_ts !== message.ts;
}

/** All the text a message shows: its fallback and every text object in its blocks. */
export function messageText(message: { text?: string; blocks?: unknown[] }): string {
  const parts: string[] = [message.text ?? ''];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') parts.push(value);
        else visit(value);
      }
    }
  };
  visit(message.blocks ?? []);
  return parts.join('\n');
}

interface ButtonElement {
  type: 'button';
  action_id: string;
  value?: string;
  text: { type: 'plain_text'; text: string };
}

export function findButton(blocks: unknown[], actionId: string | RegExp): { button: ButtonElement; blockId: string } | undefined {
  const matches = (id: string) => (typeof actionId === 'string' ? id === actionId : actionId.test(id));
  for (const [i, block] of (blocks as Array<Record<string, unknown>>).entries()) {
    const blockId = typeof block.block_id === 'string' ? block.block_id : `block-${i}`;
    const candidates = [...((block.elements as unknown[]) ?? []), block.accessory].filter(Boolean) as Array<Record<string, unknown>>;
    for (const element of candidates) {
      if (element.type === 'button' && typeof element.action_id === 'string' && matches(element.action_id)) {
        return { button: element as unknown as ButtonElement, blockId };
      }
    }
  }
  return undefined;
}

/** A block_actions payload as Slack sends it for a click on a button in a channel message. */
export function blockActionsPayload(
  message: FakeMessage,
  button: ButtonElement,
  blockId: string,
  user: string,
  responseUrl: string,
  /** As Slack puts in every click: what views.open needs within 3 s (issued by the fake Slack). */
  triggerId = `${Date.now()}.1234.abcdef`,
) {
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0FAKE' },
    api_app_id: 'A0FAKEAPP',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    trigger_id: triggerId,
    team: { id: 'T0FAKE', domain: 'fake' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: message.channel, name: 'general' },
    message: { type: 'message', user: 'U0FAKEBOT', bot_id: 'B0FAKEBOT', ts: message.ts, text: message.text, blocks: message.blocks },
    state: { values: {} },
    response_url: responseUrl,
    actions: [
      {
        type: 'button',
        action_id: button.action_id,
        block_id: blockId,
        text: button.text,
        value: button.value,
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}
