import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DURATIONS_KEPT, type DurationStore } from '../runs/durations';
import type { Records } from '../runs/records';
import { HISTORY_KEPT, type KeyClaims, type RunStore } from '../runs/store';
import { historyKey } from '../runs/target-key';
import { checkSameId, parseRun, prunableSince, serializeRun } from '../runs/stored-run';
import type { Run } from '../runs/types';

/** Bump with a migration step in `migrate` whenever the schema changes. */
const SCHEMA_VERSION = 6;
const FILE_NAME = 'runs.sqlite3';

/**
 * Keeps runs in one SQLite file, so that they survive restarts of a single process. The columns
 * beside `data` (the run as JSON) exist only to find runs; `data` is the truth.
 */
export class SqliteRunStore implements RunStore, DurationStore, KeyClaims, Records {
  private readonly statements: Statements;
  private readonly readModifyWrite: Database.Transaction<(id: string, change: (run: Run) => void) => Run | undefined>;

  private constructor(
    private readonly db: Database.Database,
    /** The clock idempotency keys expire by. */
    private readonly now: () => number,
  ) {
    const statements = prepare(db);
    this.statements = statements;
    this.readModifyWrite = db.transaction((id: string, change: (run: Run) => void) => {
      const row = statements.select.get(id);
      if (!row) return undefined;
      const run = parseRun(row.data);
      change(run);
      checkSameId(id, run);
      const next = toRow(run);
      if (next.data !== row.data) statements.update.run(next);
      return run;
    });
  }

  /** Opens (creating when missing) `dir/runs.sqlite3`, and the folder itself. */
  static open(dir: string, now: () => number = Date.now): SqliteRunStore {
    fs.mkdirSync(dir, { recursive: true });
    const db = new Database(path.join(dir, FILE_NAME));
    try {
      db.pragma('journal_mode = WAL');
      // In WAL mode, NORMAL syncs at checkpoints instead of at every commit: the file stays
      // consistent whatever the crash, a killed process loses nothing it committed, and only a
      // power loss or OS crash can lose the last few commits. At worst a run then resumes from a
      // slightly older state; it is never half written. That is worth the far cheaper commits.
      db.pragma('synchronous = NORMAL');
      // A restarting process may briefly overlap with the one it replaces.
      db.pragma('busy_timeout = 5000');
      migrate(db);
      return new SqliteRunStore(db, now);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async create(run: Run): Promise<void> {
    const result = this.statements.insert.run(toRow(run));
    if (result.changes === 0) throw new Error(`run ${run.id} exists already`);
  }

  async get(id: string): Promise<Run | undefined> {
    const row = this.statements.select.get(id);
    return row && parseRun(row.data);
  }

  async update(id: string, change: (run: Run) => void): Promise<Run | undefined> {
    // IMMEDIATE takes the write lock before reading, so another process cannot write in between.
    return this.readModifyWrite.immediate(id, change);
  }

  async delete(id: string): Promise<void> {
    this.statements.delete.run(id);
  }

  async listUnfinished(): Promise<Run[]> {
    return this.statements.unfinished.all().map((row) => parseRun(row.data));
  }

  async prune(finishedBefore: number): Promise<number> {
    this.statements.expireKeys.run(this.now());
    this.statements.expireRecords.run(this.now());
    return this.statements.prune.run(finishedBefore).changes;
  }

  async listRecent(teamId: string, channel: string, key: string, limit: number): Promise<Run[]> {
    const n = Math.max(0, Math.min(Math.floor(limit), HISTORY_KEPT));
    if (n === 0) return [];
    return this.statements.recent.all({ team_id: teamId, channel, target_key: key, limit: n }).map((row) => parseRun(row.data));
  }

  async recordDuration(checkId: string, ms: number): Promise<void> {
    this.statements.recordDuration.run({ check_id: checkId, ms });
    this.statements.trimDurations.run({ check_id: checkId, kept: DURATIONS_KEPT });
  }

  async recentDurations(checkIds: readonly string[]): Promise<Map<string, number[]>> {
    const found = new Map<string, number[]>();
    for (const id of new Set(checkIds)) {
      const rows = this.statements.durations.all(id, DURATIONS_KEPT);
      if (rows.length > 0)
        found.set(
          id,
          rows.map((r) => r.ms),
        );
    }
    return found;
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<string> {
    const now = this.now();
    // An expired key is taken over, a live one kept; IMMEDIATE keeps another process out in between.
    return this.db
      .transaction(() => {
        const claimed = this.statements.claim.get({ key, value, now, expires_at: now + ttlMs });
        return claimed?.value ?? this.statements.held.get(key)?.value ?? value;
      })
      .immediate();
  }

  async releaseKey(key: string, value: string): Promise<void> {
    this.statements.release.run(key, value);
  }

  async read(key: string): Promise<unknown> {
    const row = this.statements.record.get(key, this.now());
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  async change(key: string, change: (current: unknown) => unknown, ttlMs: number): Promise<unknown> {
    // IMMEDIATE takes the write lock before reading, so another process cannot write in between.
    return this.db
      .transaction(() => {
        const now = this.now();
        const held = this.statements.record.get(key, now)?.value;
        const next = change(held === undefined ? undefined : JSON.parse(held));
        const json = next === undefined ? undefined : JSON.stringify(next);
        if (json === held) return next;
        if (json === undefined) this.statements.deleteRecord.run(key);
        else this.statements.putRecord.run({ key, value: json, expires_at: now + ttlMs });
        return json === undefined ? undefined : JSON.parse(json);
      })
      .immediate();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

interface RunRow {
  id: string;
  team_id: string;
  channel: string;
  phase: string;
  created_at: number;
  /** Set only for settled runs: what `prune` goes by (see prunableSince). */
  finished_at: number | null;
  /** The run's target (historyKey), for listRecent; null for reruns, which are not listed. */
  target_key: string | null;
  data: string;
}

function toRow(run: Run): RunRow {
  return {
    id: run.id,
    team_id: run.teamId,
    channel: run.channel,
    phase: run.phase,
    created_at: run.createdAt,
    finished_at: prunableSince(run) ?? null,
    target_key: historyKey(run) ?? null,
    data: serializeRun(run),
  };
}

// Runs not settled (see isSettled): finished_at is set exactly for the settled ones. The partial
// index below serves only queries that repeat this verbatim.
const UNFINISHED = `finished_at IS NULL`;

function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true });
    if (typeof version !== 'number' || version > SCHEMA_VERSION) {
      throw new Error(`${FILE_NAME} has schema version ${String(version)}, newer than this app knows (${SCHEMA_VERSION})`);
    }
    if (version < 1) {
      db.exec(`
        CREATE TABLE IF NOT EXISTS runs (
          id TEXT PRIMARY KEY,
          team_id TEXT NOT NULL,
          channel TEXT NOT NULL,
          phase TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          finished_at INTEGER,
          data TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS runs_finished_at ON runs (finished_at) WHERE finished_at IS NOT NULL;
      `);
    }
    if (version < 2) {
      // Version 1 listed runs by phase, and had no settledAt: its over runs were shown as final
      // then (or never will be), so they count as settled when they finished.
      db.exec(`
        DROP INDEX IF EXISTS runs_unfinished;
        UPDATE runs SET data = json_set(data, '$.settledAt', finished_at) WHERE finished_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS runs_unsettled ON runs (created_at, id) WHERE ${UNFINISHED};
      `);
    }
    if (version < 3) {
      // Past sessions' durations per check, most recent last (seq), for the follower's scheduling.
      db.exec(`
        CREATE TABLE IF NOT EXISTS check_durations (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          check_id TEXT NOT NULL,
          ms INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS check_durations_by_check ON check_durations (check_id, seq);
      `);
    }
    if (version < 4) {
      // Idempotency keys of the HTTP API (KeyClaims).
      db.exec(`
        CREATE TABLE IF NOT EXISTS claimed_keys (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL,
          expires_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS claimed_keys_expiry ON claimed_keys (expires_at);
      `);
    }
    if (version < 5) {
      // Small records beside the runs (Records): a person's Home, the workflow steps waiting for their run.
      db.exec(`
        CREATE TABLE IF NOT EXISTS records (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL,
          expires_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS records_expiry ON records (expires_at);
      `);
    }
    if (version < 6) {
      // Each run's target (historyKey) beside it, for a target's last runs in a channel (listRecent).
      const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('runs')").all();
      if (!columns.some((c) => c.name === 'target_key')) db.exec('ALTER TABLE runs ADD COLUMN target_key TEXT');
      db.exec(`
        CREATE INDEX IF NOT EXISTS runs_by_target ON runs (team_id, channel, target_key, created_at, id) WHERE target_key IS NOT NULL;
      `);
      const fill = db.prepare<{ id: string; target_key: string | null }>('UPDATE runs SET target_key = @target_key WHERE id = @id');
      const rows = db.prepare<[], Pick<RunRow, 'id' | 'data'>>('SELECT id, data FROM runs').all();
      for (const row of rows) fill.run({ id: row.id, target_key: storedHistoryKey(row.data) });
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** A stored run's historyKey; null (not listed) when its JSON is not a run this app can read. */
function storedHistoryKey(data: string): string | null {
  try {
    return historyKey(parseRun(data)) ?? null;
  } catch {
    return null;
  }
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: Database.Database) {
  const columns = 'id, team_id, channel, phase, created_at, finished_at, target_key, data';
  const values = '@id, @team_id, @channel, @phase, @created_at, @finished_at, @target_key, @data';
  return {
    insert: db.prepare<RunRow>(`INSERT INTO runs (${columns}) VALUES (${values}) ON CONFLICT (id) DO NOTHING`),
    update: db.prepare<RunRow>(
      `UPDATE runs SET team_id = @team_id, channel = @channel, phase = @phase, created_at = @created_at,
         finished_at = @finished_at, target_key = @target_key, data = @data WHERE id = @id`,
    ),
    select: db.prepare<[string], Pick<RunRow, 'data'>>('SELECT data FROM runs WHERE id = ?'),
    delete: db.prepare<[string]>('DELETE FROM runs WHERE id = ?'),
    unfinished: db.prepare<[], Pick<RunRow, 'data'>>(`SELECT data FROM runs WHERE ${UNFINISHED} ORDER BY created_at, id`),
    prune: db.prepare<[number]>('DELETE FROM runs WHERE finished_at < ?'),
    recent: db.prepare<{ team_id: string; channel: string; target_key: string; limit: number }, Pick<RunRow, 'data'>>(
      `SELECT data FROM runs WHERE team_id = @team_id AND channel = @channel AND target_key = @target_key AND target_key IS NOT NULL
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
    ),
    recordDuration: db.prepare<{ check_id: string; ms: number }>('INSERT INTO check_durations (check_id, ms) VALUES (@check_id, @ms)'),
    trimDurations: db.prepare<{ check_id: string; kept: number }>(
      `DELETE FROM check_durations WHERE check_id = @check_id AND seq NOT IN
         (SELECT seq FROM check_durations WHERE check_id = @check_id ORDER BY seq DESC LIMIT @kept)`,
    ),
    durations: db.prepare<[string, number], { ms: number }>('SELECT ms FROM check_durations WHERE check_id = ? ORDER BY seq DESC LIMIT ?'),
    claim: db.prepare<{ key: string; value: string; now: number; expires_at: number }, { value: string }>(
      `INSERT INTO claimed_keys (key, value, expires_at) VALUES (@key, @value, @expires_at)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
           WHERE claimed_keys.expires_at <= @now
         RETURNING value`,
    ),
    held: db.prepare<[string], { value: string }>('SELECT value FROM claimed_keys WHERE key = ?'),
    release: db.prepare<[string, string]>('DELETE FROM claimed_keys WHERE key = ? AND value = ?'),
    expireKeys: db.prepare<[number]>('DELETE FROM claimed_keys WHERE expires_at <= ?'),
    record: db.prepare<[string, number], { value: string }>('SELECT value FROM records WHERE key = ? AND expires_at > ?'),
    putRecord: db.prepare<{ key: string; value: string; expires_at: number }>(
      `INSERT INTO records (key, value, expires_at) VALUES (@key, @value, @expires_at)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    ),
    deleteRecord: db.prepare<[string]>('DELETE FROM records WHERE key = ?'),
    expireRecords: db.prepare<[number]>('DELETE FROM records WHERE expires_at <= ?'),
  };
}
