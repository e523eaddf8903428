import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { TokenRate } from '../../src/api/rate';

describe('the run API rate per token', () => {
  test('counted in this process without Redis: a token gets its runs a minute, another token its own', async () => {
    const rate = new TokenRate(2);
    expect(await rate.take('ci')).toBe(0);
    expect(await rate.take('ci')).toBe(0);
    const wait = await rate.take('ci');
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await rate.take('nightly')).toBe(0);
  });

  test("two replicas on one Redis share each token's minute (not a minute each)", async () => {
    const prefix = `test:rate:${randomUUID()}:`;
    const connections = [new Redis({ host: '127.0.0.1', port: 6379 }), new Redis({ host: '127.0.0.1', port: 6379 })];
    try {
      const [a, b] = connections.map((redis) => new TokenRate(3, { redis, prefix }));
      expect(await a!.take('ci')).toBe(0);
      expect(await b!.take('ci')).toBe(0);
      expect(await a!.take('ci')).toBe(0);
      // The fourth run of the minute is refused on either replica.
      expect(await b!.take('ci')).toBeGreaterThanOrEqual(1);
      expect(await a!.take('ci')).toBeGreaterThanOrEqual(1);
      expect(await b!.take('nightly')).toBe(0);
      // Apart, each would have let three through.
      const alone = new TokenRate(3, { redis: connections[0]!, prefix: `${prefix}alone:` });
      expect(await alone.take('ci')).toBe(0);
    } finally {
      await Promise.all(connections.map((c) => c.quit()));
    }
  });

  test('a Redis that does not answer: the run is counted in this process rather than refused', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      const rate = new TokenRate(1, { redis, prefix: `test:rate:${randomUUID()}:` });
      expect(await rate.take('ci')).toBe(0);
      expect(await rate.take('ci')).toBeGreaterThanOrEqual(1);
    } finally {
      redis.disconnect();
    }
  });
});
