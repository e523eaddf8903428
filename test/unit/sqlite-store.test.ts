import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteRunStore } from '../../src/store/sqlite';
import type { Run } from '../../src/runs/types';
import { aSession, runStoreContract } from './run-store-contract';
import { targetKey } from '../../src/runs/target-key';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-store-'));
let dirs = 0;
const freshDir = () => path.join(root, `store-${++dirs}`);

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

runStoreContract('SqliteRunStore', async () => SqliteRunStore.open(freshDir()));

describe('SqliteRunStore', () => {
  const run = (id: string, overrides: Partial<Run> = {}): Run => ({
    id,
    teamId: 'T1',
    channel: 'C1',
    requester: 'U1',
    target: { tags: [], checkIds: [], all: true },
    refreshCache: false,
    phase: 'running',
    sessions: [aSession('s1')],
    createdAt: 1_700_000_000_000,
    ...overrides,
  });

  it('creates its folder and runs.sqlite3, in WAL mode, at schema version 6', async () => {
    const dir = path.join(freshDir(), 'nested', 'state');
    const store = SqliteRunStore.open(dir);
    await store.close();
    const db = new Database(path.join(dir, 'runs.sqlite3'), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(6);
      const indexes = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' ORDER BY name").all();
      expect(indexes.map((i) => i.name)).toEqual(['runs_by_target', 'runs_finished_at', 'runs_unsettled', 'sqlite_autoindex_runs_1']);
    } finally {
      db.close();
    }
  });

  it('keeps the search columns in step with the run', async () => {
    const dir = freshDir();
    const store = SqliteRunStore.open(dir);
    await store.create(run('r1'));
    await store.update('r1', (r) => {
      r.phase = 'final';
      r.finishedAt = 1_700_000_060_000;
      r.settledAt = 1_700_000_061_000;
    });
    await store.close();
    const db = new Database(path.join(dir, 'runs.sqlite3'), { readonly: true });
    try {
      expect(db.prepare('SELECT id, team_id, channel, phase, created_at, finished_at FROM runs').all()).toEqual([
        { id: 'r1', team_id: 'T1', channel: 'C1', phase: 'final', created_at: 1_700_000_000_000, finished_at: 1_700_000_060_000 },
      ]);
    } finally {
      db.close();
    }
  });

  it('finds its runs again after a restart', async () => {
    const dir = freshDir();
    const first = SqliteRunStore.open(dir);
    await first.create(run('r1', { createdAt: 2 }));
    await first.create(run('r2', { createdAt: 1, phase: 'triggering' }));
    await first.create(run('r3', { phase: 'final', finishedAt: 5, settledAt: 5 }));
    await first.update('r1', (r) => {
      r.ts = '1700000000.000100';
    });
    await first.close();

    const second = SqliteRunStore.open(dir);
    try {
      expect(await second.get('r1')).toEqual(run('r1', { createdAt: 2, ts: '1700000000.000100' }));
      expect((await second.listUnfinished()).map((r) => r.id)).toEqual(['r2', 'r1']);
      expect(await second.prune(6)).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('upgrades a file of schema version 2: its runs stay, durations are kept from then on', async () => {
    const dir = freshDir();
    const store = SqliteRunStore.open(dir);
    await store.create(run('old'));
    await store.close();
    const db = new Database(path.join(dir, 'runs.sqlite3'));
    db.exec('DROP TABLE check_durations');
    db.pragma('user_version = 2');
    db.close();
    const upgraded = SqliteRunStore.open(dir);
    try {
      expect((await upgraded.get('old'))?.id).toBe('old');
      await upgraded.recordDuration('a0000000-0000-4000-8000-000000000001', 1234);
      expect(await upgraded.recentDurations(['a0000000-0000-4000-8000-000000000001'])).toEqual(new Map([['a0000000-0000-4000-8000-000000000001', [1234]]]));
    } finally {
      await upgraded.close();
    }
  });

  it('migrates a version 1 file: its over runs count as settled, its unfinished ones stay listed', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    const db = new Database(path.join(dir, 'runs.sqlite3'));
    db.exec(`
      CREATE TABLE runs (id TEXT PRIMARY KEY, team_id TEXT NOT NULL, channel TEXT NOT NULL, phase TEXT NOT NULL,
        created_at INTEGER NOT NULL, finished_at INTEGER, data TEXT NOT NULL);
      CREATE INDEX runs_unfinished ON runs (created_at, id) WHERE phase IN ('triggering', 'running');
      CREATE INDEX runs_finished_at ON runs (finished_at) WHERE finished_at IS NOT NULL;
    `);
    const insert = db.prepare('INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)');
    const over = run('old-final', { phase: 'final', finishedAt: 50 });
    const running = run('old-running', { createdAt: 10 });
    insert.run(over.id, 'T1', 'C1', 'final', over.createdAt, 50, JSON.stringify(over));
    insert.run(running.id, 'T1', 'C1', 'running', 10, null, JSON.stringify(running));
    db.pragma('user_version = 1');
    db.close();

    const store = SqliteRunStore.open(dir);
    try {
      expect(await store.get('old-final')).toEqual({ ...over, settledAt: 50 });
      expect((await store.listUnfinished()).map((r) => r.id)).toEqual(['old-running']);
      expect(await store.prune(51)).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('migrates a version 5 file with its runs: each is listed under its target (reruns and unreadable rows not), and nothing else changes', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    const db = new Database(path.join(dir, 'runs.sqlite3'));
    // Schema 5 as main left it: runs, durations, claimed keys, records.
    db.exec(`
      CREATE TABLE runs (id TEXT PRIMARY KEY, team_id TEXT NOT NULL, channel TEXT NOT NULL, phase TEXT NOT NULL,
        created_at INTEGER NOT NULL, finished_at INTEGER, data TEXT NOT NULL);
      CREATE INDEX runs_finished_at ON runs (finished_at) WHERE finished_at IS NOT NULL;
      CREATE INDEX runs_unsettled ON runs (created_at, id) WHERE finished_at IS NULL;
      CREATE TABLE check_durations (seq INTEGER PRIMARY KEY AUTOINCREMENT, check_id TEXT NOT NULL, ms INTEGER NOT NULL);
      CREATE INDEX check_durations_by_check ON check_durations (check_id, seq);
      CREATE TABLE claimed_keys (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX claimed_keys_expiry ON claimed_keys (expires_at);
      CREATE TABLE records (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX records_expiry ON records (expires_at);
    `);
    const insert = db.prepare('INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)');
    const prod = { tags: [['prod']], checkIds: [], all: false };
    const older = run('older', { target: prod, phase: 'final', finishedAt: 1_700_000_060_000, settledAt: 1_700_000_060_000 });
    const newer = run('newer', { target: prod, createdAt: 1_700_000_100_000 });
    const rerun = run('rerun', { target: prod, parentRunId: 'older', createdAt: 1_700_000_200_000 });
    const elsewhere = run('elsewhere', { target: prod, channel: 'C2' });
    for (const r of [older, newer, rerun, elsewhere]) insert.run(r.id, r.teamId, r.channel, r.phase, r.createdAt, r.finishedAt ?? null, JSON.stringify(r));
    insert.run('garbled', 'T1', 'C1', 'final', 1, 1, '{"not":"a run"}');
    db.prepare('INSERT INTO records VALUES (?, ?, ?)').run('home:U1', '{"pins":[]}', Date.now() + 3_600_000);
    db.prepare('INSERT INTO check_durations (check_id, ms) VALUES (?, ?)').run('c1', 1234);
    db.pragma('user_version = 5');
    db.close();

    const store = SqliteRunStore.open(dir);
    try {
      expect((await store.listRecent('T1', 'C1', targetKey(prod), 10)).map((r) => r.id)).toEqual(['newer', 'older']);
      expect((await store.listRecent('T1', 'C2', targetKey(prod), 10)).map((r) => r.id)).toEqual(['elsewhere']);
      expect(await store.get('older')).toEqual(older);
      expect(await store.get('rerun')).toEqual(rerun);
      expect(await store.read('home:U1')).toEqual({ pins: [] });
      expect(await store.recentDurations(['c1'])).toEqual(new Map([['c1', [1234]]]));
      // New runs are listed from then on.
      await store.create(run('latest', { target: prod, createdAt: 1_700_000_300_000 }));
      expect((await store.listRecent('T1', 'C1', targetKey(prod), 1)).map((r) => r.id)).toEqual(['latest']);
    } finally {
      await store.close();
    }
    const after = new Database(path.join(dir, 'runs.sqlite3'), { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(6);
    expect(after.prepare('SELECT id, target_key FROM runs WHERE target_key IS NULL ORDER BY id').all()).toEqual([
      { id: 'garbled', target_key: null },
      { id: 'rerun', target_key: null },
    ]);
    after.close();
  });

  it('refuses a file written by a newer schema, and leaves it alone', async () => {
    const dir = freshDir();
    await SqliteRunStore.open(dir).close();
    const db = new Database(path.join(dir, 'runs.sqlite3'));
    db.pragma('user_version = 7');
    db.close();
    expect(() => SqliteRunStore.open(dir)).toThrow('runs.sqlite3 has schema version 7, newer than this app knows (6)');
    const after = new Database(path.join(dir, 'runs.sqlite3'), { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(7);
    after.close();
  });

  it('is readable and consistent after the process is killed in the middle of updates', async () => {
    const dir = freshDir();
    const store = SqliteRunStore.open(dir);
    await store.create(run('r1', { sessions: Array.from({ length: 10 }, (_, i) => aSession(`s${i}`)) }));
    await store.close();

    // Every update sets the same counter in all ten sessions and prints it once committed.
    const script = `
      require('ts-node/register/transpile-only');
      const { SqliteRunStore } = require(${JSON.stringify(path.resolve(__dirname, '../../src/store/sqlite.ts'))});
      const store = SqliteRunStore.open(${JSON.stringify(dir)});
      (async () => {
        for (let n = 1; ; n++) {
          await store.update('r1', (run) => {
            for (const s of run.sessions) { s.timeElapsed = n; s.failedLocations = [String(n)]; }
          });
          process.stdout.write(n + '\\n');
        }
      })();
    `;
    const child = spawn(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let lastCommitted = 0;
    await new Promise<void>((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`child exited early (${String(code)}): ${stderr}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = chunk.toString().trim().split('\n');
        lastCommitted = Number(lines[lines.length - 1]);
        if (lastCommitted >= 300) resolve();
      });
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const reopened = SqliteRunStore.open(dir);
    try {
      const stored = await reopened.get('r1');
      const counters = stored!.sessions.map((s) => [s.timeElapsed, s.failedLocations[0]]);
      const n = counters[0]![0]!;
      // Nothing committed is lost to a killed process, and no update is half applied.
      expect(n).toBeGreaterThanOrEqual(lastCommitted);
      expect(counters).toEqual(Array.from({ length: 10 }, () => [n, String(n)]));
    } finally {
      await reopened.close();
    }
  });
});
