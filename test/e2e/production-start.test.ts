import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');

/** The tracked files of the working tree (what a clone has), copied to a fresh folder. */
function cleanCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-prod-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && existsSync(path.join(ROOT, f)));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(ROOT, file), path.join(dir, file));
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** `npm start` (its script) with no credentials: the app starts, finds nothing configured and exits 1. */
function npmStart(dir: string) {
  return spawnSync(process.execPath, [path.join(dir, 'scripts/start.js')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 90_000,
  });
}

describe('npm start', () => {
  let dir: string;
  beforeAll(() => {
    dir = cleanCopy();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('builds dist/ when it is missing, then runs the built app', () => {
    expect(existsSync(path.join(dir, 'dist'))).toBe(false);
    const result = npmStart(dir);
    expect(result.stderr).toContain('start: building dist/ from src/');
    expect(existsSync(path.join(dir, 'dist/app.js'))).toBe(true);
    // The built app ran: its configuration check answered.
    expect(result.stderr).toContain('config: SLACK_BOT_TOKEN is missing: required');
    expect(result.status).toBe(1);
  }, 120_000);

  test('does not build again while dist/ is newer than src/', () => {
    const before = statSync(path.join(dir, 'dist/app.js')).mtimeMs;
    const result = npmStart(dir);
    expect(result.stderr).not.toContain('building');
    expect(result.stderr).toContain('config: SLACK_BOT_TOKEN is missing: required');
    expect(statSync(path.join(dir, 'dist/app.js')).mtimeMs).toBe(before);
  }, 60_000);

  test('builds again once a source file is newer than dist/', () => {
    const future = new Date(Date.now() + 60_000);
    utimesSync(path.join(dir, 'src/config.ts'), future, future);
    const result = npmStart(dir);
    expect(result.stderr).toContain('start: building dist/ from src/');
    expect(result.status).toBe(1);
  }, 120_000);

  test('the built app needs no dev dependency and reads nothing from src/ at run time', () => {
    rmSync(path.join(dir, 'src'), { recursive: true, force: true });
    rmSync(path.join(dir, 'node_modules'));
    // Only the production dependencies at the top level, as `npm ci --omit=dev` installs them (the
    // Dockerfile steps test runs the real `npm ci --omit=dev`).
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    mkdirSync(path.join(dir, 'node_modules'));
    for (const name of Object.keys(pkg.dependencies)) {
      const target = path.join(dir, 'node_modules', name);
      mkdirSync(path.dirname(target), { recursive: true });
      symlinkSync(path.join(ROOT, 'node_modules', name), target);
    }
    const result = spawnSync(process.execPath, ['-e', 'require("./dist/app.js")'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

test('.nvmrc names a Node.js major that package.json engines allows, and @types/node is the lowest one engines allows', () => {
  const nvmrc = readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim();
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; devDependencies: Record<string, string> };
  expect(nvmrc).toMatch(/^\d+$/);
  const lowest = /^>=(\d+)$/.exec(pkg.engines.node)?.[1];
  expect(lowest).toBeDefined();
  expect(Number(nvmrc)).toBeGreaterThanOrEqual(Number(lowest));
  // Code that needs an API newer than the lowest Node supported does not compile.
  expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${lowest}\\.`));
});
