/**
 * Store faults in the middle of a run (issue 9): Redis stopped and started again, SQLite refusing
 * writes. The real app runs as a child process against the fakes; a check finishes while the store
 * cannot record it. Its result must not be lost, and the process must not exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { FakeMessage } from '../fakes/slack';
import { childApps } from './child';
import { findButton, messageText, waitFor } from './harness';
import { freePort, sleep } from '../helpers';

const fx = childApps({ CHECKLY_POLL_WAIT_SECONDS: '1', SLACK_UPDATE_INTERVAL_MS: '200', RUN_SWEEP_INTERVAL_MS: '500' });
const { launch, command } = fx;

function runMessage(): FakeMessage | undefined {
  return [...fx.slack.messages.values()].find((m) => m.thread_ts === undefined);
}

function current(message: FakeMessage): FakeMessage {
  return fx.slack.messages.get(`${message.channel}:${message.ts}`)!;
}

const isFinal = (m: FakeMessage) => findButton(m.blocks ?? [], 'run_rerun_all') !== undefined;

function triggers(): number {
  return fx.checkly.requests.filter((r) => r.op === 'trigger' && r.status === 201).length;
}

/** A Redis of the test's own, which it can stop and start again on the same port. */
class OwnRedis {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), mkdtempSync(path.join(tmpdir(), 'checkly-slack-redis-')));
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Nothing written to disk except the append-only file of its own folder: a restarted Redis keeps
   * its data, as a production Redis with persistence does (one without would lose every run).
   */
  async up(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    await waitFor(() => /Ready to accept connections/.test(out) || child.exitCode !== null, 10_000, 'redis-server to start');
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
  }

  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
}

describe('store faults mid-run', () => {
  test('Redis stopped while a check finishes, then started again: the result is shown, the app never exits', async () => {
    const redis = await OwnRedis.start();
    try {
      fx.checkly.addCheck({ name: 'Fast', tags: ['prod'], durationMs: 300 });
      fx.checkly.addCheck({ name: 'During the outage', tags: ['prod'], durationMs: 2000, outcome: 'FAILED', errorMessage: 'boom' });
      fx.checkly.addCheck({ name: 'After', tags: ['prod'], durationMs: 6000 });
      const app = await launch({ REDIS_URL: redis.url, REDIS_PREFIX: 'faults:', STATE_DIR: '/nonexistent-unused' }).started();
      await command(app, 'run prod');
      const message = await waitFor(
        () => {
          const m = runMessage();
          return m && /1 passed/.test(messageText(current(m))) ? m : undefined;
        },
        15_000,
        'the run under way',
      );

      await redis.down();
      await sleep(3000); // 'During the outage' finishes now
      expect(app.exitCode).toBeUndefined();
      await redis.up();

      const final = await waitFor(() => (isFinal(current(message)) ? current(message) : undefined), 40_000, 'the final state');
      expect(messageText(final)).toContain('2 passed');
      expect(messageText(final)).toContain('1 failed');
      expect(messageText(final)).toContain('During the outage');
      expect(triggers()).toBe(1);
      expect(app.exitCode).toBeUndefined();
      expect(app.lines.some((l) => l.msg === 'unhandled rejection' || l.msg === 'uncaught exception')).toBe(false);
    } finally {
      await redis.down();
    }
  }, 90_000);

  test('SQLite refusing writes (busy) while a check finishes: the result is recorded later, the app never exits', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-busy-'));
    fx.checkly.addCheck({ name: 'Fast', tags: ['prod'], durationMs: 300 });
    fx.checkly.addCheck({ name: 'While busy', tags: ['prod'], durationMs: 2500, outcome: 'FAILED', errorMessage: 'boom' });
    const app = await launch({ STATE_DIR: stateDir }).started();
    await command(app, 'run prod');
    const message = await waitFor(
      () => {
        const m = runMessage();
        return m && /1 passed/.test(messageText(current(m))) ? m : undefined;
      },
      15_000,
      'the run under way',
    );

    // Another writer holds the database: every write of the app fails with SQLITE_BUSY (after its 5 s wait).
    const blocker = new Database(path.join(stateDir, 'runs.sqlite3'));
    blocker.exec('BEGIN EXCLUSIVE');
    try {
      await waitFor(() => app.lines.some((l) => l.msg === 'recording a final session failed; will try again'), 20_000, 'a write to fail');
      expect(app.exitCode).toBeUndefined();
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }

    const final = await waitFor(() => (isFinal(current(message)) ? current(message) : undefined), 30_000, 'the final state');
    expect(messageText(final)).toContain('1 passed');
    expect(messageText(final)).toContain('1 failed');
    expect(triggers()).toBe(1);
    expect(app.exitCode).toBeUndefined();
  }, 90_000);
});
