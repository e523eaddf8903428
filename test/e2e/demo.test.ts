import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { waitFor } from './harness';
import { freePort } from '../helpers';

/**
 * `npm run demo` with CHECKLY_API_KEY and CHECKLY_ACCOUNT_ID set runs that account's checks: here the
 * "real" Checkly is a fake the test owns (CHECKLY_API_URL), so the test sees what the demo sends it.
 */
const ROOT = path.join(__dirname, '../..');
const KEY = 'cu_demo_test_real_account_key_0001';
const ACCOUNT = '3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

let checkly: FakeCheckly;
let demo: ChildProcess;
let output = '';

afterEach(async () => {
  if (demo && demo.exitCode === null) {
    demo.kill('SIGTERM');
    await new Promise((resolve) => demo.once('exit', resolve));
  }
  await checkly?.close();
});

test("with a Checkly key and account set, the demo triggers that account's checks and shows the run", async () => {
  checkly = await startFakeCheckly({ apiKey: KEY, accountId: ACCOUNT });
  checkly.addCheck({ name: 'Our own login check', tags: ['prod'], durationMs: 500 });
  const port = await freePort();
  demo = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'demo/run.ts')], {
    cwd: mkdtempSync(path.join(tmpdir(), 'checkly-slack-demo-test-')),
    env: {
      PATH: process.env.PATH ?? '',
      TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
      DEMO_PORT: String(port),
      CHECKLY_API_KEY: KEY,
      CHECKLY_ACCOUNT_ID: ACCOUNT,
      CHECKLY_API_URL: checkly.url,
    },
  });
  demo.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  demo.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(() => output.includes(`open http://localhost:${port}`) || demo.exitCode !== null, 60_000, 'the demo to start');
  expect(output).toContain(`your Checkly account ${ACCOUNT}`);
  expect(output).not.toContain(KEY);

  // The page's composer: the demo signs the command and sends it to the app.
  const sent = await fetch(`http://localhost:${port}/command`, { method: 'POST', body: JSON.stringify({ text: 'run prod' }) });
  expect(await sent.json()).toEqual({ status: 200 });
  await waitFor(() => checkly.requests.some((r) => r.op === 'trigger' && r.status === 201), 20_000, 'the trigger');
  const trigger = checkly.requests.find((r) => r.op === 'trigger')!;
  expect(trigger.headers.authorization).toBe(`Bearer ${KEY}`);
  expect(trigger.headers['x-checkly-account']).toBe(ACCOUNT);

  // The page's live feed shows the run message as the app posts and finishes it.
  const controller = new AbortController();
  const events = await fetch(`http://localhost:${port}/events`, { signal: controller.signal });
  const reader = events.body!.getReader();
  let feed = '';
  const deadline = Date.now() + 20_000;
  while (!/Our own login check[\s\S]*1 passed|1 passed[\s\S]*Our own login check/.test(feed) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    feed += Buffer.from(value).toString('utf8');
  }
  controller.abort();
  expect(feed).toContain('Our own login check');
  expect(feed).toMatch(/1 passed/);
}, 90_000);

test('a bad DEMO_PORT is refused with one line', async () => {
  demo = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'demo/run.ts')], {
    cwd: mkdtempSync(path.join(tmpdir(), 'checkly-slack-demo-test-')),
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), DEMO_PORT: 'eighty' },
  });
  let stderr = '';
  demo.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise((resolve) => demo.once('exit', resolve));
  expect(status).toBe(1);
  expect(stderr.trim()).toBe('demo failed to start: DEMO_PORT must be a port number');
}, 30_000);

test('the simulated account runs 5 times faster unless DEMO_SPEED says otherwise (1: real speed)', async () => {
  const start = async (env: Record<string, string>) => {
    const port = await freePort();
    const startedAt = Date.now();
    demo = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'demo/run.ts')], {
      cwd: mkdtempSync(path.join(tmpdir(), 'checkly-slack-demo-test-')),
      env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), DEMO_PORT: String(port), ...env },
    });
    let said = '';
    demo.stdout?.on('data', (d: Buffer) => (said += d.toString()));
    demo.stderr?.on('data', (d: Buffer) => (said += d.toString()));
    await waitFor(() => said.includes(`open http://localhost:${port}`) || demo.exitCode !== null, 60_000, 'the demo to start');
    process.stdout.write(`the demo (${JSON.stringify(env)}) answered in ${Date.now() - startedAt} ms\n`);
    demo.kill('SIGTERM');
    await new Promise((resolve) => demo.once('exit', resolve));
    return said;
  };
  expect(await start({})).toContain('a simulated Checkly account (30 checks, 5× faster; DEMO_SPEED=1 runs them at real speed).');
  expect(await start({ DEMO_SPEED: '1' })).toContain('a simulated Checkly account (30 checks).');
}, 90_000);
