/**
 * The peer: the Checkly CLI's `checks run` against the same fake Checkly. Installed on first use into
 * a folder of its own under the system's temporary directory (never a dependency of this project),
 * then reused. BENCH_CLI_DIR chooses another folder.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const CLI_VERSION = '8.23.2';

function cliDir(): string {
  return process.env.BENCH_CLI_DIR ?? path.join(tmpdir(), `checkly-slack-bench-cli-${CLI_VERSION}`);
}

/** The CLI's entry point, installed with npm when missing. */
export async function installCli(): Promise<string> {
  const dir = cliDir();
  const bin = path.join(dir, 'node_modules', '.bin', 'checkly');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench-cli', private: true }));
  await new Promise<void>((resolve, reject) => {
    execFile('npm', ['install', '--no-audit', '--no-fund', '--silent', `checkly@${CLI_VERSION}`], { cwd: dir, timeout: 300_000 }, (err) =>
      err ? reject(new Error(`installing checkly@${CLI_VERSION} failed: ${err.message}`)) : resolve(),
    );
  });
  return bin;
}

export interface CliRun {
  exitCode: number | null;
  wallMs: number;
  /** The end of its output, for a failure's reason. */
  tail: string;
}

/** `checkly checks run -t <tag> -o json` against the fake, until it exits. */
export async function runCli(opts: { apiUrl: string; apiKey: string; accountId: string; tag: string; timeoutSeconds: number }): Promise<CliRun> {
  const bin = await installCli();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['checks', 'run', '-t', opts.tag, '-o', 'json', '--timeout', String(opts.timeoutSeconds)], {
      cwd: cliDir(),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        CHECKLY_ENV: 'local',
        CHECKLY_API_URL: opts.apiUrl,
        CHECKLY_API_KEY: opts.apiKey,
        CHECKLY_ACCOUNT_ID: opts.accountId,
        CHECKLY_SKIP_NODE_VERSION_CHECK: '1',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const keep = (chunk: Buffer): void => {
      out = (out + chunk.toString()).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => resolve({ exitCode: code, wallMs: Date.now() - started, tail: out.trim().slice(-400) }));
  });
}
