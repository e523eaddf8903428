import { randomUUID } from 'node:crypto';
import dotenv from 'dotenv';
import type { Server } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, webApi, type Receiver } from '@slack/bolt';
import { renderRun } from './blocks/run';
import { renderFailureReply } from './blocks/thread';
import { ChecklyClient } from './checkly/client';
import { registerActions } from './actions';
import { registerCommands } from './commands';
import { loadConfig, type Config } from './config';
import { boltLogger, createLogger } from './log';
import { Runner } from './runs/runner';
import { MemoryRunStore } from './runs/store';
import { SessionTracker } from './runs/tracker';
import { platformError } from './slack/errors';
import { SlackRunMessages } from './slack/run-messages';

const VERSION: string = require('../package.json').version;

/** Slack calls are retried briefly: a message that is minutes late is worse than one update skipped. */
const SLACK_RETRIES = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 4000, randomize: true };

export interface Running {
  /** The HTTP port Slack's requests arrive at (HTTP mode only). */
  port?: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where log lines go (standard output by default); tests read them. */
  logDestination?: { write(line: string): unknown };
  now?: () => number;
}

/** Builds everything from the configuration and starts listening. */
export async function startApp(config: Config, options: StartOptions = {}): Promise<Running> {
  const logger = createLogger({ level: config.logLevel, secrets: secretsOf(config), destination: options.logDestination });
  const now = options.now ?? Date.now;

  const checkly = new ChecklyClient({
    baseUrl: config.checkly.apiUrl,
    apiKey: config.checkly.apiKey,
    accountId: config.checkly.accountId,
    userAgent: `checkly-slack/${VERSION}`,
    timeoutMs: config.checkly.requestTimeoutMs,
  });
  const store = new MemoryRunStore();

  const receiver: Receiver = config.slack.appToken
    ? new SocketModeReceiver({
        appToken: config.slack.appToken,
        logger: boltLogger(logger),
        installerOptions: { clientOptions: { slackApiUrl: config.slack.apiUrl, retryConfig: SLACK_RETRIES } },
      })
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret ?? '',
        endpoints: '/slack/events',
        logger: boltLogger(logger),
      });
  const clientOptions = { slackApiUrl: config.slack.apiUrl, retryConfig: SLACK_RETRIES, logger: boltLogger(logger) };
  // Verified here rather than by Bolt, so that a bad token stops start-up with a clear line.
  const identity = await verifyBotToken(new webApi.WebClient(config.slack.botToken, clientOptions));
  const app = new App({
    token: config.slack.botToken,
    botId: identity.botId,
    botUserId: identity.userId,
    tokenVerificationEnabled: false,
    receiver,
    logger: boltLogger(logger),
    clientOptions,
  });

  const messages = new SlackRunMessages({
    client: app.client,
    render: (run) => renderRun(run, { now: now(), interactive: true }),
    renderFailureReply,
    intervalMs: config.slack.updateIntervalMs,
    now,
    logger,
  });
  let runner: Runner | undefined;
  const tracker = new SessionTracker({
    checkly,
    pollWaitSeconds: config.checkly.pollWaitSeconds,
    maxConcurrentPolls: concurrentPolls(config),
    retryDelayMs: 1000,
    logger,
    onFinal: (runId, sessionId, outcome) => runner!.sessionFinal(runId, sessionId, outcome),
  });
  runner = new Runner({
    store,
    checkly,
    messages,
    tracker,
    runTimeoutMs: config.runs.timeoutMs,
    now,
    newId: randomUUID,
    logger,
  });

  registerCommands(app, { runner, commandName: config.slack.command, logger, now });
  registerActions(app, { runner, commandName: config.slack.command, logger });
  app.error(async (error) => {
    logger.error({ err: error.message, code: error.code }, 'unhandled error in a listener');
  });

  const started = (await app.start(config.slack.port)) as unknown;
  const port = isServer(started) ? addressPort(started) : undefined;
  logger.info({ mode: config.slack.appToken ? 'socket' : 'http', port, version: VERSION }, 'checkly-slack started');

  return {
    port,
    async stop() {
      tracker.stop();
      runner?.stop();
      messages.stop();
      await app.stop();
      checkly.close();
      await store.close();
    },
  };
}

/**
 * Long polls that may be open at once: each costs one request per wait while its session runs, so
 * this many keep the app within its Checkly budget with a fifth of it to spare for other calls.
 */
function concurrentPolls(config: Config): number {
  const { maxRequestsPerMinute, pollWaitSeconds } = config.checkly;
  return Math.max(1, Math.floor(((maxRequestsPerMinute * 0.8) / 60) * pollWaitSeconds));
}

async function verifyBotToken(client: webApi.WebClient): Promise<{ botId?: string; userId?: string }> {
  try {
    const auth = await client.auth.test();
    return { botId: auth.bot_id, userId: auth.user_id };
  } catch (err) {
    const code = platformError(err);
    throw new Error(code ? `Slack refused SLACK_BOT_TOKEN (${code})` : `Slack could not be reached at SLACK_API_URL`);
  }
}

function secretsOf(config: Config): string[] {
  return [config.slack.botToken, config.slack.signingSecret, config.slack.appToken, config.checkly.apiKey].filter(
    (s): s is string => typeof s === 'string' && s !== '',
  );
}

function isServer(value: unknown): value is Server {
  return typeof value === 'object' && value !== null && 'address' in value;
}

function addressPort(server: Server): number | undefined {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : undefined;
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`config: ${problem}\n`);
    process.stderr.write('See .env.example and the README for every variable.\n');
    process.exit(1);
  }
  const running = await startApp(loaded.config);
  const shutdown = () => {
    void running.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`checkly-slack failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
