/**
 * The composition root: reads the configuration, builds each part (src/wiring), wires them, starts
 * and stops. What a part does lives with it; this file only says what is connected to what.
 */
import { randomUUID } from 'node:crypto';
import dotenv from 'dotenv';
import { App } from '@slack/bolt';
import { startRunApi } from './api';
import { loadConfig, type Config } from './config';
import { boltLogger, createLogger, type Logger } from './log';
import { Metrics } from './metrics';
import { operatorRoutes } from './operator-routes';
import { errorMessage } from './shared/error-text';
import { checkChecklyAccess } from './startup-checks';
import { openState } from './store/open';
import { VERSION, buildChecklyClient, buildProbeClient } from './wiring/checkly';
import { registerListeners } from './wiring/listeners';
import { keepServingOnFaults, secretsOf } from './wiring/process';
import { buildRunMessages, buildRunner } from './wiring/runs';
import { buildReceiver, listeningPort, startFailure, verifyBotToken, watchSocket, type BotIdentity } from './wiring/slack';

export { keepServingOnFaults };

/** SIGTERM to exit: well inside the 10 s a platform usually grants. */
const SHUTDOWN_DEADLINE_MS = 8000;
/** Of which commands and clicks in flight may take this long to record their trigger. */
const DRAIN_MS = 5000;

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

/** Builds everything from the configuration and starts listening. */
export async function startApp(config: Config, options: StartOptions = {}): Promise<Running> {
  const secrets = secretsOf(config);
  const logger = createLogger({ level: config.logLevel, secrets, destination: options.logDestination });
  const now = options.now ?? Date.now;
  const metrics = new Metrics();

  const state = await openState({ ...config.state, retentionMs: config.runs.retentionMs }, logger, now);
  const sharedBudgets = state.redis ? { redis: state.redis, prefix: config.state.redisPrefix } : undefined;
  const { checkly, budget: checklyBudget } = buildChecklyClient(config, { logger, metrics, sharedBudgets });
  // The run API (off without tokens) hears of runs ending through the store the runner writes to.
  const runApi = startRunApi({ api: config.api, policy: config.access, redisPrefix: config.state.redisPrefix, state, logger, metrics, now, newId: randomUUID });
  const slack = buildReceiver(config, {
    logger,
    metrics,
    now,
    socketGraceMs: options.socketGraceMs,
    routes: (socketHealth) => [
      ...operatorRoutes({
        metrics,
        healthy: async () => (socketHealth?.ok() ?? true) && (await state.healthy()),
        onUnhealthy: (why) => logger.warn({ why }, 'health check failed'),
      }),
      ...runApi.routes,
    ],
  });
  let identity: BotIdentity;
  try {
    identity = await verifyBotToken(config, slack.clientOptions);
    await checkChecklyAccess(buildProbeClient(config), config.checkly.apiUrl, logger);
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
    receiver: slack.receiver,
    logger: boltLogger(logger),
    clientOptions: slack.clientOptions,
  });

  const wiring = {
    config, secrets, checkly, checklyBudget, store: runApi.store, durations: state.durations, dispatcher: state.dispatcher,
    sharedBudgets, slackClient: app.client, clientOptions: slack.clientOptions, metrics, now, newId: randomUUID, logger,
  };
  const messages = buildRunMessages(wiring);
  const { runner, tracker } = buildRunner(wiring, messages);
  registerListeners(app, { config, secrets, checkly, runner, metrics, now, logger });

  await runApi.ready({ runner, teamId: identity.teamId, workspaceUrl: identity.url });
  watchSocket(slack);
  let started: unknown;
  try {
    started = (await app.start(config.slack.port)) as unknown;
  } catch (err) {
    await app.stop().catch(() => undefined);
    await runApi.close().catch(() => undefined);
    await state.close().catch(() => undefined);
    throw startFailure(config, err);
  }
  await state.dispatcher.start((runId, signal) => runner.follow(runId, signal));
  // Not only at start: every unsettled run is looked at all the time (see Runner.sweep).
  void runner.sweep();
  const sweeper = setInterval(() => void runner.sweep(), config.runs.sweepIntervalMs);
  sweeper.unref();
  const port = listeningPort(started);
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
      await runner.drain(DRAIN_MS);
      runner.stop();
      await state.dispatcher.stop();
      tracker.stop();
      checklyBudget.stop();
      messages.stop();
      checkly.close();
      await runApi.close();
      await state.close();
    },
  };
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
