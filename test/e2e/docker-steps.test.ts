import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';
import { SHUTDOWN_GRACE_MS } from '../../src/wiring/process';
import { parse } from 'yaml';
import { ACCOUNT_ID, SECRETS, fakeEnv, waitFor } from './harness';
import { freePort } from '../helpers';

/**
 * The Dockerfile's recipe, exercised where Docker is not: scripts/docker-steps.sh builds a clean copy
 * and installs production dependencies only; this test starts the result as a non-root user with the
 * Dockerfile's CMD, asks /healthz as its HEALTHCHECK does, and stops it with SIGTERM.
 */
const ROOT = path.join(__dirname, '../..');
const asRoot = process.getuid?.() === 0;

let dest: string;
let runtime: string;
/** What the steps said on stderr: the runtime tree's size among it. */
let said: string;
let slack: FakeSlack;
let checkly: FakeCheckly;

beforeAll(() => {
  dest = mkdtempSync(path.join(tmpdir(), 'checkly-slack-docker-'));
  const steps = spawnSync('bash', [path.join(ROOT, 'scripts/docker-steps.sh'), dest], {
    env: { ...process.env, REUSE_NODE_MODULES: '1' },
    encoding: 'utf8',
  });
  said = steps.stderr;
  if (steps.status !== 0) throw new Error(`docker-steps.sh failed: ${steps.stderr}`);
  runtime = steps.stdout.trim().split('\n').pop()!;
}, 180_000);

beforeEach(async () => {
  slack = await startFakeSlack({ botToken: SECRETS.botToken, appToken: SECRETS.appToken });
  checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
});
afterEach(async () => {
  await Promise.all([slack.close(), checkly.close()]);
});
afterAll(() => rmSync(dest, { recursive: true, force: true }));

/** As `USER node` + `CMD ["node", "dist/app.js"]`: setpriv execs node itself, so signals reach it. */
function asUser(command: string[]): string[] {
  return asRoot ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...command] : command;
}

function run(args: string[], env: Record<string, string>): ChildProcess {
  const [file, ...rest] = args;
  return spawn(file!, rest, { cwd: runtime, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env } });
}

test('the runtime stage has dist/ and production dependencies only', () => {
  expect(existsSync(path.join(runtime, 'dist/app.js'))).toBe(true);
  expect(existsSync(path.join(runtime, 'src'))).toBe(false);
  for (const dev of ['typescript', 'ts-node', 'jest', 'ts-jest', 'fast-check']) {
    expect(existsSync(path.join(runtime, 'node_modules', dev))).toBe(false);
  }
  expect(existsSync(path.join(runtime, 'node_modules/better-sqlite3'))).toBe(true);
});

test('no build leftovers of better-sqlite3 in the runtime stage, and its size measured', () => {
  const sqlite = path.join(runtime, 'node_modules/better-sqlite3');
  expect(existsSync(path.join(sqlite, 'build/Release/better_sqlite3.node'))).toBe(true);
  for (const leftover of [
    'build/Release/obj',
    'build/Release/obj.target',
    'build/Release/sqlite3.a',
    'build/Release/test_extension.node',
    'build/Release/.deps',
    'build/Makefile',
    'deps',
    'src',
  ]) {
    expect(existsSync(path.join(sqlite, leftover))).toBe(false);
  }
  const size = /^runtime tree: (\d+) bytes \(node_modules (\d+), dist (\d+)\), (\d+) files$/m.exec(said);
  expect(size).not.toBeNull();
  process.stdout.write(`${size![0]}\n`);
  // The native module is its .node file and its JavaScript: about 2 MB (28 MB with its leftovers).
  const sqliteBytes = Number(execFileSync('du', ['-sb', sqlite], { encoding: 'utf8' }).split('\t')[0]);
  expect(sqliteBytes).toBeLessThan(4_000_000);
  // What is left of better-sqlite3 still loads and answers.
  const loaded = spawnSync(
    process.execPath,
    ['-e', 'const D = require("better-sqlite3"); console.log(new D(":memory:").prepare("select 41 + 1 as n").get().n)'],
    { cwd: runtime, encoding: 'utf8' },
  );
  expect(loaded.stdout.trim()).toBe('42');
});

test('the steps fail on a build leftover in the runtime tree, naming it', () => {
  const planted = path.join(runtime, 'node_modules/better-sqlite3/build/Release/sqlite3.a');
  writeFileSync(planted, 'ar');
  try {
    const check = spawnSync('bash', [path.join(ROOT, 'scripts/docker-steps.sh'), '--check', runtime], { encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('build leftovers in the runtime tree');
    expect(check.stderr).toContain('node_modules/better-sqlite3/build/Release/sqlite3.a');
  } finally {
    rmSync(planted);
  }
  expect(spawnSync('bash', [path.join(ROOT, 'scripts/docker-steps.sh'), '--check', runtime], { encoding: 'utf8' }).status).toBe(0);
});

test('the Dockerfile and the steps agree: build stage, production install, non-root user, CMD, HEALTHCHECK', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  // One install (one compile of better-sqlite3), npm's cache on a cache mount; then prune, not reinstall.
  expect(dockerfile.match(/npm ci/g)).toHaveLength(1);
  expect(dockerfile).toMatch(/^RUN --mount=type=cache,target=\/root\/\.npm npm ci /m);
  expect(dockerfile).toMatch(/^RUN npm run build$/m);
  expect(dockerfile).toMatch(/^RUN npm prune --omit=dev .*&& node scripts\/prune-build-leftovers\.js$/m);
  expect(dockerfile).not.toMatch(/npm cache clean/);
  expect(dockerfile).toMatch(/^USER node$/m);
  expect(dockerfile).toMatch(/^CMD \["node", "dist\/app\.js"\]$/m);
  expect(dockerfile).toMatch(/^HEALTHCHECK .*\n\s+CMD .*\/healthz/m);
  // No anonymous volume for every replica that keeps its runs in Redis: STATE_DIR is mounted when used.
  expect(dockerfile).not.toMatch(/^VOLUME/m);
  expect(dockerfile).toMatch(/^\s+STATE_DIR=\/data$/m);
  // Both stages on the Node of .nvmrc (the active LTS), Debian slim.
  const nvmrc = readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim();
  expect(nvmrc).toBe('24');
  expect([...dockerfile.matchAll(/^FROM (\S+) AS (\w+)$/gm)].map((m) => [m[2], m[1]])).toEqual([
    ['build', `node:${nvmrc}-bookworm-slim`],
    ['runtime', `node:${nvmrc}-bookworm-slim`],
  ]);
  // The script copies exactly what the build stage copies from the context.
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
  const script = readFileSync(path.join(ROOT, 'scripts/docker-steps.sh'), 'utf8');
  const scripted = /git ls-files -z --cached --others --exclude-standard -- (.+)\)/.exec(script)?.[1]?.split(' ');
  expect(scripted).toEqual(copied);
});

test("one shutdown grace everywhere: the app's, compose's stop_grace_period, the Dockerfile's", () => {
  const seconds = SHUTDOWN_GRACE_MS / 1000;
  const compose = parse(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8')) as { services: Record<string, { stop_grace_period?: string; init?: boolean }> };
  expect(compose.services.app!.stop_grace_period).toBe(`${seconds}s`);
  expect(compose.services.app!.init).toBe(true);
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  expect([...dockerfile.matchAll(/(\d+) s\b/g)].map((m) => Number(m[1]))).toEqual([seconds, seconds]);
});

test('compose for HTTP mode: compose.http.yaml publishes one host port a replica', () => {
  const compose = parse(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8')) as {
    services: Record<string, { deploy?: { replicas?: number }; ports?: string[] }>;
  };
  const http = parse(readFileSync(path.join(ROOT, 'compose.http.yaml'), 'utf8')) as { services: Record<string, { ports?: string[] }> };
  // Socket Mode needs no published port; HTTP mode does.
  expect(compose.services.app!.ports).toBeUndefined();
  const [published] = http.services.app!.ports!;
  const m = /^(\d+)-(\d+):3000$/.exec(published!);
  expect(m).not.toBeNull();
  expect(Number(m![2]) - Number(m![1]) + 1).toBe(compose.services.app!.deploy!.replicas);
});

test(`started as a non-root user: /healthz answers as the HEALTHCHECK asks, and SIGTERM ends it within the ${SHUTDOWN_GRACE_MS / 1000} s grace`, async () => {
  const port = await freePort();
  const env = {
    ...fakeEnv(slack, checkly),
    PORT: String(port),
    STATE_DIR: path.join(dest, 'data'),
    LOG_LEVEL: 'info',
  };
  const app = run(asUser(['node', 'dist/app.js']), env);
  let output = '';
  app.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  app.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => app.on('exit', resolve));
  try {
    await waitFor(() => output.includes('checkly-slack started') || app.exitCode !== null, 30_000, 'the app to start');
    expect(output).toContain('checkly-slack started');

    // The HEALTHCHECK's own command, run as the same user.
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const healthScript = /CMD \["node", "-e", "(.*)"\]/.exec(dockerfile)?.[1];
    expect(healthScript).toBeDefined();
    const probe = run(asUser(['node', '-e', healthScript!.replace(/\\"/g, '"')]), { PORT: String(port) });
    expect(await new Promise((resolve) => probe.on('exit', resolve))).toBe(0);

    if (asRoot) {
      // It runs as nobody, and its store was written where STATE_DIR points.
      const uid = execFileSync('ps', ['-o', 'uid=', '-p', String(app.pid)], { encoding: 'utf8' }).trim();
      expect(uid).toBe('65534');
    }
    expect(existsSync(path.join(dest, 'data'))).toBe(true);

    const signalledAt = Date.now();
    app.kill('SIGTERM');
    const status = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), SHUTDOWN_GRACE_MS).unref())]);
    expect(status).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(SHUTDOWN_GRACE_MS);
  } finally {
    if (app.exitCode === null) app.kill('SIGKILL');
  }
}, 60_000);

test('the HEALTHCHECK fails when nothing answers', async () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const healthScript = /CMD \["node", "-e", "(.*)"\]/.exec(dockerfile)![1]!;
  const probe = run(['node', '-e', healthScript.replace(/\\"/g, '"')], { PORT: String(await freePort()) });
  expect(await new Promise((resolve) => probe.on('exit', resolve))).toBe(1);
});
