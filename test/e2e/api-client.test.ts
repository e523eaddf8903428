import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';
import { API_ENV, API_TOKENS } from './api-helpers';
import { AppProcess } from './child';
import { ACCOUNT_ID, SECRETS, fakeEnv } from './harness';

const CLIENT = path.join(__dirname, '../../bin/checkly-slack-run.js');

interface ClientResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The client as a pipeline runs it: its own process, the token in the environment. */
function runClient(args: string[], env: Record<string, string> = {}): Promise<ClientResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLIENT, ...args], {
      env: { PATH: process.env.PATH ?? '', CHECKLY_SLACK_TOKEN: API_TOKENS.deploy.secret, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('checkly-slack-run against the app in its own process', () => {
  let slack: FakeSlack;
  let checkly: FakeCheckly;
  let app: AppProcess;
  let url: string;

  beforeAll(async () => {
    slack = await startFakeSlack({ botToken: SECRETS.botToken });
    checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
    checkly.addCheck({ name: 'Login API', tags: ['green'], durationMs: 300, locations: ['eu-west-1'] });
    checkly.addCheck({ name: 'Checkout flow', tags: ['red'], durationMs: 300, outcome: 'FAILED', errorMessage: 'expected 200, got 503' });
    checkly.addCheck({ name: 'Slow', tags: ['slow'], durationMs: 20_000 });
    app = await new AppProcess({
      ...fakeEnv(slack, checkly),
      ...API_ENV,
      PORT: '0',
      CHECKLY_POLL_WAIT_SECONDS: '2',
      SLACK_UPDATE_INTERVAL_MS: '200',
      LOG_LEVEL: 'info',
      STATE_DIR: mkdtempSync(path.join(tmpdir(), 'checkly-slack-client-')),
    }).started(60_000);
    url = `http://127.0.0.1:${app.port}`;
  }, 90_000);

  afterAll(async () => {
    if (app.exitCode === undefined) app.kill('SIGKILL');
    await Promise.all([slack.close(), checkly.close()]);
  });

  const triggers = () => checkly.requests.filter((r) => r.op === 'trigger').length;

  test('exit 0 when the run passed: the permalink first, then the table', async () => {
    const res = await runClient(['--url', url, '--channel', 'C0FAKE', '--target', 'green', '--title', 'Deploy web@4f2c1a9', '--wait']);
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines[0]).toMatch(/^Run [0-9a-f-]{36} started: https:\/\/fake\.slack\.com\/archives\/C0FAKE\/p\d+$/);
    expect(res.stdout).toMatch(/CHECK\s+STATUS\s+LOCATIONS\s+DURATION\s+ERROR/);
    expect(res.stdout).toMatch(/Login API\s+passed\s+eu-west-1\s+\d/);
    expect(res.stdout).toContain('Run passed: 1 passed');
    expect(res.stdout + res.stderr).not.toContain(API_TOKENS.deploy.secret);
  }, 60_000);

  test('exit 1 when anything failed, with the first error line', async () => {
    const res = await runClient(['--url', url, '--channel', 'C0FAKE', '--target', 'red', '--wait']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/Checkout flow\s+failed\s+.*expected 200, got 503/);
    expect(res.stdout).toContain('Run failed: 1 failed');
  }, 60_000);

  test('exit 1 when the wait times out', async () => {
    const res = await runClient(['--url', url, '--channel', 'C0FAKE', '--target', 'slow', '--wait', '--timeout', '2']);
    expect(res.code).toBe(1);
    // Under load the trigger itself may still be in flight after 2 s.
    expect(res.stdout).toMatch(/Timed out after 2 s; the run is (triggering|running)/);
  }, 60_000);

  test('exit 0 without --wait once the run is started', async () => {
    const res = await runClient(['--url', url, '--channel', 'C0FAKE', '--target', 'green']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Run [0-9a-f-]{36} started: https:/);
  }, 60_000);

  test('exit 2 for bad usage, a refused request, and an app that cannot be reached; nothing triggered', async () => {
    const before = triggers();
    const usage = await runClient(['--url', url, '--target', 'green']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--channel is required');

    const refused = await runClient(['--url', url, '--channel', 'C0FAKE', '--target', 'green'], { CHECKLY_SLACK_TOKEN: 'not-a-token' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('401 unauthorized');

    const badTarget = await runClient(['--url', url, '--channel', 'C0FAKE', '--target=--check nope']);
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('invalid_target');

    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const unreachable = await runClient(['--url', `http://127.0.0.1:${port}`, '--channel', 'C0FAKE', '--target', 'green']);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain('no answer');
    expect(triggers()).toBe(before);
  }, 60_000);

  test('a POST that got no answer is sent again with the same key, and starts one run', async () => {
    // A proxy that swallows the first request after the app has answered it: the client never sees the 202.
    let connections = 0;
    const proxy = net.createServer((client) => {
      connections += 1;
      const upstream = net.connect(app.port!, '127.0.0.1');
      client.pipe(upstream);
      if (connections === 1) upstream.once('data', () => client.destroy());
      else upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as net.AddressInfo).port;
    try {
      const before = triggers();
      const messages = slack.callsTo('chat.postMessage').length;
      const res = await runClient(['--url', `http://127.0.0.1:${port}`, '--channel', 'C0FAKE', '--target', 'green', '--wait'], {
        GITHUB_RUN_ID: '987654',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_JOB: 'deploy',
      });
      expect(res.code).toBe(0);
      expect(res.stderr).toContain('trying again with the same Idempotency-Key');
      expect(connections).toBeGreaterThanOrEqual(2);
      expect(triggers() - before).toBe(1);
      expect(slack.callsTo('chat.postMessage').length - messages).toBe(1);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  }, 60_000);
});
