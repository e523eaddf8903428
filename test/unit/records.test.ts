import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryRecords, type Records } from '../../src/runs/records';
import { SqliteRunStore } from '../../src/store/sqlite';
import { sleep } from '../helpers';
import { redisStorePairs } from './redis-pairs';

/** `open` gives two handles on one fresh store (two connections, or two processes' view of one file). */
function recordsContract(name: string, open: () => Promise<[Records, Records]>): void {
  describe(`${name} (Records)`, () => {
    let a: Records;
    let b: Records;
    beforeEach(async () => {
      [a, b] = await open();
    });

    it('has nothing under a key never written', async () => {
      expect(await a.read('nope')).toBeUndefined();
    });

    it('stores what the change returns, and gives it to the other handle', async () => {
      const stored = await a.change('home:T1:U1', () => ({ recent: ['r1'], pins: [] }), 60_000);
      expect(stored).toEqual({ recent: ['r1'], pins: [] });
      expect(await b.read('home:T1:U1')).toEqual({ recent: ['r1'], pins: [] });
      expect(await b.read('home:T1:U2')).toBeUndefined();
    });

    it('hands the change what is stored, and deletes the record when it returns undefined', async () => {
      await a.change('k', () => ({ n: 1 }), 60_000);
      const seen: unknown[] = [];
      await b.change(
        'k',
        (current) => {
          seen.push(current);
          return { n: (current as { n: number }).n + 1 };
        },
        60_000,
      );
      expect(seen.at(-1)).toEqual({ n: 1 });
      expect(await a.read('k')).toEqual({ n: 2 });
      expect(await a.change('k', () => undefined, 60_000)).toBeUndefined();
      expect(await b.read('k')).toBeUndefined();
    });

    it('applies concurrent changes one after the other: none is lost', async () => {
      const add = (handle: Records, item: number) => handle.change('list', (current) => [...((current as number[] | undefined) ?? []), item], 60_000);
      await Promise.all(Array.from({ length: 20 }, (_, i) => add(i % 2 === 0 ? a : b, i)));
      const list = (await a.read('list')) as number[];
      expect([...list].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it('forgets a record once its time is up, and a change that throws stores nothing', async () => {
      await a.change('short', () => 'soon gone', 30);
      await a.change('kept', () => 'here', 60_000);
      await sleep(80);
      expect(await b.read('short')).toBeUndefined();
      await expect(
        b.change(
          'kept',
          () => {
            throw new Error('no');
          },
          60_000,
        ),
      ).rejects.toThrow('no');
      expect(await a.read('kept')).toBe('here');
    });
  });
}

recordsContract('MemoryRecords', async () => {
  const records = new MemoryRecords();
  return [records, records];
});

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'records-'));
let dirs = 0;
const sqlite: SqliteRunStore[] = [];
recordsContract('SqliteRunStore', async () => {
  const dir = path.join(root, `store-${++dirs}`);
  const pair: [SqliteRunStore, SqliteRunStore] = [SqliteRunStore.open(dir), SqliteRunStore.open(dir)];
  sqlite.push(...pair);
  return pair;
});

test('SqliteRunStore: prune deletes the records whose time is up', async () => {
  let now = 1_000_000;
  const store = SqliteRunStore.open(path.join(root, 'prune'), () => now);
  sqlite.push(store);
  await store.change('old', () => 1, 1000);
  await store.change('new', () => 2, 60_000);
  now += 5000;
  await store.prune(0);
  now -= 5000;
  // Read at the earlier time: only a row that is gone from the table answers nothing now.
  expect(await store.read('old')).toBeUndefined();
  expect(await store.read('new')).toBe(2);
});

const redisPairs = redisStorePairs();
recordsContract('RedisRunStore', async () => redisPairs.open());

afterAll(async () => {
  await Promise.all(sqlite.map((s) => s.close()));
  fs.rmSync(root, { recursive: true, force: true });
  await redisPairs.cleanup();
});
