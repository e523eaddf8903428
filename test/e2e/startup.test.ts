import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeSlack } from '../fakes/slack';

const ROOT = path.join(__dirname, '../..');

// Each test starts the app under ts-node: about 2 s on a calm machine, 10 to 13 s on two cores shared
// with other suites. These limits only stop a hung start; what a test asserts is its output.
const SPAWN_LIMIT_MS = 60_000;
const TEST_LIMIT_MS = 2 * SPAWN_LIMIT_MS + 10_000;
jest.setTimeout(TEST_LIMIT_MS);

/** The app as `npm start` runs it, from an empty folder (no .env), with only the given variables. */
function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'src/app.ts')], {
    cwd: mkdtempSync(path.join(tmpdir(), 'checkly-slack-start-')),
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...env },
    encoding: 'utf8',
    timeout: SPAWN_LIMIT_MS,
  });
}

/** As `start`, without blocking this process: for a fake server in this process that must answer. */
function startAsync(env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'src/app.ts')], {
    cwd: mkdtempSync(path.join(tmpdir(), 'checkly-slack-start-')),
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), SPAWN_LIMIT_MS);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

const CREDENTIALS = {
  SLACK_SIGNING_SECRET: 'signing-secret-value',
  CHECKLY_API_KEY: 'cu_key_value_here',
  CHECKLY_ACCOUNT_ID: '6a1b0c4e-8f3d-4a52-9a7e-2f1c3b4d5e6f',
  PORT: '0',
};

describe('starting the app', () => {
  test('without credentials: one clear line per missing variable, exit status 1', () => {
    const result = start({});
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      'config: SLACK_BOT_TOKEN is missing: required',
      'config: SLACK_SIGNING_SECRET is missing: required in HTTP mode (when SLACK_APP_TOKEN is not set)',
      'config: CHECKLY_API_KEY is missing: required',
      'config: CHECKLY_ACCOUNT_ID is missing: required',
      'See .env.example and the README for every variable.',
    ]);
    expect(result.stdout).toBe('');
  });

  test('with a token Slack refuses (auth.test answers invalid_auth): says so, without the token, and exits 1', async () => {
    const slack = await startFakeSlack({ botToken: 'xoxb-the-token-slack-knows' });
    try {
      const result = await startAsync({ ...CREDENTIALS, SLACK_BOT_TOKEN: 'xoxb-refused-token-value', SLACK_API_URL: slack.apiUrl });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('Slack refused SLACK_BOT_TOKEN (invalid_auth)');
      expect(result.stderr + result.stdout).not.toContain('xoxb-refused-token-value');
      // Slack was asked, with the token, and refused it.
      expect(slack.callsTo('auth.test').map((c) => [c.token, c.error])).toEqual([['xoxb-refused-token-value', 'invalid_auth']]);
    } finally {
      await slack.close();
    }
  });

  test('with Slack unreachable at SLACK_API_URL: says so, without the token, and exits 1', () => {
    const result = start({
      ...CREDENTIALS,
      SLACK_BOT_TOKEN: 'xoxb-unchecked-token-value',
      SLACK_API_URL: 'http://127.0.0.1:9/api/', // nothing listens on the discard port
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Slack could not be reached at SLACK_API_URL');
    expect(result.stderr + result.stdout).not.toContain('xoxb-unchecked-token-value');
  });

  test('with a run API secret under 32 characters: names the entry, never prints the secret, exits 1', () => {
    const result = start({
      SLACK_BOT_TOKEN: 'xoxb-some-token-value',
      SLACK_SIGNING_SECRET: 'signing-secret-value',
      CHECKLY_API_KEY: 'cu_key_value_here',
      CHECKLY_ACCOUNT_ID: '6a1b0c4e-8f3d-4a52-9a7e-2f1c3b4d5e6f',
      RUN_API_TOKENS: 'deploy-web:0123456789abcdef0123456789abcdef01,nightly:short-secret-1234',
      PORT: '0',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('config: RUN_API_TOKENS is malformed: entry 2 of 2 (nightly) has a secret shorter than 32 characters');
    expect(result.stderr).not.toContain('deploy-web');
    expect(result.stderr + result.stdout).not.toContain('short-secret-1234');
    expect(result.stderr + result.stdout).not.toContain('0123456789abcdef0123456789abcdef01');
  });
  test('with the placeholders of .env.example: one line per variable that holds one, no secret echoed, exit status 1', () => {
    const result = start({
      SLACK_BOT_TOKEN: 'xoxb-your-bot-token',
      SLACK_APP_TOKEN: 'xapp-your-app-token',
      CHECKLY_API_KEY: 'cu_real_key_value_kept_secret',
      CHECKLY_ACCOUNT_ID: '00000000-0000-0000-0000-000000000000',
      PORT: '0',
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'config: SLACK_BOT_TOKEN holds the placeholder from .env.example: set the bot token from OAuth & Permissions',
      'config: SLACK_APP_TOKEN holds the placeholder from .env.example: set an app-level token from Basic Information, App-Level Tokens',
      'config: CHECKLY_ACCOUNT_ID holds the placeholder from .env.example: set the account ID from Account settings, General',
      'See .env.example and the README for every variable.',
    ]);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain('cu_real_key_value_kept_secret');
  });

  test('secrets from files (*_FILE): the token in the file is the one Slack is asked with, and never printed', async () => {
    const slack = await startFakeSlack({ botToken: 'xoxb-the-token-slack-knows' });
    const dir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-secrets-'));
    writeFileSync(path.join(dir, 'slack_bot_token'), 'xoxb-token-from-a-file-value\n');
    writeFileSync(path.join(dir, 'checkly_api_key'), 'cu_key_from_a_file_value\n');
    try {
      const { CHECKLY_API_KEY: _key, ...rest } = CREDENTIALS;
      const result = await startAsync({
        ...rest,
        SLACK_BOT_TOKEN_FILE: path.join(dir, 'slack_bot_token'),
        CHECKLY_API_KEY_FILE: path.join(dir, 'checkly_api_key'),
        SLACK_API_URL: slack.apiUrl,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('Slack refused SLACK_BOT_TOKEN (invalid_auth)');
      expect(slack.callsTo('auth.test').map((c) => c.token)).toEqual(['xoxb-token-from-a-file-value']);
      expect(result.stderr + result.stdout).not.toMatch(/xoxb-token-from-a-file-value|cu_key_from_a_file_value/);
    } finally {
      await slack.close();
    }
  });

  test('a *_FILE naming a missing file: the variable and the path, exit status 1', () => {
    const { CHECKLY_API_KEY: _key, ...rest } = CREDENTIALS;
    const result = start({ ...rest, SLACK_BOT_TOKEN: 'xoxb-some-token-value', CHECKLY_API_KEY_FILE: '/nonexistent/checkly_api_key' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('config: CHECKLY_API_KEY_FILE names a file that cannot be read (ENOENT): /nonexistent/checkly_api_key');
    expect(result.stderr + result.stdout).not.toContain('xoxb-some-token-value');
  });
});
