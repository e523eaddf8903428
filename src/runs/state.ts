import Redis from 'ioredis';
import type { Config } from '../config';
import type { Logger } from '../log';
import { BullDispatcher } from './bull-dispatcher';
import { LocalDispatcher, type Dispatcher } from './dispatch';
import type { DurationStore } from './durations';
import { RedisRunStore } from './redis-store';
import { SqliteRunStore } from './sqlite-store';
import type { KeyClaims, RunStore } from './store';
import { errorMessage } from '../shared/error-text';

export interface State {
  store: RunStore;
  /** Past sessions' durations per check: in the same place as the runs (shared by replicas with Redis). */
  durations: DurationStore;
  /** Idempotency keys of the HTTP API, kept beside the runs. */
  claims: KeyClaims;
  dispatcher: Dispatcher;
  /** With REDIS_URL: the connection, for whatever else replicas share (the budgets). */
  redis?: Redis;
  /** Whether the store answers (for /healthz). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** How often finished runs past their retention are pruned. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Where runs live and who follows them: an embedded SQLite store and this process by default; with
 * REDIS_URL, a store and a follow queue shared by every replica.
 */
export async function openState(config: Config, logger: Logger, now: () => number): Promise<State> {
  const state = config.state.redisUrl ? await openRedis(config, logger) : openEmbedded(config, logger);
  const prune = async () => {
    try {
      const pruned = await state.store.prune(now() - config.runs.retentionMs);
      if (pruned > 0) logger.info({ pruned }, 'pruned finished runs past their retention');
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'pruning finished runs failed');
    }
  };
  await prune();
  const timer = setInterval(() => void prune(), PRUNE_EVERY_MS);
  timer.unref();
  return {
    ...state,
    async close() {
      clearInterval(timer);
      await state.close();
    },
  };
}

function openEmbedded(config: Config, logger: Logger): State {
  const store = SqliteRunStore.open(config.state.dir);
  return {
    store,
    durations: store,
    claims: store,
    dispatcher: new LocalDispatcher(store, logger),
    async healthy() {
      try {
        await store.listUnfinished();
        return true;
      } catch {
        return false;
      }
    },
    close: () => store.close(),
  };
}

async function openRedis(config: Config, logger: Logger): Promise<State> {
  const redis = new Redis(config.state.redisUrl!, { lazyConnect: true, maxRetriesPerRequest: 3 });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  try {
    await redis.connect();
  } catch {
    throw new Error('Redis could not be reached at REDIS_URL');
  }
  const store = new RedisRunStore(redis, { prefix: config.state.redisPrefix, retentionMs: config.runs.retentionMs });
  const dispatcher = new BullDispatcher({ redis, prefix: config.state.redisPrefix, store, logger });
  return {
    store,
    durations: store,
    claims: store,
    dispatcher,
    redis,
    async healthy() {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      await store.close();
      await redis.quit().catch(() => undefined);
    },
  };
}
