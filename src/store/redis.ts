import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { DURATIONS_KEPT, type DurationStore } from '../runs/durations';
import { isSettled } from '../runs/status';
import type { Records } from '../runs/records';
import { HISTORY_KEPT, type KeyClaims, type RunStore } from '../runs/store';
import { historyKey } from '../runs/target-key';
import { checkSameId, parseRun, prunableSince, serializeRun } from '../runs/stored-run';
import { CHANGE_RECORD, COMPARE_AND_SET, CREATE, PRUNE, PUT_IF_ABSENT, RELEASE_KEY, runScript, sha1 } from './redis-scripts';
import type { Run } from '../runs/types';

/** A stored run, or undefined when what is stored is not one (left alone). */
function tryParseRun(json: string): Run | undefined {
  try {
    return parseRun(json);
  } catch {
    return undefined;
  }
}

export interface RedisRunStoreOptions {
  /** Put before every key; default 'checkly-slack:'. */
  prefix?: string;
  /** How long an over run is kept after `finishedAt`; Redis then deletes it by itself. */
  retentionMs: number;
}

/** Retries of one update when other replicas keep changing the run between our read and write. */
const MAX_ATTEMPTS = 50;
/** A check not run for this long has its durations forgotten. */
const DURATIONS_TTL_MS = 30 * 24 * 3600 * 1000;
/** What the store keeps, as SqliteRunStore's schema version: 6 lists each run under its target. */
export const SCHEMA_VERSION = 6;
/** A target's list of runs outlives its last run's retention by this much (a run may run for a while before it finishes). */
const HISTORY_GRACE_MS = 24 * 3600 * 1000;
/** Scripts get ids in batches, so that one prune does not block Redis for long. */
const PRUNE_BATCH = 500;

/**
 * Keeps runs in Redis, shared by every replica. Keys (after the prefix):
 * - `run:<id>`: the run as JSON; an over run expires `retentionMs` after it finished;
 * - `runs:unfinished`: sorted set of the ids of runs not settled (see isSettled), by createdAt;
 * - `runs:finished`: sorted set of the ids of settled runs, by finishedAt (see prunableSince), so that
 *   prune finds them without scanning the keyspace;
 * - `runs:target:<digest>`: sorted set of the ids of a target's runs in a channel, by createdAt (the
 *   newest HISTORY_KEPT), for listRecent; entries of runs gone are dropped when read;
 * - `durations:<checkId>`: list of the check's last sessions' durations in ms, most recent first.
 * - `key:<key>`: a claimed key (KeyClaims), which Redis expires by itself.
 * - `record:<key>`: a record (Records) as JSON, which Redis expires by itself.
 *
 * Updates are compare-and-set scripts (see redis-scripts.ts), safe on the caller's shared
 * connection. All keys of one store must live on one server: not for Redis Cluster.
 */
export class RedisRunStore implements RunStore, DurationStore, KeyClaims, Records {
  private readonly prefix: string;
  private readonly retentionMs: number;
  /** Updates of one run from this process wait for each other: only other replicas can conflict. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly redis: Redis,
    options: RedisRunStoreOptions,
  ) {
    this.prefix = options.prefix ?? 'checkly-slack:';
    this.retentionMs = options.retentionMs;
  }

  async create(run: Run): Promise<void> {
    const json = serializeRun(run);
    const key = historyKey(run);
    const listed = key === undefined ? ['', '', ''] : [String(run.createdAt), String(HISTORY_KEPT), String(this.retentionMs + HISTORY_GRACE_MS)];
    const created = await runScript(
      this.redis,
      CREATE,
      [...this.keysOf(run.id), this.targetKey(run.teamId, run.channel, key ?? '')],
      [...this.indexArgs(run), json, ...listed],
    );
    if (created !== 1) throw new Error(`run ${run.id} exists already`);
  }

  async get(id: string): Promise<Run | undefined> {
    const json = await this.redis.get(this.runKey(id));
    return json === null ? undefined : parseRun(json);
  }

  update(id: string, change: (run: Run) => void): Promise<Run | undefined> {
    return this.oneAtATime(id, () => this.compareAndSet(id, change));
  }

  async delete(id: string): Promise<void> {
    // A MULTI without WATCH is sent as one block, so it is safe on a shared connection.
    await this.redis.multi().del(this.runKey(id)).zrem(this.unfinishedKey, id).zrem(this.finishedKey, id).exec();
  }

  async listUnfinished(): Promise<Run[]> {
    const ids = await this.redis.zrange(this.unfinishedKey, 0, '-1');
    if (ids.length === 0) return [];
    const jsons = await this.redis.mget(ids.map((id) => this.runKey(id)));
    // A run may have finished or vanished between the two reads; prune drops vanished entries.
    return jsons.flatMap((json) => (json === null ? [] : [parseRun(json)])).filter((run) => !isSettled(run));
  }

  async prune(finishedBefore: number): Promise<number> {
    const [unfinished, finished] = await Promise.all([
      this.redis.zrange(this.unfinishedKey, 0, '-1'),
      this.redis.zrangebyscore(this.finishedKey, '-inf', `(${finishedBefore}`),
    ]);
    const ids = [...new Set([...unfinished, ...finished])];
    let deleted = 0;
    for (let i = 0; i < ids.length; i += PRUNE_BATCH) {
      const batch = ids.slice(i, i + PRUNE_BATCH);
      const keys = [this.unfinishedKey, this.finishedKey, ...batch.map((id) => this.runKey(id))];
      const count = await runScript(this.redis, PRUNE, keys, [String(finishedBefore), ...batch]);
      deleted += Number(count);
    }
    return deleted;
  }

  /**
   * Brings what the store keeps up to SCHEMA_VERSION: from 5 (or none), lists every stored run under
   * its target (listRecent). Safe to run by several replicas at once, and again.
   */
  async migrate(): Promise<void> {
    const versionKey = `${this.prefix}schema`;
    const version = Number((await this.redis.get(versionKey)) ?? '0');
    if (version > SCHEMA_VERSION) throw new Error(`Redis at this prefix has schema version ${version}, newer than this app knows (${SCHEMA_VERSION})`);
    if (version >= SCHEMA_VERSION) return;
    // SCAN is the one command a connection's keyPrefix does not apply to: its pattern and answers carry it.
    const connectionPrefix = this.redis.options.keyPrefix ?? '';
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${connectionPrefix}${this.prefix}run:*`, 'COUNT', 500);
      cursor = next;
      const keys = found.map((k) => k.slice(connectionPrefix.length));
      const jsons = keys.length > 0 ? await this.redis.mget(keys) : [];
      const pipeline = this.redis.pipeline();
      for (const json of jsons) {
        const run = json === null ? undefined : tryParseRun(json);
        const key = run && historyKey(run);
        if (!run || key === undefined) continue;
        const setKey = this.targetKey(run.teamId, run.channel, key);
        pipeline
          .zadd(setKey, run.createdAt, run.id)
          .zremrangebyrank(setKey, 0, -(HISTORY_KEPT + 1))
          .pexpire(setKey, this.retentionMs + HISTORY_GRACE_MS);
      }
      await pipeline.exec();
    } while (cursor !== '0');
    await this.redis.set(versionKey, String(SCHEMA_VERSION));
  }

  async listRecent(teamId: string, channel: string, key: string, limit: number): Promise<Run[]> {
    const n = Math.max(0, Math.min(Math.floor(limit), HISTORY_KEPT));
    if (n === 0) return [];
    const setKey = this.targetKey(teamId, channel, key);
    const found: Run[] = [];
    // The newest n first; entries of runs Redis expired (or prune deleted) are dropped, and the next ones read.
    for (let from = 0; found.length < n && from < HISTORY_KEPT; ) {
      const ids = await this.redis.zrevrange(setKey, from, from + (n - found.length) - 1);
      if (ids.length === 0) break;
      const jsons = await this.redis.mget(ids.map((id) => this.runKey(id)));
      const gone = ids.filter((_, i) => jsons[i] === null);
      if (gone.length > 0) await this.redis.zrem(setKey, ...gone);
      for (const json of jsons) if (json !== null) found.push(parseRun(json));
      from += ids.length - gone.length;
    }
    return found;
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<string> {
    const held = await runScript(this.redis, PUT_IF_ABSENT, [`${this.prefix}key:${key}`], [value, String(Math.max(1, Math.round(ttlMs)))]);
    // Expired between SET and GET (a ttl of a millisecond): nobody holds it, so ours is as good.
    return typeof held === 'string' ? held : value;
  }

  async releaseKey(key: string, value: string): Promise<void> {
    await runScript(this.redis, RELEASE_KEY, [`${this.prefix}key:${key}`], [value]);
  }

  async read(key: string): Promise<unknown> {
    const json = await this.redis.get(this.recordKey(key));
    return json === null ? undefined : JSON.parse(json);
  }

  async change(key: string, change: (current: unknown) => unknown, ttlMs: number): Promise<unknown> {
    const redisKey = this.recordKey(key);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const held = await this.redis.get(redisKey);
      const next = change(held === null ? undefined : JSON.parse(held));
      const json = next === undefined ? '' : JSON.stringify(next);
      if (json === (held ?? '')) return next;
      const args = [held === null ? '0' : '1', held === null ? '' : sha1(held), json, String(Math.max(1, Math.round(ttlMs)))];
      if ((await runScript(this.redis, CHANGE_RECORD, [redisKey], args)) === 1) return json === '' ? undefined : JSON.parse(json);
      await sleep(Math.random() * Math.min(2 ** attempt, 50));
    }
    throw new Error(`record ${key} kept changing: gave up changing it after ${MAX_ATTEMPTS} attempts`);
  }

  /** Does not quit the connection: the caller made it, may share it, and quits it. */
  async close(): Promise<void> {}

  private async compareAndSet(id: string, change: (run: Run) => void): Promise<Run | undefined> {
    const key = this.runKey(id);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const json = await this.redis.get(key);
      if (json === null) return undefined;
      const run = parseRun(json);
      change(run);
      checkSameId(id, run);
      const next = serializeRun(run);
      if (next === json) return run;
      const result = await runScript(this.redis, COMPARE_AND_SET, this.keysOf(id), [...this.indexArgs(run), next, sha1(json)]);
      if (result === 1) return run;
      if (result === -1) return undefined;
      await sleep(Math.random() * Math.min(2 ** attempt, 50));
    }
    throw new Error(`run ${id} kept changing: gave up updating it after ${MAX_ATTEMPTS} attempts`);
  }

  /** ARGV[1..5] of FILE_RUN in redis-scripts.ts. */
  private indexArgs(run: Run): string[] {
    const finishedAt = prunableSince(run);
    return [
      run.id,
      finishedAt === undefined ? String(run.createdAt) : '',
      finishedAt === undefined ? '' : String(finishedAt),
      finishedAt === undefined ? '' : String(finishedAt + this.retentionMs),
      String(this.retentionMs),
    ];
  }

  private oneAtATime<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const result = previous.then(task);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return result;
  }

  private keysOf(id: string): string[] {
    return [this.runKey(id), this.unfinishedKey, this.finishedKey];
  }

  async recordDuration(checkId: string, ms: number): Promise<void> {
    const key = `${this.prefix}durations:${checkId}`;
    // One block: a list never outgrows DURATIONS_KEPT, whichever replicas push at once.
    await this.redis
      .multi()
      .lpush(key, String(ms))
      .ltrim(key, 0, DURATIONS_KEPT - 1)
      .pexpire(key, DURATIONS_TTL_MS)
      .exec();
  }

  async recentDurations(checkIds: readonly string[]): Promise<Map<string, number[]>> {
    const ids = [...new Set(checkIds)];
    const found = new Map<string, number[]>();
    if (ids.length === 0) return found;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.lrange(`${this.prefix}durations:${id}`, 0, DURATIONS_KEPT - 1);
    const answers = (await pipeline.exec()) ?? [];
    ids.forEach((id, i) => {
      const [err, list] = answers[i] ?? [];
      if (err) throw err;
      const values = (list as string[]).map(Number).filter((n) => Number.isFinite(n));
      if (values.length > 0) found.set(id, values);
    });
    return found;
  }

  /** The sorted set of a target's runs in a channel (by createdAt), named by a digest of the three. */
  private targetKey(teamId: string, channel: string, key: string): string {
    return `${this.prefix}runs:target:${sha1(JSON.stringify([teamId, channel, key]))}`;
  }

  private recordKey(key: string): string {
    return `${this.prefix}record:${key}`;
  }

  private runKey(id: string): string {
    return `${this.prefix}run:${id}`;
  }

  private get unfinishedKey(): string {
    return `${this.prefix}runs:unfinished`;
  }

  private get finishedKey(): string {
    return `${this.prefix}runs:finished`;
  }
}
