import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';
import { ACCOUNT_ID, SECRETS, fakeEnv, waitFor } from './harness';
import { sleep } from '../helpers';

const ROOT = path.join(__dirname, '../..');

let slack: FakeSlack;
let checkly: FakeCheckly;
beforeEach(async () => {
  slack = await startFakeSlack({ botToken: SECRETS.botToken, appToken: SECRETS.appToken });
  checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
});
afterEach(async () => {
  await Promise.all([slack.close(), checkly.close()]);
});

function configWith(env: Record<string, string>) {
  const loaded = loadConfig({
    ...fakeEnv(slack, checkly),
    PORT: '0',
    LOG_LEVEL: 'debug',
    STATE_DIR: mkdtempSync(path.join(tmpdir(), 'checkly-slack-startup-')),
    ...env,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  return loaded.config;
}

/** Starts the app in-process; resolves with its error message, or fails the test if it started. */
async function startFails(env: Record<string, string>): Promise<string> {
  const logs: string[] = [];
  const running = await startApp(configWith(env), { logDestination: { write: (l: string) => logs.push(l) } }).catch((err: unknown) => err);
  if (!(running instanceof Error)) {
    if (running && typeof running === 'object' && 'stop' in running) await (running as { stop(): Promise<void> }).stop();
    throw new Error('the app started');
  }
  return running.message;
}

/**
 * The app as a process (`npm start` runs the same file, built), from an empty folder; resolves when it
 * exits. A separate process also keeps fetch's errors intact (jest's realm hides their causes).
 */
async function startProcess(env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'src/app.ts')], {
    cwd: mkdtempSync(path.join(tmpdir(), 'checkly-slack-start-')),
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  return { status, stdout, stderr };
}

/** The one line a process that could not start printed, checked for exit status 1. */
async function failureLine(env: Record<string, string>): Promise<string> {
  const { status, stderr } = await startProcess({ ...fakeEnv(slack, checkly), PORT: '0', LOG_LEVEL: 'silent', ...env });
  expect(status).toBe(1);
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!.replace(/^checkly-slack failed to start: /, '');
}

/** A port nothing listens on: one just opened and closed. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the Checkly key and account, checked at start', () => {
  test('a wrong key stops the process with one line naming CHECKLY_API_KEY, without the key, exit 1', async () => {
    const { status, stdout, stderr } = await startProcess({ ...fakeEnv(slack, checkly), CHECKLY_API_KEY: 'cu_wrong_key_value_0123456789', PORT: '0' });
    expect(status).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^checkly-slack failed to start: Checkly refused CHECKLY_API_KEY \/ CHECKLY_ACCOUNT_ID \(401 Bad Token\)/);
    expect(stderr + stdout).not.toContain('cu_wrong_key_value_0123456789');
    // Checked before anything was posted or listened to: one request, to the accounts endpoint.
    expect(checkly.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /v1/accounts/me 401']);
  }, 30_000);

  test('an account ID the key does not open (403) stops start-up naming CHECKLY_ACCOUNT_ID', async () => {
    const message = await startFails({ CHECKLY_ACCOUNT_ID: '11111111-2222-4333-8444-555555555555' });
    expect(message).toMatch(/^Checkly refused CHECKLY_API_KEY \/ CHECKLY_ACCOUNT_ID \(403 Forbidden\)/);
    expect(message).toContain('account ID');
  });

  test('the right key and account: one request, with the key and account headers, then the app starts', async () => {
    const logs: string[] = [];
    const running = await startApp(configWith({}), { logDestination: { write: (l: string) => logs.push(l) } });
    try {
      expect(checkly.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /v1/accounts/me 200']);
      expect(checkly.requests[0]?.headers['x-checkly-account']).toBe(ACCOUNT_ID);
      expect(checkly.requests[0]?.headers.authorization).toBe(`Bearer ${SECRETS.checklyApiKey}`);
      expect(logs.some((l) => l.includes('Checkly key and account verified'))).toBe(true);
    } finally {
      await running.stop();
    }
  });

  test('Checkly unreachable is a warning: the app starts and answers /healthz', async () => {
    const logs: string[] = [];
    const port = await closedPort();
    const running = await startApp(configWith({ CHECKLY_API_URL: `http://127.0.0.1:${port}` }), {
      logDestination: { write: (l: string) => logs.push(l) },
    });
    try {
      const warning = logs
        .map((l) => JSON.parse(l) as { level: number; msg: string; why?: string })
        .find((l) => l.msg.startsWith('Checkly could not be checked'));
      expect(warning?.level).toBe(40);
      expect(warning?.why).toContain('ECONNREFUSED');
      const health = await fetch(`http://127.0.0.1:${running.port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await running.stop();
    }
  });

  test('a Checkly server error at start is a warning too, not a stop', async () => {
    checkly.failNext('account', 503);
    const running = await startApp(configWith({}), { logDestination: { write: () => undefined } });
    await running.stop();
    expect(checkly.requests.filter((r) => r.path === '/v1/accounts/me').map((r) => r.status)).toEqual([503]);
  });
});

describe('Slack, checked at start', () => {
  test('a refused SLACK_APP_TOKEN names that variable', async () => {
    const message = await startFails({ SLACK_APP_TOKEN: 'xapp-refused-app-token-value' });
    expect(message).toBe('Slack refused SLACK_APP_TOKEN (invalid_auth)');
  });

  test('a refused SLACK_BOT_TOKEN names that variable', async () => {
    expect(await startFails({ SLACK_BOT_TOKEN: 'xoxb-refused-bot-token' })).toBe('Slack refused SLACK_BOT_TOKEN (invalid_auth)');
  });

  test('an unreachable Slack: the URL tried and the cause (connection refused, DNS, TLS)', async () => {
    const refused = `http://127.0.0.1:${await closedPort()}/api/`;
    const unresolvable = 'http://slack.invalid/api/';
    // https to a server that does not speak TLS.
    const notTls = slack.apiUrl.replace('http://', 'https://');
    // Three processes at once: each spends a few seconds on the client's retries.
    const [a, b, c] = await Promise.all([refused, unresolvable, notTls].map((url) => failureLine({ SLACK_API_URL: url })));
    expect(a).toBe(`Slack could not be reached at SLACK_API_URL (${refused}): connection refused (ECONNREFUSED)`);
    expect(b).toMatch(/^Slack could not be reached at SLACK_API_URL \(http:\/\/slack\.invalid\/api\/\): DNS lookup failed \((ENOTFOUND|EAI_AGAIN)\)$/);
    expect(c).toMatch(new RegExp(`^Slack could not be reached at SLACK_API_URL \\(${notTls.replace(/[.]/g, '\\.')}\\): TLS failed \\(\\w+\\)$`));
  }, 60_000);
});

describe('Socket Mode health', () => {
  test('/healthz says 503 once the socket has been down longer than the grace, and 200 again once it is back', async () => {
    const port = await closedPort();
    const running = await startApp(configWith({ SLACK_APP_TOKEN: SECRETS.appToken, PORT: String(port) }), {
      logDestination: { write: () => undefined },
      socketGraceMs: 1000,
    });
    const healthz = async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
    try {
      expect(await healthz()).toBe(200);
      slack.setSocketOpenError('internal_error');
      slack.dropSockets();
      // Within the grace, a reconnect is normal: still healthy.
      expect(await healthz()).toBe(200);
      const down = Date.now();
      let status = 200;
      while (status === 200 && Date.now() - down < 20_000) {
        await sleep(100);
        status = await healthz();
      }
      expect(status).toBe(503);
      expect(Date.now() - down).toBeGreaterThanOrEqual(900);
      slack.setSocketOpenError(undefined);
      await slack.waitForSocket(30_000);
      await waitFor(() => slack.socketConnections() > 0, 5000);
      expect(await healthz()).toBe(200);
    } finally {
      await running.stop();
      await waitFor(() => slack.socketConnections() === 0, 2000).catch(() => undefined);
    }
  }, 60_000);
});
