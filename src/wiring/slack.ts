/** How Slack's requests reach the app (HTTP or Socket Mode), the Web API client options, and the bot's identity. */
import type { Server } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, webApi, type Receiver } from '@slack/bolt';
import type { Config } from '../config';
import { boltLogger, type Logger } from '../log';
import type { Metrics } from '../metrics';
import { meteredSlackFetch } from '../metrics-hooks';
import { isUnanswered } from '../slack/errors';
import { slackHttp } from '../slack/http';
import type { ChatClient } from '../slack/run-messages';
import { operatorRoutes } from '../operator-routes';
import { SocketHealth, slackRefused, slackUnreachable } from '../startup-checks';

/**
 * Slack calls are retried briefly: a message that is minutes late is worse than one update skipped.
 * A call that got no answer in time is not sent again: Slack may have carried it out (a post would
 * then appear twice). The client hands these options to p-retry, which stops on what this throws.
 */
const SLACK_RETRIES: webApi.RetryOptions & { onFailedAttempt(err: Error): void } = {
  retries: 3,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 4000,
  randomize: true,
  onFailedAttempt(err) {
    if (isUnanswered(err)) throw err;
  },
};
/** A reconnect takes seconds; longer than this, Slack's requests are not reaching the app. */
const SOCKET_GRACE_MS = 30_000;

type CustomRoutes = NonNullable<ConstructorParameters<typeof HTTPReceiver>[0]['customRoutes']>;

export interface SlackEntrance {
  receiver: Receiver;
  clientOptions: webApi.WebClientOptions;
  /**
   * The run messages' posts and updates: a client of its own that hands a 429 to the message
   * budgets, which pause, rather than waiting it out behind their back.
   */
  chat: ChatClient;
  /** Socket Mode only: whether the socket is up (for /healthz). */
  socketHealth?: SocketHealth;
  /** Closes Slack's connections. */
  close(): Promise<void>;
}

export interface ReceiverDeps {
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  socketGraceMs?: number;
  /** Whether the store answers, for /healthz (with the socket's state in Socket Mode). */
  storeHealthy: () => Promise<boolean>;
  /** Served beside /healthz and /metrics (the run API). */
  routes: CustomRoutes;
}

/** Slack's entrance, serving /healthz, /metrics and `routes` too; in Socket Mode, the socket is watched for /healthz. */
export function buildReceiver(config: Config, deps: ReceiverDeps): SlackEntrance {
  const { logger, metrics, now } = deps;
  const socketHealth = config.slack.appToken ? new SocketHealth(now, deps.socketGraceMs ?? SOCKET_GRACE_MS) : undefined;
  const customRoutes = [
    ...operatorRoutes({
      metrics,
      healthy: async () => (socketHealth?.ok() ?? true) && (await deps.storeHealthy()),
      onUnhealthy: (why) => logger.warn({ why }, 'health check failed'),
    }),
    ...deps.routes,
  ];
  const http = slackHttp({ proxy: config.proxy, timeoutMs: config.slack.requestTimeoutMs });
  const fetch = meteredSlackFetch(metrics, http.fetch);
  const receiver: Receiver = config.slack.appToken
    ? new SocketModeReceiver({
        appToken: config.slack.appToken,
        logger: boltLogger(logger),
        customRoutes,
        ...(http.socketDispatcher && { dispatcher: http.socketDispatcher }),
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
  const chat = new webApi.WebClient(config.slack.botToken, { ...clientOptions, rejectRateLimitedCalls: true });
  const entrance = { receiver, clientOptions, chat, ...(socketHealth && { socketHealth }), close: () => http.close() };
  watchSocket(entrance);
  return entrance;
}

/** Socket Mode: the socket's ups and downs, for /healthz. */
function watchSocket(entrance: SlackEntrance): void {
  const { socketHealth, receiver } = entrance;
  if (socketHealth && receiver instanceof SocketModeReceiver) {
    receiver.client.on('connected', () => socketHealth.connected());
    for (const down of ['close', 'disconnected', 'reconnecting']) receiver.client.on(down, () => socketHealth.disconnected());
  }
}

export interface BotIdentity {
  botId?: string;
  userId?: string;
  teamId?: string;
  url?: string;
}

/** Verified here rather than by Bolt, so that a bad token stops start-up with a clear line. */
export async function verifyBotToken(config: Config, clientOptions: webApi.WebClientOptions): Promise<BotIdentity> {
  const client = new webApi.WebClient(config.slack.botToken, clientOptions);
  try {
    const auth = await client.auth.test();
    return { botId: auth.bot_id, userId: auth.user_id, teamId: auth.team_id, url: auth.url };
  } catch (err) {
    throw slackRefused('SLACK_BOT_TOKEN', err) ?? slackUnreachable(config.slack.apiUrl, err);
  }
}

/** The Bolt app on the entrance, with the identity already verified (Bolt does not verify it again). */
export function buildApp(config: Config, entrance: SlackEntrance, identity: BotIdentity, logger: Logger): App {
  return new App({
    token: config.slack.botToken,
    botId: identity.botId,
    botUserId: identity.userId,
    tokenVerificationEnabled: false,
    receiver: entrance.receiver,
    logger: boltLogger(logger),
    clientOptions: entrance.clientOptions,
  });
}

/** The app taking requests: its HTTP port (HTTP mode), and how it stops taking them. */
export interface Listening {
  port?: number;
  /**
   * Stops taking requests: answers in progress go out (those still going after `graceMs` are cut),
   * and every keep-alive connection closes as soon as it is idle. Node closes only the connections
   * idle at the moment of the close; one that a load balancer or a polling client keeps using would
   * hold the stop until its keep-alive timeout, or for good.
   */
  stop(graceMs: number): Promise<void>;
}

/** How often a stopping server closes the connections that have become idle. */
const IDLE_SWEEP_MS = 50;

/**
 * Starts the app listening (HTTP) or connected (Socket Mode). A failure stops the app again and is
 * described (a refused app-level token, Slack out of reach).
 */
export async function listen(app: App, config: Config): Promise<Listening> {
  let started: unknown;
  try {
    started = await app.start(config.slack.port);
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw startFailure(config, err);
  }
  const server = isServer(started) ? started : undefined;
  return {
    port: listeningPort(server),
    async stop(graceMs) {
      const sweep = setInterval(() => server?.closeIdleConnections(), IDLE_SWEEP_MS);
      const cut = setTimeout(() => server?.closeAllConnections(), graceMs);
      try {
        await app.stop();
      } finally {
        clearInterval(sweep);
        clearTimeout(cut);
      }
    },
  };
}

/** Why `app.start` failed, said plainly when Slack refused the app-level token or could not be reached. */
function startFailure(config: Config, err: unknown): unknown {
  // In Socket Mode, start() opens the socket with the app-level token.
  return (config.slack.appToken ? (slackRefused('SLACK_APP_TOKEN', err) ?? maybeUnreachable(config.slack.apiUrl, err)) : undefined) ?? err;
}

/** A request that got no answer from Slack, described; other errors stay as they are. */
function maybeUnreachable(apiUrl: string, err: unknown): Error | undefined {
  return (err as { code?: unknown }).code === webApi.ErrorCode.RequestError ? slackUnreachable(apiUrl, err) : undefined;
}

/** `app.start` answers with its HTTP server in HTTP mode. */
function isServer(started: unknown): started is Server {
  return typeof started === 'object' && started !== null && 'address' in started && 'closeIdleConnections' in started;
}

/** The port the HTTP receiver listens on. */
function listeningPort(server: Server | undefined): number | undefined {
  const address = server?.address();
  return typeof address === 'object' && address !== null ? address.port : undefined;
}
