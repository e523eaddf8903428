/**
 * `npm run bench:api`: the run API under load, against the app in its own process (bench/app-host.ts)
 * and the fakes with realistic latencies and Slack's limits on. The script builds the app first and
 * measures the production build (BENCH_APP=dist: dist/, as `node dist/app.js` runs it); without
 * BENCH_APP, the sources through ts-node.
 *
 * 1. POST latency: 20 runs of 10 checks are started and followed; then 4 rounds of 50 concurrent
 *    POST /api/v1/runs (each to its own channel: Slack allows about one post a second per channel,
 *    and a POST is answered once its message is posted). Target: p99 < 300 ms, with Slack's own
 *    client (WebClient) carrying the post.
 * 2. Long polls: 20 more runs, each read by 5 clients with ?wait=60 (100 waiting at once). For each
 *    answer, the time from the run becoming final (its finishedAt) to the answer. Target: p95 < 1 s.
 *
 * First, the floor (bench/floor-app.ts): the same 4 × 50 POSTs against a bare node:http server that
 * only posts the message and answers, in its own process, against the same fake Slack: what this
 * machine and Slack's latency leave to the app. Compare the two in one run, not across runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fork } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeCheckly } from '../test/fakes/checkly';
import { startFakeSlack } from '../test/fakes/slack';
import { ACCOUNT_ID, SECRETS, fakeEnv } from '../test/e2e/harness';
import { spread } from './measure';
import type { FloorReport } from './floor-app';
import { startHost } from './scenario';
import { between, CHECKLY_LATENCY_MS, LIMITS } from './scenarios';

const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
/** Slack answers chat.postMessage in 20 to 80 ms here: the POST's answer waits for it. */
const SLACK_POST_LATENCY_MS = { min: 20, max: 80 };
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

interface Answer {
  status: number;
  ms: number;
  /** Epoch ms: when the request was sent, and when its answer was in. */
  sentAt: number;
  at: number;
  json: Record<string, unknown>;
}

function request(port: number, method: string, urlPath: string, body?: unknown): Promise<Answer> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { Authorization: `Bearer ${SECRET}` };
  if (text !== undefined) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  return new Promise((resolve, reject) => {
    const sent = performance.now();
    const sentAt = Date.now();
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(data) as Record<string, unknown>;
        } catch {
          // not JSON: the status tells
        }
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - sent, sentAt, at: Date.now(), json });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

interface Bursts {
  ms: number[];
  /**
   * Per round: the server's event-loop busy time from the burst's start until it is asked after the
   * last answer, per POST. For the app, that can include some of the round's triggers, which start as
   * the last answer goes.
   */
  busyPerPostMs: number[];
  /** Per round: the burst's wall time, and this process's (load and fakes) busy time in it, in ms. */
  wallMs: number[];
  benchBusyMs: number[];
  /** Per round, for the app: its longest event-loop delay (a stall shows here, load barely). */
  stallMs: number[];
}

/** 4 rounds of 50 concurrent POSTs (each to its own channel), a second apart. */
async function bursts(
  post: (channel: string) => Promise<Answer>,
  busyMs: () => Promise<number>,
  prefix: string,
  stallMs?: () => Promise<number>,
): Promise<Bursts> {
  const result: Bursts = { ms: [], busyPerPostMs: [], wallMs: [], benchBusyMs: [], stallMs: [] };
  for (let round = 0; round < 4; round++) {
    await stallMs?.();
    const busyBefore = await busyMs();
    const benchBefore = performance.eventLoopUtilization();
    const startedAt = performance.now();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => post(`${prefix}${round}X${i}`)));
    result.wallMs.push(performance.now() - startedAt);
    result.benchBusyMs.push(performance.eventLoopUtilization(benchBefore).active);
    result.busyPerPostMs.push(((await busyMs()) - busyBefore) / 50);
    if (stallMs) result.stallMs.push(await stallMs());
    const bad = answers.filter((a) => a.status !== 202);
    if (bad.length > 0) throw new Error(`${bad.length} POSTs failed: ${bad.map((a) => a.status).join(',')}`);
    result.ms.push(...answers.map((a) => a.ms));
    await sleep(1_000);
  }
  return result;
}

/** The floor server in its own process, through the same bursts. */
async function floor(slackApiUrl: string): Promise<Bursts> {
  const child = fork(path.join(__dirname, 'floor-app.ts'), [slackApiUrl, SECRETS.botToken], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T extends FloorReport['type']>(type: T): Promise<Extract<FloorReport, { type: T }>> =>
    new Promise((resolve) => {
      const on = (m: FloorReport): void => {
        if (m.type !== type) return;
        child.off('message', on);
        resolve(m as Extract<FloorReport, { type: T }>);
      };
      child.on('message', on);
    });
  const { port } = await next('started');
  const busyMs = async () => {
    const answer = next('busy');
    child.send({ type: 'busy' });
    return (await answer).activeMs;
  };
  const post = (channel: string) => request(port, 'POST', '/', { channel, target: 'smoke' });
  try {
    // Warmed as the app is before its bursts: 20 POSTs one at a time, then 20 at once.
    for (let i = 0; i < 20; i++) await post(`CFLOORWARM${i}`);
    await Promise.all(Array.from({ length: 20 }, (_, i) => post(`CFLOORWARM${20 + i}`)));
    return await bursts(post, busyMs, 'CFLOOR');
  } finally {
    child.send({ type: 'stop' });
  }
}

async function main(): Promise<void> {
  const slack = await startFakeSlack({
    botToken: SECRETS.botToken,
    updatesPerMinute: LIMITS.slackUpdatesPerMinute,
    postsPerSecondPerChannel: LIMITS.slackPostsPerSecondPerChannel,
    postBurstSeconds: LIMITS.slackPostBurstSeconds,
    latencyMs: () => between(Math.random, SLACK_POST_LATENCY_MS),
  });
  const checkly = await startFakeCheckly({
    apiKey: SECRETS.checklyApiKey,
    accountId: ACCOUNT_ID,
    latencyMs: () => between(Math.random, CHECKLY_LATENCY_MS),
  });
  for (let i = 0; i < 10; i++) checkly.addCheck({ name: `Followed ${i}`, tags: ['followed'], durationMs: between(Math.random, { min: 20_000, max: 40_000 }) });
  checkly.addCheck({ name: 'Smoke', tags: ['smoke'], durationMs: 5_000 });
  for (let i = 0; i < 3; i++) checkly.addCheck({ name: `Waited ${i}`, tags: ['waited'], durationMs: between(Math.random, { min: 3_000, max: 12_000 }) });
  const floored = await floor(slack.apiUrl);

  const stateDir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-bench-api-'));
  const host = await startHost('api', {
    ...fakeEnv(slack, checkly),
    PORT: '0',
    STATE_DIR: stateDir,
    LOG_LEVEL: 'warn',
    RUN_API_TOKENS: `bench:${SECRET}`,
    RUN_API_RATE_PER_MINUTE: '10000',
    CHECKLY_MAX_REQUESTS_PER_MINUTE: '3000',
  });
  const post = (channel: string, target: string) => request(host.port, 'POST', '/api/v1/runs', { channel, target });

  // 0. The floor: one POST at a time, nothing else going on (Slack's 20-80 ms included).
  const quietMs: number[] = [];
  for (let i = 0; i < 20; i++) quietMs.push((await post(`CQUIET${i}`, 'smoke')).ms);

  // 1. POST latency while 20 runs are followed.
  const followed = await Promise.all(Array.from({ length: 20 }, (_, i) => post(`CFOLLOW${i % 5}`, 'followed')));
  if (followed.some((a) => a.status !== 202)) throw new Error(`starting the followed runs failed: ${followed.map((a) => a.status).join(',')}`);
  await sleep(3_000);
  /** Of each POST's time, the part before Slack received its chat.postMessage: the app's own share, mostly. */
  const sentAt = new Map<string, number>();
  await host.profile(true);
  const app = await bursts(
    async (channel) => {
      const answer = await post(channel, 'smoke');
      sentAt.set(channel, answer.sentAt);
      return answer;
    },
    () => host.busyMs(),
    'CPOST',
    () => host.stallMs(),
  );
  await host.profile(false);
  const beforeSlackMs = slack.callsTo('chat.postMessage').flatMap((c) => {
    const sent = sentAt.get(String(c.args.channel));
    return sent === undefined ? [] : [c.at - sent];
  });

  // 2. 100 clients waiting on 20 runs.
  const waited = await Promise.all(Array.from({ length: 20 }, (_, i) => post(`CWAIT${i}`, 'waited')));
  const waits = await Promise.all(
    waited.flatMap((run) => Array.from({ length: 5 }, () => request(host.port, 'GET', `/api/v1/runs/${String(run.json.id)}?wait=60`))),
  );
  const lateMs = waits.map((a) => {
    if (a.status !== 200 || typeof a.json.finishedAt !== 'string') throw new Error(`a wait answered ${a.status} ${String(a.json.status)}`);
    return a.at - Date.parse(a.json.finishedAt);
  });

  const stopped = await host.stop();
  agent.destroy();
  await Promise.all([slack.close(), checkly.close()]);
  rmSync(stateDir, { recursive: true, force: true });

  const posts = spread(app.ms);
  const floorPosts = spread(floored.ms);
  const late = spread(lateMs);
  const beforeSlack = spread(beforeSlackMs);
  const quiet = spread(quietMs);
  const rows = [
    { what: 'POST /api/v1/runs, 4 × 50 concurrent, 20 runs followed: p99 < 300 ms', value: posts, ok: posts.p99 < 300 },
    { what: 'GET ?wait=60, 100 clients on 20 runs: final → answer p95 < 1 s', value: late, ok: late.p95 < 1000 },
  ];
  const line = (v: ReturnType<typeof spread>) => `n=${v.n} p50=${v.p50} ms p95=${v.p95} ms p99=${v.p99} ms max=${v.max} ms`;
  const walls = (b: Bursts) => `${b.wallMs.map((ms, i) => `${ms.toFixed(0)}/${b.benchBusyMs[i]!.toFixed(0)}`).join(', ')} ms`;
  const perPost = (b: Bursts) => b.busyPerPostMs.map((ms) => ms.toFixed(2)).join(', ');
  const details: Record<string, string[]> = {
    [rows[0]!.what]: [
      `of which before Slack received the post: p50=${beforeSlack.p50} ms p95=${beforeSlack.p95} ms p99=${beforeSlack.p99} ms`,
      `one POST at a time, nothing else running: p50=${quiet.p50} ms p95=${quiet.p95} ms max=${quiet.max} ms`,
      `floor (bare node:http posting the message, no store, no client library; same bursts, same fake Slack): ${line(floorPosts)}`,
      `event loop busy per POST in each burst (the app's can include some of the round's triggers, which start as its last answer goes): app ${perPost(app)} ms; floor ${perPost(floored)} ms`,
      `each burst's wall time, and the bench's own busy time in it (load and fakes): app ${walls(app)}; floor ${walls(floored)}`,
      `the app's longest event-loop delay in each burst (monitorEventLoopDelay): ${app.stallMs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    ],
  };
  process.stdout.write(
    `\nrun API benchmark of the ${process.env.BENCH_APP === 'dist' ? 'production build (dist/)' : 'sources (ts-node)'} on Node ${process.versions.node} (Slack post ${SLACK_POST_LATENCY_MS.min}-${SLACK_POST_LATENCY_MS.max} ms, Checkly ${CHECKLY_LATENCY_MS.min}-${CHECKLY_LATENCY_MS.max} ms; app peak RSS ${stopped.peakRssMb} MB; machine load average ${require('node:os').loadavg()[0].toFixed(1)})\n`,
  );
  for (const row of rows) {
    process.stdout.write(`${row.ok ? 'ok  ' : 'MISS'} ${row.what}\n     ${line(row.value)}\n`);
    for (const detail of details[row.what] ?? []) process.stdout.write(`     ${detail}\n`);
  }
  process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:api failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
