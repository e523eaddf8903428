import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * What `npm pack` ships. The app's pack holds what runs (dist/, the client, the manifest, docs) and
 * nothing of the tests; the client's own pack (bin/package.json) is one file with no dependency, so
 * `npx checkly-slack-run` installs in a clean folder without compiling or downloading anything else.
 */
const ROOT = path.join(__dirname, '../..');
const rootPkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

interface PackResult {
  filename: string;
  entryCount: number;
  size: number;
  files: Array<{ path: string }>;
}

function pack(dir: string, args: string[] = []): PackResult {
  const out = execFileSync('npm', ['pack', '--json', '--loglevel=error', ...args], {
    cwd: dir,
    encoding: 'utf8',
    // prepack's build writes its banner to stderr; the JSON comes alone on stdout.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  return (JSON.parse(out) as PackResult[])[0]!;
}

test("the app's pack: dist/, the client, the manifest, docs, LICENSE and README; no test, bench, fixture, demo or source file", () => {
  // A clean copy of the checkout (tracked files and new ones not ignored), as a release is packed:
  // prepack builds dist/ there, with this checkout's node_modules.
  const copy = mkdtempSync(path.join(tmpdir(), 'checkly-slack-pack-'));
  try {
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
    execFileSync('tar', ['-cf', path.join(copy, 'checkout.tar'), '-C', ROOT, '--', ...files.filter((f) => existsSync(path.join(ROOT, f)))]);
    const checkout = path.join(copy, 'checkout');
    mkdirSync(checkout);
    execFileSync('tar', ['-xf', path.join(copy, 'checkout.tar'), '-C', checkout]);
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'));

    const result = pack(checkout, ['--dry-run']);
    const paths = result.files.map((f) => f.path);
    process.stdout.write(`the app's pack: ${result.entryCount} files, ${result.size} bytes\n`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'dist/app.js',
        'bin/checkly-slack-run.js',
        'scripts/start.js',
        'manifest.yml',
        'LICENSE',
        'README.md',
        'package.json',
        '.env.example',
      ]),
    );
    expect(paths.some((p) => p.startsWith('docs/'))).toBe(true);
    const shipped = paths.filter((p) => /^(test|bench|demo|src|coverage|\.ci|\.github)\//.test(p) || /\.test\.|fixture|\.tsbuildinfo$|(^|\/)\.env$/.test(p));
    expect(shipped).toEqual([]);
    // What runs is JavaScript: no TypeScript source beside it.
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}, 120_000);

test("the client's own pack is one file with no dependency and no install script, at the app's version", () => {
  const clientPkg = JSON.parse(readFileSync(path.join(ROOT, 'bin/package.json'), 'utf8')) as Record<string, unknown> & {
    bin: Record<string, string>;
    version: string;
  };
  expect(clientPkg.version).toBe(rootPkg.version);
  expect(clientPkg.dependencies ?? {}).toEqual({});
  expect(clientPkg.scripts ?? {}).toEqual({});
  // The same file the app's package and the Action run.
  expect(path.join('bin', clientPkg.bin['checkly-slack-run']!)).toBe(rootPkg.bin['checkly-slack-run']);
  const result = pack(path.join(ROOT, 'bin'), ['--dry-run']);
  expect(result.files.map((f) => f.path).sort()).toEqual(['checkly-slack-run.js', 'package.json']);
  // The client itself requires nothing but Node's own modules.
  const requires = [...readFileSync(path.join(ROOT, 'bin/checkly-slack-run.js'), 'utf8').matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]);
  expect(requires.filter((r) => !r!.startsWith('node:'))).toEqual([]);
});

test("npx checkly-slack-run from the client's pack runs in a clean folder with an empty npm cache, installing that one package", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-npx-'));
  try {
    const tarball = path.join(dir, pack(path.join(ROOT, 'bin'), ['--pack-destination', dir]).filename);
    const clean = path.join(dir, 'clean');
    const cache = path.join(dir, 'cache');
    mkdirSync(clean);
    const started = process.hrtime.bigint();
    const res = spawnSync('npx', ['--yes', `--package=${tarball}`, '--', 'checkly-slack-run', '--help'], {
      cwd: clean,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        npm_config_cache: cache,
        npm_config_update_notifier: 'false',
        npm_config_fund: 'false',
        npm_config_audit: 'false',
      },
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(`npx checkly-slack-run --help from a clean folder and an empty cache: ${Math.round(ms)} ms\n`);
    expect(res.stderr).not.toMatch(/gyp|prebuild|install script/i);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^Usage: checkly-slack-run --url/);
    // npx installed the client and nothing else.
    const installs = readdirSync(path.join(cache, '_npx'));
    expect(installs).toHaveLength(1);
    expect(readdirSync(path.join(cache, '_npx', installs[0]!, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['checkly-slack-run']);
    expect(readdirSync(clean)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
