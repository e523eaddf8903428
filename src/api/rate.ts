/**
 * Runs each token may start in a minute (RUN_API_RATE_PER_MINUTE), counted by rate-limiter-flexible:
 * in Redis when the app runs on Redis, so that every replica behind a balancer counts the same
 * minute, and in this process otherwise. Should Redis not answer, this process counts alone until it
 * does (the insurance limiter): a run is never refused for a store outage.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

const MINUTE_S = 60;

export class TokenRate {
  private readonly limiter: RateLimiterAbstract;

  /** `shared`: the Redis every replica uses, and the key prefix of this app's state in it. */
  constructor(perMinute: number, shared?: { redis: Redis; prefix: string }) {
    const options = { points: perMinute, duration: MINUTE_S, keyPrefix: `${shared?.prefix ?? ''}api-rate` };
    const local = new RateLimiterMemory(options);
    this.limiter = shared ? new RateLimiterRedis({ ...options, storeClient: shared.redis, insuranceLimiter: local }) : local;
  }

  /** Counts a run for `token` and answers 0, or answers the seconds until the token's minute starts again. */
  async take(token: string): Promise<number> {
    try {
      await this.limiter.consume(token);
      return 0;
    } catch (refused) {
      if (!(refused instanceof RateLimiterRes)) throw refused;
      return Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
    }
  }
}
