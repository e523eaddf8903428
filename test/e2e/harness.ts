import { startApp, type Running } from '../../src/app';
import { loadConfig } from '../../src/config';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { blockActionsBody, postSigned, slashCommandBody, type SlashCommandFields } from '../fakes/sign';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack';

export const SECRETS = {
  botToken: 'xoxb-e2e-bot-token-0000000001',
  appToken: 'xapp-e2e-app-token-0000000002',
  signingSecret: 'e2e-signing-secret-0000000003',
  checklyApiKey: 'cu_e2e_checkly_api_key_0000000004',
};
export const ACCOUNT_ID = '6a1b0c4e-8f3d-4a52-9a7e-2f1c3b4d5e6f';

export interface Harness {
  slack: FakeSlack;
  checkly: FakeCheckly;
  app: Running;
  /** Every line the app logged. */
  logs: string[];
  /** The app's request URL (HTTP mode). */
  eventsUrl: string;
  command(text: string, fields?: Partial<SlashCommandFields>): Promise<{ status: number; body: string }>;
  action(payload: object): Promise<{ status: number; body: string }>;
  /** The run messages the bot posted in a channel, oldest first (thread replies excluded). */
  runMessages(channel?: string): FakeMessage[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  socketMode?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const slack = await startFakeSlack({ botToken: SECRETS.botToken, appToken: SECRETS.appToken });
  const checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: SECRETS.botToken,
    SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    CHECKLY_API_KEY: SECRETS.checklyApiKey,
    CHECKLY_ACCOUNT_ID: ACCOUNT_ID,
    CHECKLY_API_URL: checkly.url,
    PORT: '0',
    CHECKLY_POLL_WAIT_SECONDS: '2',
    SLACK_UPDATE_INTERVAL_MS: '200',
    LOG_LEVEL: 'debug',
    ...(options.socketMode ? { SLACK_APP_TOKEN: SECRETS.appToken } : {}),
    ...options.env,
  };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`bad test config: ${loaded.problems.join('; ')}`);
  const logs: string[] = [];
  const app = await startApp(loaded.config, { logDestination: { write: (line: string) => logs.push(line) } });
  const eventsUrl = `http://127.0.0.1:${app.port}/slack/events`;

  return {
    slack,
    checkly,
    app,
    logs,
    eventsUrl,
    command: (text, fields = {}) =>
      postSigned(
        eventsUrl,
        slashCommandBody({ text, command: '/checkly', response_url: slack.responseUrl(`cmd-${Math.random()}`), ...fields }),
        SECRETS.signingSecret,
      ),
    action: (payload) => postSigned(eventsUrl, blockActionsBody(payload), SECRETS.signingSecret),
    runMessages: (channel = 'C0FAKE') =>
      [...slack.messages.values()].filter((m) => m.channel === channel && !isThreadReply(m)),
    async close() {
      await app.stop();
      await Promise.all([slack.close(), checkly.close()]);
    },
  };
}

function isThreadReply(message: FakeMessage): boolean {
  return message.thread_ts !== undefined && message.thread_ts !== message.ts;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
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
