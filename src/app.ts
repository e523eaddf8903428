/**
 * The composition root: reads the configuration, builds each part (src/wiring), wires them, starts
 * and stops. What a part does lives with it; this file only says what is connected to what.
 */
import { randomUUID } from 'node:crypto';
import { startRunApi } from './api';
import type { RedirectPolicy } from './checkly/redirects';
import type { Config } from './config';
import { createLogger, type Logger } from './shared/log';
import { Metrics } from './ops/metrics';
import { runAudit } from './ops/run-audit';
import { runMetrics } from './ops/run-metrics';
import { Foreground } from './shared/foreground';
import { openState } from './store/open';
import { VERSION, buildChecklyClient } from './wiring/checkly';
import { verifyCredentials } from './wiring/credentials';
import { registerListeners } from './wiring/listeners';
import { SHUTDOWN_GRACE_MS, runProcess, secretsOf } from './wiring/process';
import { alertsEntrance } from './wiring/alerts';
import { buildRunMessages, buildRunner, sweepEvery } from './wiring/runs';
import { buildApp, buildReceiver, listen } from './wiring/slack';

/**
 * The stop's own plan, inside the shutdown grace (wiring/process.ts exits hard a second before it
 * ends): what is in flight gets until STOP_MS after SIGTERM, and CLOSE_MS of that is kept for calling
 * off the rest and closing the clients and the store.
 */
const STOP_MS = SHUTDOWN_GRACE_MS - 2000;
const CLOSE_MS = 1000;
/** Answers in progress when the app stops taking requests (a POST posting its message) get this long. */
const ANSWERS_MS = 3000;
/** Commands and clicks in flight get this long to record their trigger. */
const DRAIN_MS = 3000;

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
  /**
   * Where the failure screenshots' download may be redirected (default: `https:` to public addresses
   * only). Tests and the demo allow their fake's storage on loopback here; no variable opens it.
   */
  assetRedirects?: RedirectPolicy;
}

/** Builds everything from the configuration and starts listening. */
export async function startApp(config: Config, options: StartOptions = {}): Promise<Running> {
  const secrets = secretsOf(config);
  const logger = createLogger({ level: config.logLevel, secrets, destination: options.logDestination });
  const now = options.now ?? Date.now;
  const metrics = new Metrics();

  const state = await openState({ ...config.state, retentionMs: config.runs.retentionMs }, logger, now);
  const sharedBudgets = state.redis ? { redis: state.redis, prefix: config.state.redisPrefix } : undefined;
  const { checkly, budget: checklyBudget, results } = buildChecklyClient(config, { logger, metrics, sharedBudgets, assetRedirects: options.assetRedirects });
  // The run API (off without tokens) hears of runs ending from the runner (below).
  const foreground = new Foreground();
  const runApi = startRunApi({
    api: config.api,
    policy: config.access,
    redisPrefix: config.state.redisPrefix,
    state,
    logger,
    metrics,
    now,
    newId: randomUUID,
    foreground,
  });
  const alertsRoute = alertsEntrance();
  const slack = buildReceiver(config, {
    logger,
    metrics,
    now,
    socketGraceMs: options.socketGraceMs,
    storeHealthy: () => state.healthy(),
    routes: [...runApi.routes, ...alertsRoute.routes],
  });
  /** A start-up step that fails closes the stores and Slack's connections before the failure goes on. */
  const orClose = <T>(step: Promise<T>): Promise<T> =>
    step.catch(async (err: unknown) => {
      await slack.close();
      await runApi.close().catch(() => undefined);
      await state.close().catch(() => undefined);
      throw err;
    });
  const identity = await orClose(verifyCredentials(config, slack.clientOptions, logger));
  const app = buildApp(config, slack, identity, logger);

  const deps = {
    config,
    secrets,
    checkly,
    checklyBudget,
    results,
    store: state.store,
    durations: state.durations,
    records: state.records,
    dispatcher: state.dispatcher,
    sharedBudgets,
    slackClient: app.client,
    chat: slack.chat,
    metrics,
    now,
    newId: randomUUID,
    logger,
    foreground,
    processId: randomUUID(),
    alone: state.redis === undefined,
  };
  const messages = buildRunMessages(deps);
  const { runner, follower, runs } = buildRunner(deps, messages);
  // The way back: what happens to runs, as the runner tells it.
  runner.observe(runMetrics(metrics));
  runner.observe(runAudit(logger));
  runner.observe(runApi.observer);
  const { workflowSteps, homeTabs, alerts } = registerListeners(app, {
    config,
    secrets,
    checkly,
    results,
    runs,
    metrics,
    records: state.records,
    workspaceUrl: identity.url,
    processId: deps.processId,
    alerts: alertsRoute,
    chat: slack.chat,
    teamId: identity.teamId,
    sharedBudgets,
    now,
    newId: randomUUID,
    logger,
  });
  runner.observe(workflowSteps.observer);
  runner.observe(homeTabs.observer);

  await runApi.ready({ runs, teamId: identity.teamId, workspaceUrl: identity.url });
  const listening = await orClose(listen(app, config));
  const port = listening.port;
  await state.dispatcher.start((runId, signal) => runner.follow(runId, signal));
  const sweeper = sweepEvery([runner, workflowSteps], config.runs.sweepIntervalMs);
  logger.info({ mode: config.slack.appToken ? 'socket' : 'http', port, version: VERSION }, 'checkly-slack started');

  return {
    port,
    logger,
    /**
     * Answers every waiting request at once and stops taking work; lets the commands and clicks in
     * flight record their trigger; hands the runs it follows over; lets the final states being shown
     * (their replies, evidence and screenshots) finish, with the Checkly budget no longer shared with
     * polls; then calls off what is left, which the next process (or another replica) finishes: a run
     * not recorded as shown is shown again, screenshots cut off are handed over on the run. All of it
     * within STOP_MS.
     */
    async stop() {
      const until = now() + STOP_MS;
      const left = (keep = CLOSE_MS) => Math.max(0, until - keep - now());
      runApi.stopWaiting();
      await listening.stop(Math.min(ANSWERS_MS, left()));
      clearInterval(sweeper);
      homeTabs.stop();
      await runner.drain(Math.min(DRAIN_MS, left()));
      runner.stop();
      await state.dispatcher.stop();
      follower.stop();
      await runner.settle(left());
      await messages.settle(left());
      await alerts.stop(left());
      // The runs that ended meanwhile complete their workflow steps (or leave them to the next process's sweep).
      await workflowSteps.settle(left());
      messages.stop();
      checklyBudget.stop();
      // What was cut off now fails at once and records so (the store is still open).
      await Promise.all([runner.settle(left(0)), messages.settle(left(0))]);
      checkly.close();
      await slack.close();
      await runApi.close();
      await state.close();
    },
  };
}

/** The process entry point: `node dist/app.js`, or scripts/start.js (`npm start`) after its build check. */
export function runMain(): void {
  runProcess(startApp);
}

if (require.main === module) runMain();
