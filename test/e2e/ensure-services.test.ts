import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * scripts/ensure-services.sh on a machine without Redis or Chromium: on a developer's machine it says
 * what is missing and how to install it, and installs nothing; in CI (CI=true) it installs them with
 * apt-get. The machine is a folder of stand-ins on PATH that record what was asked of them.
 */
const SCRIPT = path.join(__dirname, '../../scripts/ensure-services.sh');
const which = (tool: string) => spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();

let dir: string;
let bin: string;
let calls: string;
let chromium: string;

/** A stand-in command: records its arguments; `then` is more bash to run after. */
function stub(name: string, then = 'exit 0'): void {
  const file = path.join(bin, name);
  writeFileSync(file, `#!${which('bash')}\necho "${name} $*" >> "${calls}"\n${then}\n`);
  spawnSync(which('chmod'), ['+x', file]);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ensure-services-'));
  bin = path.join(dir, 'bin');
  calls = path.join(dir, 'calls.log');
  chromium = path.join(dir, 'chromium');
  spawnSync(which('mkdir'), [bin]);
  writeFileSync(calls, '');
  for (const tool of ['id', 'sleep', 'seq']) symlinkSync(which(tool), path.join(bin, tool));
  // apt-get "installs" what it is asked for: Redis's commands, and Chromium where the script looks.
  stub(
    'apt-get',
    [
      `if [ "$1" = install ]; then`,
      `  for p in "$@"; do`,
      `    if [ "$p" = redis-server ]; then printf '#!${which('bash')}\\nexit 0\\n' > "${bin}/redis-server"; printf '#!${which('bash')}\\nexit 0\\n' > "${bin}/redis-cli"; ${which('chmod')} +x "${bin}/redis-server" "${bin}/redis-cli"; fi`,
      `    if [ "$p" = chromium ]; then : > "${chromium}"; ${which('chmod')} +x "${chromium}"; fi`,
      `  done`,
      `fi`,
    ].join('\n'),
  );
  stub('sudo', 'exec "$@"');
  stub('brew');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function ensure(env: Record<string, string> = {}) {
  return spawnSync(which('bash'), [SCRIPT], { encoding: 'utf8', env: { PATH: bin, CHROMIUM_PATH: chromium, ...env } });
}

test("on a developer's machine: names what is missing and how to install it (apt, brew), installs nothing, exits 1", () => {
  const res = ensure();
  expect(res.status).toBe(1);
  expect(res.stderr).toContain('redis-server');
  expect(res.stderr).toContain(`Chromium at ${chromium}`);
  expect(res.stderr).toContain('sudo apt-get install redis-server chromium');
  expect(res.stderr).toContain('brew install redis && brew install --cask google-chrome');
  expect(res.stderr).toContain('CHROMIUM_PATH=');
  expect(readFileSync(calls, 'utf8')).toBe('');
  expect(existsSync(chromium)).toBe(false);
});

test('only what is missing is named', () => {
  stub('redis-server');
  stub('redis-cli');
  const res = ensure();
  expect(res.status).toBe(1);
  expect(res.stderr).toContain('sudo apt-get install chromium\n');
  expect(res.stderr).not.toContain('redis');
  expect(readFileSync(calls, 'utf8')).not.toMatch(/apt-get|sudo|brew/);
});

test('in CI (CI=true): installs what is missing with apt-get, then goes on', () => {
  const res = ensure({ CI: 'true' });
  expect(res.stderr).toContain('CI: installing redis-server chromium');
  expect(res.status).toBe(0);
  const log = readFileSync(calls, 'utf8');
  expect(log).toMatch(/^(sudo )?apt-get update -qq$/m);
  expect(log).toMatch(/^(sudo )?apt-get install -y -qq redis-server chromium$/m);
  expect(existsSync(chromium)).toBe(true);
});

test('everything there: nothing said, nothing installed', () => {
  stub('redis-server');
  stub('redis-cli');
  writeFileSync(chromium, '');
  spawnSync(which('chmod'), ['+x', chromium]);
  const res = ensure();
  expect(res.status).toBe(0);
  expect(res.stderr).toBe('');
  expect(readFileSync(calls, 'utf8')).toBe('redis-cli -h 127.0.0.1 -p 6379 ping\nredis-cli -h 127.0.0.1 -p 6379 ping\n');
});

test('.ci/run runs with CI=true, so that a fresh machine gets what the tests need', () => {
  const ci = readFileSync(path.join(__dirname, '../../.ci/run'), 'utf8');
  expect(ci).toMatch(/^export CI="\$\{CI:-true\}"$/m);
  expect(ci.indexOf('export CI=')).toBeLessThan(ci.indexOf('npm test'));
});
