import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisRunStore } from '../../src/store/redis';
import type { Run } from '../../src/runs/types';
import { aSession, runStoreContract } from './run-store-contract';
import { targetKey } from '../../src/runs/target-key';
import { sleep } from '../helpers';

// Needs Redis at 127.0.0.1:6379 (scripts/ensure-services.sh starts it): fails, never skips, without it.
const filePrefix = `test:${randomUUID()}:`;
const day = 86_400_000;
const connections: Redis[] = [];
let stores = 0;

function connect(options: { keyPrefix?: string } = {}): Redis {
  // Give up at once instead of queueing commands while reconnecting, so a missing Redis fails fast.
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 0, retryStrategy: () => null, ...options });
  connections.push(redis);
  return redis;
}

const redis = connect();
const freshPrefix = () => `${filePrefix}${++stores}:`;

beforeAll(async () => {
  const pong = await redis.ping().catch((err: unknown) => {
    throw new Error(`Redis at 127.0.0.1:6379 is needed (scripts/ensure-services.sh starts it): ${String(err)}`);
  });
  expect(pong).toBe('PONG');
});

afterAll(async () => {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${filePrefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
});

runStoreContract('RedisRunStore', async () => new RedisRunStore(redis, { prefix: freshPrefix(), retentionMs: day }));

describe('RedisRunStore', () => {
  const now = Date.now();
  const run = (id: string, overrides: Partial<Run> = {}): Run => ({
    id,
    teamId: 'T1',
    channel: 'C1',
    requester: 'U1',
    target: { tags: [], checkIds: ['c1'], all: false },
    refreshCache: false,
    phase: 'running',
    sessions: [],
    createdAt: now - 1000,
    ...overrides,
  });

  it.each([
    ['its own prefix', undefined],
    ['a connection keyPrefix too', `${filePrefix}conn:`],
  ])('migrates what schema 5 stored (with %s): every run is listed under its target, reruns not; once; a newer schema is refused', async (_name, keyPrefix) => {
    const conn = keyPrefix === undefined ? redis : connect({ keyPrefix });
    const prefix = freshPrefix();
    const prod = { tags: [['prod']], checkIds: [], all: false };
    // Schema 5 kept a run as `run:<id>` (and its indexes) with no list by target.
    const stored = [
      run('older', { target: prod, createdAt: now - 3000 }),
      run('newer', { target: prod, createdAt: now - 2000 }),
      run('rerun', { target: prod, parentRunId: 'older', createdAt: now - 1000 }),
      run('elsewhere', { target: prod, channel: 'C2' }),
    ];
    for (const r of stored) await conn.set(`${prefix}run:${r.id}`, JSON.stringify(r));
    await conn.set(`${prefix}run:garbled`, 'not json at all');
    await conn.set(`${prefix}record:home:U1`, '{"pins":[]}');
    const store = new RedisRunStore(conn, { prefix, retentionMs: day });
    expect(await store.listRecent('T1', 'C1', targetKey(prod), 10)).toEqual([]);
    await store.migrate();
    expect((await store.listRecent('T1', 'C1', targetKey(prod), 10)).map((r) => r.id)).toEqual(['newer', 'older']);
    expect((await store.listRecent('T1', 'C2', targetKey(prod), 10)).map((r) => r.id)).toEqual(['elsewhere']);
    expect(await store.get('rerun')).toEqual(stored[2]);
    expect(await store.read('home:U1')).toEqual({ pins: [] });
    expect(await conn.get(`${prefix}schema`)).toBe('6');
    // Done once: a run stored without its list afterwards is not looked for again.
    await conn.set(`${prefix}run:late`, JSON.stringify(run('late', { target: prod, createdAt: now })));
    await store.migrate();
    expect((await store.listRecent('T1', 'C1', targetKey(prod), 10)).map((r) => r.id)).toEqual(['newer', 'older']);
    await conn.set(`${prefix}schema`, '7');
    await expect(store.migrate()).rejects.toThrow('Redis at this prefix has schema version 7, newer than this app knows (6)');
  });

  it('files runs under its keys, and lets Redis expire over runs after the retention', async () => {
    const prefix = freshPrefix();
    const store = new RedisRunStore(redis, { prefix, retentionMs: day });
    await store.create(run('r1'));
    expect(JSON.parse((await redis.get(`${prefix}run:r1`))!)).toEqual(run('r1'));
    expect(await redis.zscore(`${prefix}runs:unfinished`, 'r1')).toBe(String(now - 1000));
    expect(await redis.pttl(`${prefix}run:r1`)).toBe(-1);

    await store.update('r1', (r) => {
      r.phase = 'final';
      r.finishedAt = now;
      r.settledAt = now;
    });
    expect(await redis.zscore(`${prefix}runs:unfinished`, 'r1')).toBeNull();
    expect(await redis.zscore(`${prefix}runs:finished`, 'r1')).toBe(String(now));
    expect(await redis.pexpiretime(`${prefix}run:r1`)).toBe(now + day);
  });

  it('defaults its prefix to checkly-slack:', async () => {
    const store = new RedisRunStore(redis, { retentionMs: day });
    const id = `${filePrefix}default-prefix`;
    try {
      await store.create(run(id));
      expect(await redis.exists(`checkly-slack:run:${id}`)).toBe(1);
    } finally {
      await store.delete(id);
    }
    expect(await redis.exists(`checkly-slack:run:${id}`)).toBe(0);
    expect(await redis.zscore('checkly-slack:runs:unfinished', id)).toBeNull();
  });

  it('counts runs Redis expired already as not pruned, and forgets them', async () => {
    const prefix = freshPrefix();
    const store = new RedisRunStore(redis, { prefix, retentionMs: 50 });
    await store.create(run('r1', { phase: 'final', finishedAt: Date.now(), settledAt: Date.now() }));
    for (let i = 0; i < 100 && (await redis.exists(`${prefix}run:r1`)) === 1; i++) await sleep(20);
    expect(await store.get('r1')).toBeUndefined();
    expect(await redis.zcard(`${prefix}runs:finished`)).toBe(1);
    expect(await store.prune(Date.now() + 1)).toBe(0);
    expect(await redis.zcard(`${prefix}runs:finished`)).toBe(0);
  });

  it('drops unfinished entries whose run vanished', async () => {
    const prefix = freshPrefix();
    const store = new RedisRunStore(redis, { prefix, retentionMs: day });
    await store.create(run('gone'));
    await store.create(run('kept', { createdAt: now }));
    await redis.del(`${prefix}run:gone`);
    expect((await store.listUnfinished()).map((r) => r.id)).toEqual(['kept']);
    expect(await store.prune(now)).toBe(0);
    expect(await redis.zrange(`${prefix}runs:unfinished`, 0, '-1')).toEqual(['kept']);
  });

  it('retries a change on the fresh run when the run changed between its read and its write', async () => {
    const prefix = freshPrefix();
    const store = new RedisRunStore(redis, { prefix, retentionMs: day });
    await store.create(run('r1'));
    const seen: string[] = [];
    const updated = await store.update('r1', (r) => {
      seen.push(r.requester);
      // Sent on the store's own connection before its write, so it lands in between.
      if (seen.length === 1) void redis.set(`${prefix}run:r1`, JSON.stringify({ ...r, requester: 'U2' }));
      r.sessions.push(aSession('s1'));
    });
    expect(seen).toEqual(['U1', 'U2']);
    expect(updated).toEqual(run('r1', { requester: 'U2', sessions: [aSession('s1')] }));
    expect(await store.get('r1')).toEqual(updated);
  });

  it('loses none of 50 concurrent updates from two connections', async () => {
    const prefix = freshPrefix();
    const replicas = [connect(), connect()].map((c) => new RedisRunStore(c, { prefix, retentionMs: day }));
    await replicas[0]!.create(run('r1'));
    let calls = 0;
    const ids = Array.from({ length: 50 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    await Promise.all(
      ids.map((sessionId, i) =>
        replicas[i % 2]!.update('r1', (r) => {
          calls++;
          r.sessions.push(aSession(sessionId));
        }),
      ),
    );
    const stored = await replicas[1]!.get('r1');
    expect(stored?.sessions.map((s) => s.sessionId).sort()).toEqual(ids);
    // Proves the two connections did collide, so the retries were exercised.
    expect(calls).toBeGreaterThan(50);
  });

  it('loses none of 50 concurrent updates from ten stores sharing one connection', async () => {
    const prefix = freshPrefix();
    const shared = connect();
    const replicas = Array.from({ length: 10 }, () => new RedisRunStore(shared, { prefix, retentionMs: day }));
    await replicas[0]!.create(run('r1'));
    const ids = Array.from({ length: 50 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    await Promise.all(
      ids.map((sessionId, i) =>
        replicas[i % 10]!.update('r1', (r) => {
          r.sessions.push(aSession(sessionId));
        }),
      ),
    );
    expect((await replicas[3]!.get('r1'))?.sessions.map((s) => s.sessionId).sort()).toEqual(ids);
  });

  it('queues the updates of one run from one store instead of letting them collide', async () => {
    const store = new RedisRunStore(redis, { prefix: freshPrefix(), retentionMs: day });
    await store.create(run('r1'));
    let calls = 0;
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        store.update('r1', (r) => {
          calls++;
          r.sessions.push(aSession(`s${i}`));
        }),
      ),
    );
    expect(calls).toBe(100);
    expect((await store.get('r1'))?.sessions).toHaveLength(100);
  });

  it('honours a keyPrefix of the connection', async () => {
    const keyPrefix = `${filePrefix}kp:`;
    const store = new RedisRunStore(connect({ keyPrefix }), { prefix: 'app:', retentionMs: day });
    await store.create(run('r1', { createdAt: now - 2 }));
    await store.create(run('r2', { createdAt: now - 1 }));
    await store.update('r2', (r) => {
      r.phase = 'final';
      r.finishedAt = now - 10;
      r.settledAt = now - 10;
    });
    expect(await redis.exists(`${keyPrefix}app:run:r1`)).toBe(1);
    expect(await redis.zrange(`${keyPrefix}app:runs:unfinished`, 0, '-1')).toEqual(['r1']);
    expect((await store.listUnfinished()).map((r) => r.id)).toEqual(['r1']);
    expect(await store.prune(now)).toBe(1);
    expect(await redis.exists(`${keyPrefix}app:run:r2`)).toBe(0);
  });

  it('leaves the connection open on close: the caller owns it', async () => {
    const connection = connect();
    expect(await connection.ping()).toBe('PONG');
    const store = new RedisRunStore(connection, { prefix: freshPrefix(), retentionMs: day });
    await store.close();
    expect(connection.status).toBe('ready');
    expect(await connection.ping()).toBe('PONG');
  });
});
