import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { FakeCheckly } from '../fakes/checkly';
import type { FakeSlack } from '../fakes/slack';
import { API_TOKENS, startPipelineApp, type PipelineApp } from './api-helpers';
import type { AppProcess } from './child';

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

  let pipeline: PipelineApp;

  beforeAll(async () => {
    pipeline = await startPipelineApp();
    ({ slack, checkly, app, url } = pipeline);
  }, 90_000);

  afterAll(() => pipeline.close());

  const triggers = () => checkly.requests.filter((r) => r.op === 'trigger').length;

  test('exit 0 when the run passed: the permalink first, then the table', async () => {
    const res = await runClient(['--url', url, '--channel', 'C0FAKE', '--target', 'green', '--title', 'Deploy web@4f2c1a9', '--wait']);
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines[0]).toMatch(/^Run [0-9a-f-]{36} started: https:\/\/fake\.slack\.com\/archives\/C0FAKE\/p\d+$/);
    expect(res.stdout).toMatch(/CHECK\s+STATUS\s+CHANGE\s+LOCATIONS\s+DURATION\s+ERROR/);
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
    const unreachable = await runClient(['--url', `http://127.0.0.1:${port}`, '--channel', 'C0FAKE', '--target', 'green', '--timeout', '3']);
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
  /**
   * The app behind a front that answers as a restarting app does, while `failing(req)` says so; every
   * request is counted, with the time it came.
   */
  async function flakyFront(failing: (req: http.IncomingMessage) => { status: number; headers?: Record<string, string> } | undefined) {
    const requests: Array<{ method: string; at: number; status: number }> = [];
    const server = http.createServer((req, res) => {
      const fault = failing(req);
      if (fault) {
        requests.push({ method: req.method ?? '', at: Date.now(), status: fault.status });
        req.resume();
        res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
        res.end(JSON.stringify({ error: fault.status === 429 ? 'rate_limited' : 'internal', message: 'not now' }));
        return;
      }
      const upstream = http.request({ host: '127.0.0.1', port: app.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        requests.push({ method: req.method ?? '', at: Date.now(), status: answer.statusCode ?? 0 });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      requests,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  test('an app answering 500 for 10 s to the POST: at most 15 requests, a second apart at least, then the run', async () => {
    const since = Date.now();
    const front = await flakyFront(() => (Date.now() - since < 10_000 ? { status: 500 } : undefined));
    try {
      const before = triggers();
      const res = await runClient(['--url', front.url, '--channel', 'C0FAKE', '--target', 'green', '--wait', '--timeout', '60']);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('Run passed');
      const failed = front.requests.filter((r) => r.status === 500);
      expect(failed.length).toBeGreaterThanOrEqual(3);
      expect(front.requests.filter((r) => r.at - since < 10_000).length).toBeLessThanOrEqual(15);
      const gaps = failed.slice(1).map((r, i) => r.at - failed[i]!.at);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
      expect(triggers() - before).toBe(1);
    } finally {
      await front.close();
    }
  }, 90_000);

  test('an app answering 500 for 10 s while --wait asks: at most 15 requests in the outage, then the verdict', async () => {
    let outageFrom: number | undefined;
    const front = await flakyFront((req) => {
      if (req.method !== 'GET') return undefined;
      outageFrom ??= Date.now();
      return Date.now() - outageFrom < 10_000 ? { status: 500 } : undefined;
    });
    try {
      const res = await runClient(['--url', front.url, '--channel', 'C0FAKE', '--target', 'green', '--wait', '--timeout', '60']);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('Run passed');
      const inOutage = front.requests.filter((r) => r.method === 'GET' && r.at - outageFrom! < 10_000);
      expect(inOutage.length).toBeGreaterThanOrEqual(3);
      expect(inOutage.length).toBeLessThanOrEqual(15);
      expect(res.stderr).toContain('answered 500 while waiting');
    } finally {
      await front.close();
    }
  }, 90_000);

  test('a 429 is asked again after its Retry-After, not refused; a refusal while waiting exits 2', async () => {
    let posts = 0;
    const front = await flakyFront((req) => {
      if (req.method === 'POST') posts += 1;
      if (req.method === 'POST' && posts === 1) return { status: 429, headers: { 'Retry-After': '3' } };
      if (req.method === 'GET') return { status: 401 };
      return undefined;
    });
    try {
      const res = await runClient(['--url', front.url, '--channel', 'C0FAKE', '--target', 'green', '--wait', '--timeout', '60']);
      const [first, second] = front.requests.filter((r) => r.method === 'POST');
      expect(second!.status).toBe(202);
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(2900);
      expect(res.stdout).toMatch(/^Run [0-9a-f-]{36} started/);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('reading the run failed (401');
    } finally {
      await front.close();
    }
  }, 60_000);
});
