import { randomUUID } from 'node:crypto';
import dotenv from 'dotenv';
import type { Server } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, webApi, type Receiver } from '@slack/bolt';
import { UsergroupMembership } from './access/usergroups';
import { startRunApi, type RunApiHandle } from './api';
import { renderRun } from './blocks/run';
import { evidenceSessions, renderEvidenceReplies } from './blocks/evidence';
import { failingInOrder } from './blocks/order';
import { renderFailureReplies, renderFailureReply } from './blocks/thread';
import { ChecklyBudget } from './checkly/budget';
import { ChecklyClient } from './checkly/client';
import { evidencePort } from './checkly/evidence';
import { locationResults } from './checkly/results';
import { sessionStarter, sessionWatcher } from './checkly/sessions';
import { registerActions, registerFindActions } from './actions';
import { CatalogueCache } from './catalogue/cache';
import type { FindDeps } from './catalogue/deps';
import { listCheckGroups, listCheckStatuses, listChecks } from './checkly/catalogue';
import { registerCommands } from './commands';
import { registerOptions } from './options';
import { registerViews } from './views';
import { loadConfig, type Config } from './config';
import { boltLogger, createLogger, type Logger } from './log';
import { Metrics } from './metrics';
import { countRuns, meteredSlackFetch } from './metrics-hooks';
import { operatorRoutes } from './operator-routes';
import { redactSecrets } from './secrets';
import { Runner } from './runs/runner';
import { openState } from './store/open';
import { gatherEvidence, gatherScreenshots, type EvidenceOptions } from './runs/evidence';
import { TypicalDurations } from './runs/durations';
import { SessionTracker } from './runs/tracker';
import { SlackRunMessages } from './slack/run-messages';
import { ScreenshotUploader } from './slack/upload';
import { SocketHealth, checkChecklyAccess, slackRefused, slackUnreachable } from './startup-checks';
import { errorMessage, errorText } from './shared/error-text';

const VERSION: string = require('../package.json').version;

/** SIGTERM to exit: well inside the 10 s a platform usually grants. */
const SHUTDOWN_DEADLINE_MS = 8000;
/** The Checkly web app, whose links the run messages carry. */
const CHECKLY_APP = 'https://app.checklyhq.com';
/** Of which commands and clicks in flight may take this long to record their trigger. */
const DRAIN_MS = 5000;

/** How long a thread reply waits for its failure details, which wait behind every poll of a running session. */
const EVIDENCE_WAIT_MS = 20_000;

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
  /** Socket Mode: how long the socket may be down before /healthz says 503 (default 30 s). */
  socketGraceMs?: number;
}

/** A reconnect takes seconds; longer than this, Slack's requests are not reaching the app. */
const SOCKET_GRACE_MS = 30_000;

/** Builds everything from the configuration and starts listening. */
export async function startApp(config: Config, options: StartOptions = {}): Promise<Running> {
  const secrets = secretsOf(config);
  const logger = createLogger({ level: config.logLevel, secrets, destination: options.logDestination });
  const now = options.now ?? Date.now;
  const metrics = new Metrics();

  const state = await openState({ ...config.state, retentionMs: config.runs.retentionMs }, logger, now);
  const { dispatcher } = state;
  // With Redis, every budget is one for all replicas: the account's, the workspace's, the channel's.
  const sharedBudgets = state.redis ? { redis: state.redis, prefix: config.state.redisPrefix } : undefined;
  const checklyBudget = new ChecklyBudget({
    maxRequestsPerMinute: config.checkly.maxRequestsPerMinute,
    logger,
    ...(sharedBudgets && { shared: { redis: sharedBudgets.redis, key: `${sharedBudgets.prefix}budget:checkly:${config.checkly.accountId}` } }),
  });
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
  // The run API (off without tokens) hears of runs ending through the store the runner writes to.
  const runApi: RunApiHandle = startRunApi({ config, state, logger, metrics, now, newId: randomUUID });
  const store = runApi.store;
  const socketHealth = config.slack.appToken ? new SocketHealth(now, options.socketGraceMs ?? SOCKET_GRACE_MS) : undefined;

  const customRoutes = [
    ...operatorRoutes({
      metrics,
      healthy: async () => (socketHealth?.ok() ?? true) && (await state.healthy()),
      onUnhealthy: (why) => logger.warn({ why }, 'health check failed'),
    }),
    ...runApi.routes,
  ];
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
  let identity: Awaited<ReturnType<typeof verifyBotToken>>;
  try {
    identity = await verifyBotToken(new webApi.WebClient(config.slack.botToken, clientOptions), config.slack.apiUrl);
    await checkChecklyAccess(
      // Its own client: one attempt, no budget, so that an unreachable Checkly delays start-up by one timeout at most.
      new ChecklyClient({
        baseUrl: config.checkly.apiUrl,
        apiKey: config.checkly.apiKey,
        accountId: config.checkly.accountId,
        userAgent: `checkly-slack/${VERSION}`,
        timeoutMs: Math.min(config.checkly.requestTimeoutMs, 10_000),
        retry: { retries: 0 },
      }),
      config.checkly.apiUrl,
      logger,
    );
  } catch (err) {
    await runApi.close().catch(() => undefined);
    await state.close().catch(() => undefined);
    throw err;
  }
  const app = new App({
    token: config.slack.botToken,
    botId: identity.botId,
    botUserId: identity.userId,
    tokenVerificationEnabled: false,
    receiver,
    logger: boltLogger(logger),
    clientOptions,
  });

  const evidence: EvidenceOptions = { checkly: evidencePort(checkly), logger, waitMs: EVIDENCE_WAIT_MS };
  const screenshots = new ScreenshotUploader({ client: app.client, logger, scrub: (text) => redactSecrets(text, secrets) });
  // "Open in Checkly" of a run of several checks (or of one cut off before its sessions were known):
  // the account's check sessions, every session of the run among them, rather than its first one.
  const checklyAppUrl = `${CHECKLY_APP}/accounts/${config.checkly.accountId}/check-sessions`;
  const messages = new SlackRunMessages({
    // Its own client, which hands 429s to the message budgets rather than retrying behind their back.
    client: new webApi.WebClient(config.slack.botToken, { ...clientOptions, rejectRateLimitedCalls: true }),
    render: (run, size) => redactSecrets(renderRun(run, { now: now(), interactive: true, checklyAppUrl, size }), secrets),
    renderFailureReplies: (run, opts) => redactSecrets(renderFailureReplies(run, opts), secrets),
    failureReplies: async (run) => {
      const sessions = evidenceSessions(run);
      if (sessions.length === 0) return { replies: [], listed: 0 };
      const found = await gatherEvidence(sessions, evidence);
      const replies = renderEvidenceReplies(run, renderFailureReply(run), found).map((m) => redactSecrets(m, secrets));
      return { replies, listed: sessions.length };
    },
    afterFailureReply: async (run, threadTs) => {
      const shots = await gatherScreenshots(failingInOrder(run), evidence);
      await screenshots.upload(run.channel, threadTs, shots);
    },
    intervalMs: config.slack.updateIntervalMs,
    maxUpdatesPerMinute: config.slack.maxUpdatesPerMinute,
    sharedBudgets,
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
    checkly: sessionWatcher(checkly),
    pollWaitSeconds: config.checkly.pollWaitSeconds,
    pollRequestsPerMinute: pollRequestsPerMinute(config),
    beforePoll: () => checklyBudget.reserve('completion'),
    durations: new TypicalDurations({
      store: state.durations,
      // One request for every check's shortest and longest run, asked again after five minutes at most.
      fetchStatuses: async () => (await listCheckStatuses(checkly)).flatMap((s) => (s ? [s] : [])),
      now,
      logger,
    }),
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
    checkly: sessionStarter(checkly),
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
  const catalogue = new CatalogueCache({
    source: {
      listChecks: () => listChecks(checkly),
      listCheckGroups: () => listCheckGroups(checkly),
      listCheckStatuses: () => listCheckStatuses(checkly),
    },
    ttlMs: config.checkly.catalogueTtlMs,
    now,
    onBackgroundError: (what, err) => logger.warn({ what, err: errorText(err) }, 'refreshing the check catalogue failed; serving the last one'),
  });
  const find: FindDeps = {
    catalogue,
    checkly,
    runner,
    access,
    commandName: config.slack.command,
    logger,
    now,
    metrics,
    redact: (value) => redactSecrets(value, secrets),
  };
  registerCommands(app, { runner, commandName: config.slack.command, logger, now, access, metrics, find });
  registerActions(app, {
    runner,
    commandName: config.slack.command,
    logger,
    access,
    metrics,
    details: {
      getCheckResult: (checkId, resultId) => checkly.getCheckResult(checkId, resultId, 'result'),
      getSessionResults: async (sessionId) => locationResults((await checkly.getSession(sessionId)).results ?? []),
      scrub: (value) => redactSecrets(value, secrets),
    },
  });
  registerFindActions(app, find);
  registerViews(app, find);
  registerOptions(app, find);
  app.error(async (error) => {
    logger.error({ err: error.message, code: error.code }, 'unhandled error in a listener');
  });

  await runApi.ready({ runner, teamId: identity.teamId, workspaceUrl: identity.url });
  if (socketHealth && receiver instanceof SocketModeReceiver) {
    receiver.client.on('connected', () => socketHealth.connected());
    for (const down of ['close', 'disconnected', 'reconnecting']) receiver.client.on(down, () => socketHealth.disconnected());
  }
  let started: unknown;
  try {
    started = (await app.start(config.slack.port)) as unknown;
  } catch (err) {
    await app.stop().catch(() => undefined);
    await runApi.close().catch(() => undefined);
    await state.close().catch(() => undefined);
    // In Socket Mode, start() opens the socket with the app-level token.
    throw (config.slack.appToken ? (slackRefused('SLACK_APP_TOKEN', err) ?? maybeUnreachable(config.slack.apiUrl, err)) : undefined) ?? err;
  }
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
      await runApi.close();
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

async function verifyBotToken(client: webApi.WebClient, apiUrl: string): Promise<{ botId?: string; userId?: string; teamId?: string; url?: string }> {
  try {
    const auth = await client.auth.test();
    return { botId: auth.bot_id, userId: auth.user_id, teamId: auth.team_id, url: auth.url };
  } catch (err) {
    throw slackRefused('SLACK_BOT_TOKEN', err) ?? slackUnreachable(apiUrl, err);
  }
}

/** A request that got no answer from Slack, described; other errors stay as they are. */
function maybeUnreachable(apiUrl: string, err: unknown): Error | undefined {
  return (err as { code?: unknown }).code === webApi.ErrorCode.RequestError ? slackUnreachable(apiUrl, err) : undefined;
}

function secretsOf(config: Config): string[] {
  return [
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.appToken,
    config.checkly.apiKey,
    ...config.api.tokens.map((t) => t.secret),
  ].filter(
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
    logger.error({ err: errorText(reason) }, 'unhandled rejection');
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

/** The process entry point: `node dist/app.js`, or scripts/start.js (`npm start`) after its build check. */
export function runMain(): void {
  main().catch((err: unknown) => {
    process.stderr.write(`checkly-slack failed to start: ${errorMessage(err)}\n`);
    process.exit(1);
  });
}

if (require.main === module) runMain();
