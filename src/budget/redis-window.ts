import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { runScript, sha1, type Script } from '../store/redis-scripts';
import type { WindowTicket } from './sliding-window';

/**
 * SlidingWindow's rule (at most `limit` events in any `windowMs`, an event counting from when it is
 * taken until `windowMs` after it settles) kept in one Redis sorted set that every replica shares.
 * Members are events, scores the time they settle. An event still open is scored `openMs` ahead (the
 * longest it may stay open), so it counts until then; settling moves it to the time it settled,
 * cancelling removes it. A replica that dies mid-request therefore frees its places by itself, at
 * most `openMs + windowMs` later, and the key itself expires once idle that long.
 *
 * Every time is the Redis server's (TIME), so replicas whose clocks disagree still count one window.
 * Taking a place is one script: prune, count, add if `reserve` places stay free, else say when the
 * place that must go first leaves the window. Written as a script rather than taken from a rate
 * limiter library, because none offers what the budgets need: reserves per priority, places held
 * open while a request is in flight, and the wait until the next free place.
 */
const TAKE: Script = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local windowMs = tonumber(ARGV[1])
local allowed = tonumber(ARGV[2]) - tonumber(ARGV[3])
local openMs = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - windowMs)
if allowed <= 0 then return -1 end
local mustExpire = redis.call('ZCARD', KEYS[1]) - allowed + 1
if mustExpire <= 0 then
  redis.call('ZADD', KEYS[1], now + openMs, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], windowMs + openMs)
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], mustExpire - 1, mustExpire - 1, 'WITHSCORES')
return math.max(1, tonumber(first[2]) + windowMs - now)
`);

/** Settles ARGV[1] now (if it still counts); ARGV[2] is the key's time to live. */
const SETTLE: Script = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now, ARGV[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/** Counts the events in the window: ARGV[1] is windowMs. */
const USED: Script = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return redis.call('ZCARD', KEYS[1])
`);

function script(text: string): Script {
  return { text, sha1: sha1(text) };
}

/** Connections that were sent the scripts. */
const loaded = new WeakSet<Redis>();

/**
 * Sends the scripts ahead, once per connection: a settle that met NOSCRIPT would be sent again after
 * the next take, which would then count the place as still open (safe, but needlessly tight).
 */
function preload(redis: Redis): void {
  if (loaded.has(redis)) return;
  loaded.add(redis);
  for (const { text } of [TAKE, SETTLE, USED]) redis.script('LOAD', text).catch(() => loaded.delete(redis));
}

export interface RedisWindowOptions {
  redis: Redis;
  /** The sorted set, one per budget (account, workspace, channel). */
  key: string;
  limit: number;
  windowMs: number;
  /** The longest a taken place may stay open before it settles (a request and its timeout). */
  openMs: number;
}

/** Where budgets shared by replicas keep their windows: a connection and the key (or key prefix) to use. */
export interface SharedBudgetPlace {
  redis: Redis;
  key: string;
}

/** A place taken, or how long until one may be (a lower bound: other replicas take places too). */
export type TakeResult = { ticket: WindowTicket } | { waitMs: number };

export class RedisSlidingWindow {
  readonly limit: number;
  readonly windowMs: number;
  private readonly prefix = randomUUID();
  private seq = 0;

  constructor(private readonly options: RedisWindowOptions) {
    const { limit, windowMs, openMs } = options;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number ≥ 1, not ${limit}`);
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be > 0, not ${windowMs}`);
    if (!(openMs > 0)) throw new RangeError(`openMs must be > 0, not ${openMs}`);
    this.limit = limit;
    this.windowMs = windowMs;
    preload(options.redis);
  }

  /**
   * Takes a place if one is free while leaving `reserve` places free. `waitMs` Infinity: the reserve
   * leaves no room at all. Rejects when Redis does not answer.
   */
  async take(reserve = 0): Promise<TakeResult> {
    const { redis, key, openMs } = this.options;
    this.seq += 1;
    const member = `${this.prefix}:${this.seq}`;
    const answer = Number(await runScript(redis, TAKE, [key], [String(this.windowMs), String(this.limit), String(reserve), member, String(openMs)]));
    if (answer === 0) return { ticket: this.ticket(member) };
    return { waitMs: answer < 0 ? Infinity : answer };
  }

  /** Events counting now, across replicas. */
  async used(): Promise<number> {
    return Number(await runScript(this.options.redis, USED, [this.options.key], [String(this.windowMs)]));
  }

  private ticket(member: string): WindowTicket {
    const { redis, key, openMs } = this.options;
    let done = false;
    // A lost settle or cancel is not retried: the place then counts until `openMs` runs out, which
    // errs on the side of the limit.
    const ignore = (): undefined => undefined;
    return {
      settle: () => {
        if (done) return;
        done = true;
        runScript(redis, SETTLE, [key], [member, String(this.windowMs + openMs)]).catch(ignore);
      },
      cancel: () => {
        if (done) return;
        done = true;
        redis.zrem(key, member).catch(ignore);
      },
    };
  }
}
