import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';
import { AppProcess } from './child';
import { ACCOUNT_ID, SECRETS, fakeEnv, type Harness } from './harness';

export const API_TOKENS = {
  deploy: { name: 'deploy-web', secret: 'dw-secret-0123456789abcdef0123456789abcdef' },
  other: { name: 'nightly', secret: 'nt-secret-0123456789abcdef0123456789abcdef' },
};

export const API_ENV = {
  RUN_API_TOKENS: `${API_TOKENS.deploy.name}:${API_TOKENS.deploy.secret},${API_TOKENS.other.name}:${API_TOKENS.other.secret}`,
};

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** The body as JSON (an empty object when it is not JSON): assert with toMatchObject. */
  json: Record<string, unknown>;
  text: string;
}

export function apiBase(h: Pick<Harness, 'app'>): string {
  return `http://127.0.0.1:${h.app.port}`;
}

/** One request to the run API over real HTTP, as a pipeline sends it. */
export async function api(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  opts: { secret?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  const secret = opts.secret === undefined ? API_TOKENS.deploy.secret : opts.secret;
  if (secret !== null) headers.Authorization = `Bearer ${secret}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the test asserts on `text`
  }
  return { status: res.status, headers: res.headers, json, text };
}

export interface PipelineApp {
  slack: FakeSlack;
  checkly: FakeCheckly;
  app: AppProcess;
  url: string;
  close(): Promise<void>;
}

/**
 * What a pipeline's client talks to: the app in its own process with the run API on, against fresh
 * fakes whose account has a check that passes (tag `green`), one that fails (`red`, "expected 200,
 * got 503") and one that takes 20 s (`slow`).
 */
export async function startPipelineApp(): Promise<PipelineApp> {
  const slack = await startFakeSlack({ botToken: SECRETS.botToken });
  const checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
  checkly.addCheck({ name: 'Login API', tags: ['green'], durationMs: 300, locations: ['eu-west-1'] });
  checkly.addCheck({ name: 'Checkout flow', tags: ['red'], durationMs: 300, outcome: 'FAILED', errorMessage: 'expected 200, got 503' });
  checkly.addCheck({ name: 'Slow', tags: ['slow'], durationMs: 20_000 });
  const app = await new AppProcess({
    ...fakeEnv(slack, checkly),
    ...API_ENV,
    PORT: '0',
    CHECKLY_POLL_WAIT_SECONDS: '2',
    SLACK_UPDATE_INTERVAL_MS: '200',
    LOG_LEVEL: 'info',
    STATE_DIR: mkdtempSync(path.join(tmpdir(), 'checkly-slack-client-')),
  }).started(60_000);
  return {
    slack,
    checkly,
    app,
    url: `http://127.0.0.1:${app.port}`,
    async close() {
      if (app.exitCode === undefined) app.kill('SIGKILL');
      await Promise.all([slack.close(), checkly.close()]);
    },
  };
}
