import { randomUUID } from 'node:crypto';
import dotenv from 'dotenv';
import type { Server } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, webApi, type Receiver } from '@slack/bolt';
import { UsergroupMembership } from './access/usergroups';
import { renderRun } from './blocks/run';
import { renderFailureReply } from './blocks/thread';
import { ChecklyBudget } from './checkly/budget';
import { ChecklyClient } from './checkly/client';
import { registerActions } from './actions';
import { registerCommands } from './commands';
import { loadConfig, type Config } from './config';
import { boltLogger, createLogger, type Logger } from './log';
import { Metrics } from './metrics';
import { countRuns, meteredSlackFetch } from './metrics-hooks';
import { operatorRoutes } from './operator-routes';
import { redactSecrets } from './secrets';
import { Runner } from './runs/runner';
import { openState } from './runs/state';
import { SessionTracker } from './runs/tracker';
import { platformError } from './slack/errors';
import { SlackRunMessages } from './slack/run-messages';

const VERSION: string = require('../package.json').version;

/** SIGTERM to exit: well inside the 10 s a platform usually grants. */
const SHUTDOWN_DEADLINE_MS = 8000;
/** The Checkly web app, whose links the run messages carry. */
const CHECKLY_APP = 'https://app.checklyhq.com';
/** Of which commands and clicks in flight may take this long to record their trigger. */
const DRAIN_MS = 5000;

/** Slack calls are retried briefly: a message that is minutes late is worse than one update skipped. */
const SLACK_RETRIES = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 4000, randomize: true };

export interface Running {
  /** The HTTP port Slack's requests arrive at (HTTP mode only). */
  port?: number;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where log lines go (standard output by default); tests read them. */
  logDestination?: { write(line: string): unknown };
  now?: () => number;
}

/** Builds everything from the configuration and starts listening. */
export async function startApp(config: Config, options: StartOptions = {}): Promise<Running> {
  const secrets = secretsOf(config);
  const logger = createLogger({ level: config.logLevel, secrets, destination: options.logDestination });
  const now = options.now ?? Date.now;
  const metrics = new Metrics();

  const checklyBudget = new ChecklyBudget({ maxRequestsPerMinute: config.checkly.maxRequestsPerMinute, logger });
  const checkly = new ChecklyClient({
    baseUrl: config.checkly.apiUrl,
    apiKey: config.checkly.apiKey,
    accountId: config.checkly.accountId,
    userAgent: `checkly-slack/${VERSION}`,
    timeoutMs: config.checkly.requestTimeoutMs,
    beforeRequest: checklyBudget.beforeRequest,
    onResponse: (info) => {
      checklyBudget.onResponse(info);
      metrics.checklyResponse(info);
    },
  });
  const state = await openState(config, logger, now);
  const { store, dispatcher } = state;

  const customRoutes = operatorRoutes({
    metrics,
    healthy: () => state.healthy(),
    onUnhealthy: (why) => logger.warn({ why }, 'health check failed'),
  });
  const fetch = meteredSlackFetch(metrics);
  const receiver: Receiver = config.slack.appToken
    ? new SocketModeReceiver({
        appToken: config.slack.appToken,
        logger: boltLogger(logger),
        customRoutes,
        // In Socket Mode, Bolt serves the custom routes on their own small HTTP server, on PORT.
        installerOptions: { port: config.slack.port, clientOptions: { slackApiUrl: config.slack.apiUrl, retryConfig: SLACK_RETRIES, fetch } },
      })
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret ?? '',
        endpoints: '/slack/events',
        customRoutes,
        logger: boltLogger(logger),
      });
  const clientOptions = { slackApiUrl: config.slack.apiUrl, retryConfig: SLACK_RETRIES, logger: boltLogger(logger), fetch };
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

  // "Open in Checkly" of a run of several checks (or of one cut off before its sessions were known):
  // the account's check sessions, every session of the run among them, rather than its first one.
  const checklyAppUrl = `${CHECKLY_APP}/accounts/${config.checkly.accountId}/check-sessions`;
  const messages = new SlackRunMessages({
    // Its own client, which hands 429s to the message budgets rather than retrying behind their back.
    client: new webApi.WebClient(config.slack.botToken, { ...clientOptions, rejectRateLimitedCalls: true }),
    render: (run) => redactSecrets(renderRun(run, { now: now(), interactive: true, checklyAppUrl }), secrets),
    renderFailureReply: (run) => redactSecrets(renderFailureReply(run), secrets),
    intervalMs: config.slack.updateIntervalMs,
    maxUpdatesPerMinute: config.slack.maxUpdatesPerMinute,
    now,
    logger,
    onShown: (run, shown) => {
      store
        .update(run.id, (r) => {
          r.shown = shown;
        })
        .catch((err: unknown) => logger.warn({ runId: run.id, err: String(err) }, 'could not record what the message shows'));
    },
  });
  let runner: Runner | undefined;
  const tracker = new SessionTracker({
    checkly,
    pollWaitSeconds: config.checkly.pollWaitSeconds,
    pollRequestsPerMinute: pollRequestsPerMinute(config),
    beforePoll: () => checklyBudget.reserve('completion'),
    retryDelayMs: 1000,
    logger,
    onFinal: (runId, sessionId, outcome) => runner!.sessionFinal(runId, sessionId, outcome),
  });
  metrics.observeSessionsFollowed(() => tracker.size);
  metrics.observeQueueDepth('checkly_requests', () => checklyBudget.waiting);
  metrics.observeQueueDepth('session_polls', () => tracker.waiting);
  metrics.observeQueueDepth('slack_updates', () => messages.waiting.updates);
  metrics.observeQueueDepth('slack_posts', () => messages.waiting.posts);
  runner = new Runner({
    store,
    checkly,
    messages: countRuns(messages, metrics),
    tracker,
    dispatcher,
    runTimeoutMs: config.runs.timeoutMs,
    triggerTimeoutMs: config.runs.triggerTimeoutMs,
    sweepIntervalMs: config.runs.sweepIntervalMs,
    now,
    newId: randomUUID,
    logger,
  });

  const groups = config.access.allowedUsergroups;
  const access = {
    policy: config.access,
    usergroups: groups && groups.size > 0 ? new UsergroupMembership({ client: app.client, groups: [...groups], logger }) : undefined,
  };
  registerCommands(app, { runner, commandName: config.slack.command, logger, now, access, metrics });
  registerActions(app, { runner, commandName: config.slack.command, logger, access, metrics });
  app.error(async (error) => {
    logger.error({ err: error.message, code: error.code }, 'unhandled error in a listener');
  });

  const started = (await app.start(config.slack.port)) as unknown;
  await dispatcher.start((runId, signal) => runner!.follow(runId, signal));
  // Not only at start: every unsettled run is looked at all the time (see Runner.sweep).
  void runner.sweep();
  const sweeper = setInterval(() => void runner!.sweep(), config.runs.sweepIntervalMs);
  sweeper.unref();
  const port = isServer(started) ? addressPort(started) : undefined;
  logger.info({ mode: config.slack.appToken ? 'socket' : 'http', port, version: VERSION }, 'checkly-slack started');

  return {
    port,
    logger,
    /**
     * Stops taking work, waits (briefly) for the commands and clicks in flight, hands the runs it
     * follows over, and closes the store. What it could not finish, the next process's sweep does.
     */
    async stop() {
      await app.stop();
      clearInterval(sweeper);
      await runner?.drain(DRAIN_MS);
      runner?.stop();
      await dispatcher.stop();
      tracker.stop();
      checklyBudget.stop();
      messages.stop();
      checkly.close();
      await state.close();
    },
  };
}

/**
 * What the long polls may spend of the Checkly budget: four fifths, leaving the rest to triggers,
 * cancels and error lines (the budget itself still caps everything together).
 */
function pollRequestsPerMinute(config: Config): number {
  return Math.max(1, Math.floor(config.checkly.maxRequestsPerMinute * 0.8));
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

/**
 * A fault nobody caught (a store or network error in some callback) is logged, and the app keeps
 * serving: the sweep finishes whatever it interrupted. Only a broken configuration exits.
 */
export function keepServingOnFaults(proc: Pick<NodeJS.Process, 'on'>, logger: Logger): void {
  proc.on('unhandledRejection', (reason: unknown) => {
    logger.error({ err: reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason) }, 'unhandled rejection');
  });
  proc.on('uncaughtException', (err: Error) => {
    logger.error({ err: `${err.name}: ${err.message}` }, 'uncaught exception');
  });
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
  keepServingOnFaults(process, running.logger);
  const shutdown = () => {
    // Runs are saved as they change; stopping only hands them over. Never hang past Kubernetes' grace.
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    void running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
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
