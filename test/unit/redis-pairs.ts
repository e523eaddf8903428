import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisRunStore } from '../../src/store/redis';

/**
 * Two RedisRunStores on two connections to one fresh store (a new prefix each time), as two
 * replicas see it, for the contracts that need two handles; `cleanup` deletes every key they wrote
 * and closes the connections (call it in afterAll).
 */
export function redisStorePairs(): { open(): [RedisRunStore, RedisRunStore]; cleanup(): Promise<void> } {
  const prefix = `test:${randomUUID()}:`;
  const connections: Redis[] = [];
  let stores = 0;
  return {
    open() {
      const storePrefix = `${prefix}${++stores}:`;
      const handle = () => {
        const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 0, retryStrategy: () => null });
        connections.push(redis);
        return new RedisRunStore(redis, { prefix: storePrefix, retentionMs: 60_000 });
      };
      return [handle(), handle()];
    },
    async cleanup() {
      const cleaner = connections[0];
      if (cleaner) {
        const keys = await cleaner.keys(`${prefix}*`);
        if (keys.length > 0) await cleaner.del(...keys);
      }
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
    },
  };
}
