/**
 * The run API as app.ts sees it: routes to serve (none while RUN_API_TOKENS is empty, so that
 * `/api/*` answers 404), an observer of the runner (it tells waiting requests when runs end), and
 * the pieces that exist only once the app does (the run service, workspace).
 */
import type { CustomRoute } from '@slack/bolt';
import type { AccessPolicy } from '../access/policy';
import type { Logger } from '../shared/log';
import type { Metrics } from '../ops/metrics';
import type { RunService } from '../runs/service';
import type { State } from '../store/open';
import type { RunObserver } from '../runs/lifecycle';
import type { ApiConfig } from './config';
import { RedisRunOverBus, RunEvents } from './run-events';
import { RunApi, runApiRoutes } from './routes';
import type { Foreground } from '../shared/foreground';

export interface RunApiHandle {
  routes: CustomRoute[];
  /** Hears from the runner of runs that end (app.ts registers it), for the long polls here and on the other replicas. */
  observer: RunObserver;
  ready(late: { runs: Pick<RunService, 'start' | 'read' | 'recent'>; teamId?: string; workspaceUrl?: string }): Promise<void>;
  /** Shutdown: answers every open long poll now, and later ones at once (RunApi.stopWaiting). */
  stopWaiting(): void;
  close(): Promise<void>;
}

/** Plain options, not the app's Config: config.ts loads ApiConfig from api/, so api/ must not import it back. */
export interface RunApiHandleDeps {
  api: ApiConfig;
  policy: AccessPolicy;
  /** Where the replicas tell each other that a run ended (with Redis state). */
  redisPrefix: string;
  state: State;
  logger: Logger;
  metrics: Pick<Metrics, 'apiRequest' | 'refused' | 'observeApiInProgress'>;
  now: () => number;
  newId: () => string;
  /** Held by each request until it is answered (shared/foreground.ts). */
  foreground?: Foreground;
}

export function startRunApi(options: RunApiHandleDeps): RunApiHandle {
  const { api: apiConfig, state, logger, metrics } = options;
  if (apiConfig.tokens.length === 0) {
    return { routes: [], observer: {}, ready: async () => undefined, stopWaiting: () => undefined, close: async () => undefined };
  }
  const bus = state.redis ? new RedisRunOverBus(state.redis, options.redisPrefix, logger) : undefined;
  const events = new RunEvents(bus);
  let api: RunApi | undefined;
  const foreground = options.foreground;
  if (foreground) metrics.observeApiInProgress(() => foreground.size);
  const common = {
    tokens: apiConfig.tokens,
    ratePerMinute: apiConfig.ratePerMinute,
    ...(state.redis && { sharedRate: { redis: state.redis, prefix: options.redisPrefix } }),
    claims: state.claims,
    events,
    guard: { access: { policy: options.policy }, metrics, logger },
    logger,
    onAnswer: (token: string, route: string, code: string) => metrics.apiRequest(token, route, code),
    foreground: options.foreground,
    now: options.now,
    newId: options.newId,
  };

  return {
    routes: runApiRoutes(() => api),
    observer: events,
    async ready({ runs, teamId, workspaceUrl }) {
      await events.start();
      api = new RunApi({ ...common, runs, teamId: teamId ?? '', workspaceUrl });
      logger.info({ tokens: apiConfig.tokens.map((t) => t.name) }, 'run API on /api/v1/runs');
    },
    stopWaiting: () => api?.stopWaiting(),
    close: () => events.close(),
  };
}
