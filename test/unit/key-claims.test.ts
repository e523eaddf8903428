import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteRunStore } from '../../src/store/sqlite';
import { MemoryRunStore, type KeyClaims, type RunStore } from '../../src/runs/store';
import { sleep } from '../helpers';
import { redisStorePairs } from './redis-pairs';

type ClaimStore = KeyClaims & RunStore;

/** `open` gives two handles on one fresh store (two connections, or two processes' view of one file). */
function keyClaimsContract(name: string, open: () => Promise<[ClaimStore, ClaimStore]>): void {
  describe(`${name} (KeyClaims)`, () => {
    let a: ClaimStore;
    let b: ClaimStore;
    beforeEach(async () => {
      [a, b] = await open();
    });
    afterEach(async () => {
      await a.close();
      if (b !== a) await b.close();
    });

    it('gives the key to the first claim and the first value to every later one', async () => {
      expect(await a.putIfAbsent('k', 'run-1', 60_000)).toBe('run-1');
      expect(await b.putIfAbsent('k', 'run-2', 60_000)).toBe('run-1');
      expect(await a.putIfAbsent('other', 'run-3', 60_000)).toBe('run-3');
    });

    it('lets exactly one of many concurrent claims win', async () => {
      const values = Array.from({ length: 20 }, (_, i) => `run-${i}`);
      const held = await Promise.all(values.map((v, i) => (i % 2 === 0 ? a : b).putIfAbsent('race', v, 60_000)));
      expect(new Set(held).size).toBe(1);
      expect(values).toContain(held[0]);
    });

    it('lets a new claim win once the key expired', async () => {
      expect(await a.putIfAbsent('short', 'run-1', 30)).toBe('run-1');
      await sleep(80);
      expect(await b.putIfAbsent('short', 'run-2', 60_000)).toBe('run-2');
    });

    it('releases a key only while it holds the given value', async () => {
      await a.putIfAbsent('k', 'run-1', 60_000);
      await b.releaseKey('k', 'run-other');
      expect(await a.putIfAbsent('k', 'run-2', 60_000)).toBe('run-1');
      await b.releaseKey('k', 'run-1');
      expect(await a.putIfAbsent('k', 'run-2', 60_000)).toBe('run-2');
    });
  });
}

keyClaimsContract('MemoryRunStore', async () => {
  const store = new MemoryRunStore();
  return [store, store];
});

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'key-claims-'));
let dirs = 0;
keyClaimsContract('SqliteRunStore', async () => {
  const dir = path.join(root, `store-${++dirs}`);
  return [SqliteRunStore.open(dir), SqliteRunStore.open(dir)];
});

const redisPairs = redisStorePairs();
keyClaimsContract('RedisRunStore', async () => redisPairs.open());

afterAll(async () => {
  fs.rmSync(root, { recursive: true, force: true });
  await redisPairs.cleanup();
});
