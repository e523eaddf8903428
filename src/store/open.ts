import Redis from 'ioredis';
import type { Logger } from '../shared/log';
import { BullDispatcher } from './bull-dispatcher';
import { LocalDispatcher, type Dispatcher } from '../runs/dispatch';
import type { DurationStore } from '../runs/durations';
import { RedisRunStore } from './redis';
import { SqliteRunStore } from './sqlite';
import type { Records } from '../runs/records';
import type { KeyClaims, RunStore } from '../runs/store';
import { errorText } from '../shared/error-text';

export interface State {
  store: RunStore;
  /** Past sessions' durations per check: in the same place as the runs (shared by replicas with Redis). */
  durations: DurationStore;
  /** Idempotency keys of the HTTP API, kept beside the runs. */
  claims: KeyClaims;
  /** A person's Home, the workflow steps waiting for their run: small records beside the runs. */
  records: Records;
  dispatcher: Dispatcher;
  /** With REDIS_URL: the connection, for whatever else replicas share (the budgets). */
  redis?: Redis;
  /** Whether the store answers (for /healthz). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** Where the state lives: plain values, so that scripts and tests can open one without a whole Config. */
export interface StoreOptions {
  /** The SQLite store's folder (used without `redisUrl`). */
  dir: string;
  /** When set, replicas share their state through this Redis. */
  redisUrl?: string;
  /** Key prefix in Redis. */
  redisPrefix: string;
  /** How long finished runs are kept. */
  retentionMs: number;
}

/** How often finished runs past their retention are pruned. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Where runs live and who follows them: an embedded SQLite store and this process by default; with
 * REDIS_URL, a store and a follow queue shared by every replica.
 */
export async function openState(options: StoreOptions, logger: Logger, now: () => number): Promise<State> {
  const state = options.redisUrl ? await openRedis(options.redisUrl, options, logger) : openEmbedded(options, logger, now);
  const prune = async () => {
    try {
      const pruned = await state.store.prune(now() - options.retentionMs);
      if (pruned > 0) logger.info({ pruned }, 'pruned finished runs past their retention');
    } catch (err) {
      logger.warn({ err: errorText(err) }, 'pruning finished runs failed');
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

function openEmbedded(options: StoreOptions, logger: Logger, now: () => number): State {
  const store = SqliteRunStore.open(options.dir, now);
  return {
    store,
    durations: store,
    claims: store,
    records: store,
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

async function openRedis(url: string, options: StoreOptions, logger: Logger): Promise<State> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  try {
    await redis.connect();
  } catch {
    throw new Error('Redis could not be reached at REDIS_URL');
  }
  const store = new RedisRunStore(redis, { prefix: options.redisPrefix, retentionMs: options.retentionMs });
  try {
    await store.migrate();
  } catch (err) {
    await redis.quit().catch(() => undefined);
    throw err;
  }
  const dispatcher = new BullDispatcher({ redis, prefix: options.redisPrefix, store, logger });
  return {
    store,
    durations: store,
    claims: store,
    records: store,
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
