/**
 * The run API as app.ts sees it: routes to serve (none while RUN_API_TOKENS is empty, so that
 * `/api/*` answers 404), a store to hand the runner (it tells waiting requests when runs end), and
 * the pieces that exist only once the app does (the run service, workspace).
 */
import type { CustomRoute } from '@slack/bolt';
import type { AccessPolicy } from '../access/policy';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { RunService } from '../runs/service';
import type { State } from '../store/open';
import type { RunStore } from '../runs/store';
import type { ApiConfig } from './config';
import { RedisRunOverBus, RunEvents, WatchedRunStore } from './run-events';
import { RunApi, runApiRoutes } from './routes';
import type { Foreground } from '../shared/foreground';

export interface RunApiHandle {
  routes: CustomRoute[];
  /** The store for the runner: the state's own, watched for runs that end. */
  store: RunStore;
  ready(late: { runs: Pick<RunService, 'start'>; teamId?: string; workspaceUrl?: string }): Promise<void>;
  /** Shutdown: answers every open long poll now, and later ones at once (RunApi.stopWaiting). */
  stopWaiting(): void;
  close(): Promise<void>;
}

/** Plain options, not the app's Config: config.ts loads ApiConfig from api/, so api/ must not import it back. */
export interface StartRunApiOptions {
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

export function startRunApi(options: StartRunApiOptions): RunApiHandle {
  const { api: apiConfig, state, logger, metrics } = options;
  if (apiConfig.tokens.length === 0) {
    return { routes: [], store: state.store, ready: async () => undefined, stopWaiting: () => undefined, close: async () => undefined };
  }
  const bus = state.redis ? new RedisRunOverBus(state.redis, options.redisPrefix, logger) : undefined;
  const events = new RunEvents(bus);
  const store = new WatchedRunStore(state.store, (run) => events.written(run));
  let api: RunApi | undefined;
  const foreground = options.foreground;
  if (foreground) metrics.observeApiInProgress(() => foreground.size);
  const common = {
    tokens: apiConfig.tokens,
    ratePerMinute: apiConfig.ratePerMinute,
    store: state.store,
    claims: state.claims,
    events,
    policy: options.policy,
    logger,
    onAnswer: (token: string, route: string, code: string) => metrics.apiRequest(token, route, code),
    onRefused: (rule: string) => metrics.refused(rule),
    foreground: options.foreground,
    now: options.now,
    newId: options.newId,
  };

  return {
    routes: runApiRoutes(() => api),
    store,
    async ready({ runs, teamId, workspaceUrl }) {
      await events.start();
      api = new RunApi({ ...common, runs, teamId: teamId ?? '', workspaceUrl });
      logger.info({ tokens: apiConfig.tokens.map((t) => t.name) }, 'run API on /api/v1/runs');
    },
    stopWaiting: () => api?.stopWaiting(),
    close: () => events.close(),
  };
}
