import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi, type CustomRoute } from '@slack/bolt';
import { Metrics } from '../../src/ops/metrics';
import { runOutcome } from '../../src/runs/status';
import { meteredSlackFetch } from '../../src/ops/metered-fetch';
import { operatorRoutes } from '../../src/ops/operator-routes';
import { SlackTimeout, slackHttp } from '../../src/slack/http';
import type { Run, SessionStatus } from '../../src/runs/types';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';
import { makeRun, makeSession } from './blocks-fixtures';

/** The value of one series in exposition text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function exposition(metrics: Metrics): Promise<string> {
  return (await metrics.render()).body;
}

describe('Metrics', () => {
  it('counts runs, Checkly requests, Slack calls and refusals under the documented names', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.runStarted('command');
    metrics.runStarted('command');
    metrics.runStarted('rerun');
    metrics.runFinished('passed');
    metrics.runFinished('failed');
    metrics.runFinished('failed');
    metrics.checklyResponse({ op: 'trigger', status: 201 });
    metrics.checklyResponse({ op: 'completion', status: 408 });
    metrics.checklyResponse({ op: 'completion', status: 408 });
    metrics.checklyResponse({ op: 'trigger', status: undefined });
    metrics.slackCall('chat.postMessage', undefined);
    metrics.slackCall('chat.postMessage', 'not_in_channel');
    metrics.refused('channel');
    const text = await exposition(metrics);
    expect(sample(text, 'checkly_slack_runs_started_total{kind="command"}')).toBe(2);
    expect(sample(text, 'checkly_slack_runs_started_total{kind="rerun"}')).toBe(1);
    expect(sample(text, 'checkly_slack_runs_finished_total{outcome="passed"}')).toBe(1);
    expect(sample(text, 'checkly_slack_runs_finished_total{outcome="failed"}')).toBe(2);
    expect(sample(text, 'checkly_slack_checkly_requests_total{operation="trigger",status="201"}')).toBe(1);
    expect(sample(text, 'checkly_slack_checkly_requests_total{operation="completion",status="408"}')).toBe(2);
    expect(sample(text, 'checkly_slack_checkly_requests_total{operation="trigger",status="none"}')).toBe(1);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="chat.postMessage",error="none"}')).toBe(1);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="chat.postMessage",error="not_in_channel"}')).toBe(1);
    expect(sample(text, 'checkly_slack_access_refusals_total{rule="channel"}')).toBe(1);
    expect(text).toContain('# TYPE checkly_slack_runs_finished_total counter');
    expect(text).not.toContain('process_cpu');
  });

  it('reads the gauges when scraped: sessions followed summed, queue depth by scheduler', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    let tracked = 3;
    metrics.observeSessionsFollowed(() => tracked);
    metrics.observeSessionsFollowed(() => 2);
    metrics.observeQueueDepth('polls', () => 7);
    metrics.observeQueueDepth('updates', () => {
      throw new Error('a broken reader must not break the scrape');
    });
    let text = await exposition(metrics);
    expect(sample(text, 'checkly_slack_sessions_followed')).toBe(5);
    expect(sample(text, 'checkly_slack_scheduler_queue_depth{scheduler="polls"}')).toBe(7);
    expect(sample(text, 'checkly_slack_scheduler_queue_depth{scheduler="updates"}')).toBe(0);
    tracked = 0;
    text = await exposition(metrics);
    expect(sample(text, 'checkly_slack_sessions_followed')).toBe(2);
  });

  it('includes the process metrics by default, and two apps keep separate registries', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.runStarted('command');
    const text = await exposition(a);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(sample(await exposition(b), 'checkly_slack_runs_started_total{kind="command"}')).toBeUndefined();
  });
});

describe('runOutcome', () => {
  it.each<[Run['phase'], SessionStatus[], string]>([
    ['final', ['PASSED', 'PASSED'], 'passed'],
    ['final', ['PASSED', 'DEGRADED'], 'degraded'],
    ['final', ['DEGRADED', 'FAILED'], 'failed'],
    ['final', ['PASSED', 'TIMED_OUT'], 'failed'],
    ['final', ['PASSED', 'CANCELLED'], 'cancelled'],
    ['final', ['FAILED', 'CANCELLED'], 'failed'],
    ['error', [], 'error'],
    ['abandoned', ['PASSED', 'STARTED'], 'abandoned'],
    ['final', [], 'passed'],
  ])('%s %j: %s', (phase, statuses, expected) => {
    expect(runOutcome(makeRun({ phase, sessions: statuses.map((status) => makeSession({ status })) }))).toBe(expected);
  });
});

describe('meteredSlackFetch with the real Web API client', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await startFakeSlack({ botToken: 'xoxb-metrics-test' });
  });
  afterEach(async () => {
    await slack.close();
  });

  it('counts every call by method and Slack error, and the client still gets its answers', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const http = slackHttp({ proxy: {}, timeoutMs: 5000 });
    const client = new webApi.WebClient('xoxb-metrics-test', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      fetch: meteredSlackFetch(metrics, http.fetch),
    });
    slack.setChannelError('C0PRIV', 'channel_not_found');
    const posted = await client.chat.postMessage({ channel: 'C0OPS', text: 'hello' });
    expect(posted.ok).toBe(true);
    expect(posted.ts).toEqual(expect.any(String));
    await expect(client.chat.postMessage({ channel: 'C0PRIV', text: 'hello' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await client.auth.test();
    const text = await exposition(metrics);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="chat.postMessage",error="none"}')).toBe(1);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="chat.postMessage",error="channel_not_found"}')).toBe(1);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="auth.test",error="none"}')).toBe(1);
    await http.close();
  });

  it('counts a 429, an unreachable API, a call unanswered in time and an odd URL without inventing series', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const answers: Array<Response | Error> = [
      new Response('{"ok":false,"error":"ratelimited"}', { status: 429, headers: { 'content-type': 'application/json' } }),
      new TypeError('fetch failed'),
      new SlackTimeout(10_000),
      new Response('{"ok":false,"error":"Weird Error <x>"}', { status: 200, headers: { 'content-type': 'application/json' } }),
      new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    ];
    const base = (async () => {
      const next = answers.shift()!;
      if (next instanceof Error) throw next;
      return next;
    }) as unknown as typeof fetch;
    const metered = meteredSlackFetch(metrics, base);
    await metered('https://slack.com/api/chat.update', {});
    await expect(metered('https://slack.com/api/chat.update', {})).rejects.toThrow('fetch failed');
    await expect(metered('https://slack.com/api/chat.update', {})).rejects.toThrow('did not answer within 10000 ms');
    await metered(new URL('https://slack.com/api/not a method?x=1'), {});
    await metered('https://slack.com/api/chat.postMessage', {});
    const text = await exposition(metrics);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="chat.update",error="ratelimited"}')).toBe(1);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="chat.update",error="network"}')).toBe(1);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="chat.update",error="timeout"}')).toBe(1);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="other",error="other"}')).toBe(1);
    expect(sample(text, 'checkly_slack_slack_calls_total{method="chat.postMessage",error="http_502"}')).toBe(1);
  });
});

/** A plain node server that dispatches to the routes as Bolt's receivers do (by path and method). */
async function serve(routes: CustomRoute[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = routes.find(
      (r) =>
        r.path === path &&
        [r.method]
          .flat()
          .map((m) => m.toUpperCase())
          .includes(req.method ?? ''),
    );
    if (route) route.handler(req, res);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('operatorRoutes over HTTP', () => {
  let healthy: () => Promise<boolean>;
  let unhealthy: string[];
  let server: { url: string; close(): Promise<void> };
  const metrics = new Metrics({ defaultMetrics: false });

  beforeEach(async () => {
    healthy = async () => true;
    unhealthy = [];
    server = await serve(operatorRoutes({ metrics, healthy: () => healthy(), healthTimeoutMs: 200, onUnhealthy: (why) => unhealthy.push(why) }));
  });
  afterEach(async () => {
    await server.close();
  });

  it('GET /healthz answers 200 {"status":"ok"} when the store answers', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('HEAD /healthz answers the status without a body', async () => {
    const res = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it.each([
    ['reports false', async () => false, 'reported unhealthy'],
    ['throws, with a secret in its message', async () => Promise.reject(new Error('redis://:hunter2@redis:6379 refused')), 'Error'],
    ['hangs', () => new Promise<boolean>(() => undefined), 'no answer within 200 ms'],
  ])('GET /healthz answers 503 when the check %s, and says nothing more', async (_name, check, why) => {
    healthy = check;
    const started = Date.now();
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('{"status":"unavailable"}');
    // Never held by a check that hangs; the bound leaves room for a busy machine.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(unhealthy).toEqual([why]);
  });

  it('GET /metrics answers the Prometheus exposition', async () => {
    metrics.runStarted('command');
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(sample(text, 'checkly_slack_runs_started_total{kind="command"}')).toBe(1);
    expect(text).toContain('# HELP checkly_slack_sessions_followed ');
  });

  it('GET /metrics answers 500 when rendering fails', async () => {
    await server.close();
    server = await serve(operatorRoutes({ metrics: { render: () => Promise.reject(new Error('boom')) }, healthy: async () => true }));
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('metrics unavailable\n');
  });

  it('serves only GET and HEAD', async () => {
    const routes = operatorRoutes({ metrics, healthy: async () => true });
    expect(routes.map((r) => [r.path, r.method])).toEqual([
      ['/healthz', ['GET', 'HEAD']],
      ['/metrics', ['GET', 'HEAD']],
    ]);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});
