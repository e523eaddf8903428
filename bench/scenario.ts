/**
 * One scenario: the fake Slack and the fake Checkly, with their rate limits on and realistic
 * latencies, and the real app in a process of its own (bench/app-host.ts), started with startApp as
 * in production. Sends the slash commands, waits until every run's message is final, and reports.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Redis } from 'ioredis';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HostReport, HostRequest } from './app-host';
import type { FakeCheckInput, FakeCheckly, FakeChecklyOptions, FakeOutcome } from '../test/fakes/checkly';
import { CLI_VERSION, installCli, runCli } from './cli';
import { startFakeCheckly } from '../test/fakes/checkly';
import { signSlackRequest, slashCommandBody } from '../test/fakes/sign';
import { startFakeSlack, type FakeMessage } from '../test/fakes/slack';
import { ACCOUNT_ID, SECRETS, fakeEnv } from '../test/e2e/harness';
import {
  byOperation,
  callTimes,
  detectionDelays,
  finalProblems,
  runDelays,
  sessionRequests,
  showsRunFinal,
  slidingPeak,
  spread,
  type RunView,
} from './measure';
import {
  BUDGETS,
  CHECKLY_LATENCY_MS,
  DURATION_MS,
  FIELD,
  LIMITS,
  SCENARIOS,
  SLACK_LATENCY_MS,
  between,
  random,
  type ScenarioResult,
  type ScenarioSpec,
} from './scenarios';

/** Longest a scenario may take before it is called stuck, unless it says otherwise. */
const DEADLINE_MS = 240_000;

export async function runScenario(spec: ScenarioSpec, onAcked: () => void = () => undefined): Promise<ScenarioResult> {
  if (spec.peer === 'cli') return runPeer(spec, onAcked);
  const rand = random(spec.seed);
  const slack = await startFakeSlack({
    botToken: SECRETS.botToken,
    updatesPerMinute: LIMITS.slackUpdatesPerMinute,
    postsPerSecondPerChannel: LIMITS.slackPostsPerSecondPerChannel,
    postBurstSeconds: LIMITS.slackPostBurstSeconds,
    latencyMs: () => between(Math.random, SLACK_LATENCY_MS),
  });
  const checkly = await startFakeCheckly(checklyOptions(spec));
  if (spec.triggerDelayMs) checkly.setDelay('trigger', spec.triggerDelayMs);
  const runOfCheck = addChecks(checkly, spec, rand);

  const stateDir = mkdtempSync(path.join(tmpdir(), `checkly-slack-bench-${spec.name}-`));
  const replicas = spec.replicas ?? 1;
  const redisPrefix = `bench:${spec.name}:${randomUUID().slice(0, 8)}:`;
  const env: Record<string, string> = {
    ...fakeEnv(slack, checkly),
    CHECKLY_MAX_REQUESTS_PER_MINUTE: String(BUDGETS.checklyPerMinute),
    SLACK_MAX_UPDATES_PER_MINUTE: String(BUDGETS.slackUpdatesPerMinute),
    PORT: '0',
    LOG_LEVEL: 'warn',
    STATE_DIR: stateDir,
    ...(replicas > 1 ? { REDIS_URL: REDIS_URL, REDIS_PREFIX: redisPrefix } : {}),
  };
  const hosts = await Promise.all(Array.from({ length: replicas }, (_, i) => startHost(replicas > 1 ? `${spec.name}-${i}` : spec.name, env)));
  const eventsUrls = hosts.map((h) => `http://127.0.0.1:${h.port}/slack/events`);
  // A server that has been up a while has its code compiled and its connections open: `help`
  // commands first, as many at once as the scenario sends (they trigger nothing).
  await Promise.all(
    Array.from({ length: spec.runs }, (_, i) =>
      sendCommand(eventsUrls[i % eventsUrls.length] as string, slashCommandBody({ text: 'help', response_url: slack.responseUrl(`warm-up-${i}`) })),
    ),
  );
  await sleep(500);

  /** The run's top-level message posted at or after `since`. */
  const messageOf = (run: number, since: number): FakeMessage | undefined => {
    const tag = new RegExp(`\\bsuite-${run}(?!\\d)`);
    return [...slack.messages.values()].find(
      (m) => (m.thread_ts === undefined || m.thread_ts === m.ts) && (m.versions[0]?.at ?? 0) >= since && tag.test(m.versions[0]?.text ?? ''),
    );
  };
  const isFinal = (run: number, since: number): boolean => {
    const versions = messageOf(run, since)?.versions ?? [];
    const last = versions[versions.length - 1];
    return last !== undefined && showsRunFinal(last);
  };
  const runs = Array.from({ length: spec.runs }, (_, run) => run);
  const deadline = spec.deadlineMs ?? DEADLINE_MS;
  let killedAfterMs: number | undefined;

  interface Round {
    startedAt: number;
    wallSeconds: number;
    acks: Array<{ latencyMs: number; at: number }>;
  }
  const rounds: Round[] = [];
  for (let round = 0; round < (spec.repeatAfterMs !== undefined ? 2 : 1); round += 1) {
    if (round > 0) await sleep(spec.repeatAfterMs ?? 0);
    const startedAt = Date.now();
    const acks = await Promise.all(
      runs.map(async (run) => {
        const body = slashCommandBody({
          text: `run suite-${run}`,
          channel_id: channelOf(spec, run),
          user_id: `U${String(run).padStart(4, '0')}`,
          response_url: slack.responseUrl(`${spec.name}-${round}-${run}`),
        });
        // A load balancer spreads the commands over the replicas.
        const res = await sendCommand(eventsUrls[run % eventsUrls.length] as string, body);
        if (res.status !== 200) throw new Error(`command ${run} answered ${res.status}`);
        return { latencyMs: res.ms, at: Date.now() };
      }),
    );
    if (round === 0) onAcked();
    let killTimer: NodeJS.Timeout | undefined;
    if (round === 0 && spec.killReplicaAfterMs !== undefined && hosts.length > 1) {
      const acked = Date.now();
      killTimer = setTimeout(() => {
        killedAfterMs = Date.now() - acked;
        hosts[hosts.length - 1]!.kill();
      }, spec.killReplicaAfterMs);
    }
    while (!runs.every((run) => isFinal(run, startedAt)) && Date.now() - startedAt < deadline) await sleep(250);
    clearTimeout(killTimer);
    rounds.push({ startedAt, wallSeconds: (Date.now() - startedAt) / 1000, acks });
    // Thread replies follow the final messages, a channel's posts a second apart: until Slack hears
    // nothing for 3 s (30 s at most).
    const quietSince = Date.now();
    while (Date.now() - Math.max(quietSince, slack.calls[slack.calls.length - 1]?.at ?? 0) < 3000 && Date.now() - quietSince < 30_000) await sleep(250);
  }
  const stopped = await Promise.all(hosts.filter((h) => !h.killed).map((h) => h.stop()));
  const peakRssMb = Math.max(...stopped.map((s) => s.peakRssMb));
  const warnings = stopped.flatMap((s) => s.logged);
  if (replicas > 1) await dropRedisKeys(redisPrefix);

  const sessions = checkly.sessions;
  const requests = checkly.requests;
  /** What one round showed: its sessions, its requests, its problems. */
  const figures = (index: number) => {
    const from = (rounds[index] as Round).startedAt;
    const to = rounds[index + 1]?.startedAt ?? Infinity;
    const roundSessions = sessions.filter((x) => x.createdAt >= from && x.createdAt < to);
    const roundRequests = requests.filter((r) => r.at >= from && r.at < to);
    const problems: string[] = [];
    const sessionShown: number[] = [];
    const runShown: number[] = [];
    for (const run of runs) {
      const message = messageOf(run, from);
      if (!message) {
        problems.push(`suite-${run}: no message`);
        continue;
      }
      const view: RunView = { message, sessions: roundSessions.filter((x) => runOfCheck.get(x.checkId) === run) };
      const delays = runDelays(view);
      sessionShown.push(...delays.sessionShownMs);
      if (delays.runShownMs !== undefined) runShown.push(delays.runShownMs);
      if (delays.neverShown > 0) problems.push(`suite-${run}: ${delays.neverShown} sessions never shown final`);
      for (const p of finalProblems(view)) problems.push(`suite-${run}: ${p}`);
    }
    return {
      problems,
      sessionShown,
      runShown,
      sessions: roundSessions,
      detectedMs: spread(detectionDelays(requests, roundSessions)),
      perSession: round2(roundRequests.length / Math.max(1, roundSessions.length)),
      sessionPerSession: round2(sessionRequests(roundRequests) / Math.max(1, roundSessions.length)),
      byOperation: byOperation(roundRequests),
    };
  };
  const first = figures(0);
  const problems = [...first.problems];
  let again: ScenarioResult['again'];
  if (rounds.length > 1) {
    const second = figures(1);
    again = {
      detectedMs: second.detectedMs,
      perSession: second.perSession,
      sessionPerSession: second.sessionPerSession,
      byOperation: second.byOperation,
      runShownMs: spread(second.runShown),
      problems: second.problems.length,
    };
    problems.push(...second.problems.map((p) => `again: ${p}`));
  }
  for (const line of warnings.slice(0, 5)) problems.push(`logged: ${line.trim().slice(0, 300)}`);
  if (warnings.length > 5) problems.push(`logged ${warnings.length - 5} more warnings`);

  const firstRound = rounds[0] as Round;
  const ackFirst = { beforeTrigger: 0, beforePostAnswered: 0, of: spec.runs };
  for (const run of runs) {
    const ackAt = firstRound.acks[run]!.at;
    const trigger = requests.find((r) => r.op === 'trigger' && JSON.stringify(r.body).includes(`"suite-${run}"`));
    if (trigger && ackAt <= trigger.at) ackFirst.beforeTrigger += 1;
    const post = slack.callsTo('chat.postMessage').find((c) => new RegExp(`\\bsuite-${run}(?!\\d)`).test(String(c.args.text)));
    const answered = messageOf(run, firstRound.startedAt)?.versions[0]?.at;
    if (post && answered !== undefined && ackAt <= answered) ackFirst.beforePostAnswered += 1;
  }

  const updates = callTimes(slack.calls, 'chat.update');
  const result: ScenarioResult = {
    name: spec.name,
    title: spec.title,
    runs: spec.runs,
    sessions: first.sessions.length,
    wallSeconds: Math.round(firstRound.wallSeconds * 10) / 10,
    ackMs: spread(firstRound.acks.map((a) => a.latencyMs)),
    ackFirst,
    detectedMs: first.detectedMs,
    sessionShownMs: spread(first.sessionShown),
    runShownMs: spread(first.runShown),
    checkly: {
      requests: requests.length,
      perSession: first.perSession,
      sessionPerSession: first.sessionPerSession,
      peakPerMinute: slidingPeak(requests.map((r) => r.at)),
      byOperation: first.byOperation,
      status429: requests.filter((r) => r.status === 429).length,
    },
    slack: {
      updates: updates.length,
      updatesPerRun: round2(updates.length / (spec.runs * rounds.length)),
      peakUpdatesPerMinute: slidingPeak(updates),
      posts: slack.callsTo('chat.postMessage').length,
      status429: slack.rateLimited,
      rejections: slack.rejections.length,
    },
    peakRssMb,
    problems,
    ...(again ? { again } : {}),
    ...(replicas > 1 ? { replicas } : {}),
    ...(killedAfterMs !== undefined ? { killedAfterMs } : {}),
  };
  const dump = process.env.BENCH_DUMP;
  if (dump) {
    // Everything the fakes recorded, for a closer look: BENCH_DUMP=/tmp/dir npm run bench
    mkdirSync(dump, { recursive: true });
    const plain = requests.map(({ headers: _headers, body: _body, ...r }) => r);
    const messages = [...slack.messages.values()].map((m) => ({ ...m, versions: m.versions.map((v) => ({ at: v.at, text: v.text })) }));
    writeFileSync(
      path.join(dump, `${spec.name}.json`),
      JSON.stringify({ sessions, requests: plain, messages, updates: slack.callsTo('chat.update').map((c) => ({ at: c.at, ts: c.args.ts })) }),
    );
  }
  SLACK_CONNECTIONS.destroy();
  await Promise.all([slack.close(), checkly.close()]);
  rmSync(stateDir, { recursive: true, force: true });
  return result;
}

/** The scenario's fake Checkly: its limits and latency, and a calm or field-like account (the jitter seeded, the same for the app and the CLI). */
function checklyOptions(spec: ScenarioSpec): FakeChecklyOptions {
  return {
    apiKey: SECRETS.checklyApiKey,
    accountId: ACCOUNT_ID,
    rateLimitPerMinute: LIMITS.checklyPerMinute,
    latencyMs: () => between(Math.random, CHECKLY_LATENCY_MS),
    ...(spec.account === 'field' ? { ...FIELD, random: random(spec.seed + 1000) } : {}),
  };
}

/** The checks of every run, in the scenario's seeded order (the same for the app and the CLI). */
function addChecks(checkly: FakeCheckly, spec: ScenarioSpec, rand: () => number): Map<string, number> {
  const runOfCheck = new Map<string, number>();
  for (let run = 0; run < spec.runs; run += 1) {
    for (let i = 0; i < spec.checksPerRun; i += 1) {
      const check = checkly.addCheck(checkInput(rand, `suite-${run}`, `Check ${run}.${i}`));
      runOfCheck.set(check.id, run);
    }
  }
  return runOfCheck;
}

/** The Checkly CLI's `checks run` over the scenario's checks, on a fake Checkly of its own with the same latency and limit. */
async function runPeer(spec: ScenarioSpec, onAcked: () => void): Promise<ScenarioResult> {
  await installCli(); // before the clock starts
  const checkly = await startFakeCheckly(checklyOptions(spec));
  addChecks(checkly, spec, random(spec.seed));
  onAcked();
  const cli = await runCli({ apiUrl: checkly.url, apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID, tag: 'suite-0', timeoutSeconds: 600 });
  const sessions = checkly.sessions;
  const requests = checkly.requests;
  const problems: string[] = [];
  // It exits 1 when a check failed, which some of these do.
  if (cli.exitCode !== 0 && cli.exitCode !== 1) problems.push(`the CLI exited with ${cli.exitCode}: ${cli.tail}`);
  const answered = new Set(requests.filter((r) => r.op === 'completion' && r.status === 200).map((r) => /check-sessions\/([^/]+)\//.exec(r.path)?.[1]));
  const missed = sessions.filter((x) => !answered.has(x.id)).length;
  if (missed > 0) problems.push(`the CLI never learned ${missed} final statuses`);
  const none = spread([]);
  await checkly.close();
  return {
    name: spec.name,
    title: spec.title,
    runs: spec.runs,
    sessions: sessions.length,
    wallSeconds: Math.round(cli.wallMs / 100) / 10,
    ackMs: none,
    ackFirst: { beforeTrigger: 0, beforePostAnswered: 0, of: 0 },
    detectedMs: spread(detectionDelays(requests, sessions)),
    sessionShownMs: none,
    runShownMs: none,
    checkly: {
      requests: requests.length,
      perSession: round2(requests.length / Math.max(1, sessions.length)),
      sessionPerSession: round2(sessionRequests(requests) / Math.max(1, sessions.length)),
      peakPerMinute: slidingPeak(requests.map((r) => r.at)),
      byOperation: byOperation(requests),
      status429: requests.filter((r) => r.status === 429).length,
    },
    slack: { updates: 0, updatesPerRun: 0, peakUpdatesPerMinute: 0, posts: 0, status429: 0, rejections: 0 },
    peakRssMb: 0,
    problems,
    peer: 'cli',
    cli: { exitCode: cli.exitCode, version: CLI_VERSION },
  };
}

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The replicas' keys, once they are stopped: the bench leaves nothing behind in a shared Redis. */
async function dropRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit().catch(() => undefined);
  }
}

/**
 * Slack's requests reach the app through connections kept open (by a load balancer, or Socket
 * Mode's one socket). Opening fifty loopback connections at once on a small machine takes longer
 * than acknowledging the commands, and that is not the app's doing.
 */
const SLACK_CONNECTIONS = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * A slash command as Slack sends it, signed. Timed from the request's start to the end of the
 * answer. (node:http rather than fetch: with fifty at once, fetch's own overhead in this process
 * would be most of what is measured.)
 */
export function sendCommand(url: string, body: string): Promise<{ status: number; ms: number }> {
  const headers = {
    'Content-Type': 'application/x-www-form-urlencoded',
    'Content-Length': Buffer.byteLength(body),
    ...signSlackRequest(SECRETS.signingSecret, body),
  };
  return new Promise((resolve, reject) => {
    const sent = performance.now();
    const req = http.request(url, { method: 'POST', headers, agent: SLACK_CONNECTIONS }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - sent }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Host {
  port: number;
  /** It was killed: it has nothing more to say. */
  readonly killed: boolean;
  stop(): Promise<{ peakRssMb: number; logged: string[] }>;
  /** The app's event loop busy time so far, in ms: the difference over a span is the app's own work in it. */
  busyMs(): Promise<number>;
  /** The app's longest event-loop delay since the last call, in ms (perf_hooks.monitorEventLoopDelay). */
  stallMs(): Promise<number>;
  /** With BENCH_PROFILE: the app's profile covers only the span between on and off (the measured part). */
  profile(on: boolean): Promise<void>;
  /** SIGKILL: the replica dies mid-work, as a crashed pod would. */
  kill(): void;
}

/** Starts the app in its own process and waits until it listens. */
export function startHost(name: string, env: Record<string, string>): Promise<Host> {
  const child: ChildProcess = fork(path.join(__dirname, 'app-host.ts'), [], {
    // BENCH_APP_NODE_OPTIONS: more flags for the app's process (`--cpu-prof --cpu-prof-dir=…` to profile it).
    execArgv: ['-r', 'ts-node/register/transpile-only', ...(process.env.BENCH_APP_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [])],
    // The production build runs as the image runs it.
    env: process.env.BENCH_APP === 'dist' ? { ...process.env, NODE_ENV: 'production' } : process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const send = (message: HostRequest): void => {
    child.send(message);
  };
  const next = (type: HostReport['type']): Promise<HostReport> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: HostReport): void => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the app exited with ${code}`)));
    });
  const started = next('started');
  send({ type: 'start', name, env });
  let killed = false;
  return started.then((report) => ({
    port: report.type === 'started' ? report.port : 0,
    get killed() {
      return killed;
    },
    kill() {
      killed = true;
      child.kill('SIGKILL');
    },
    async profile(on: boolean) {
      const done = next('profiled');
      send({ type: 'profile', on });
      await done;
    },
    async stallMs() {
      const stall = next('stall');
      send({ type: 'stall' });
      const r = await stall;
      return r.type === 'stall' ? r.longestMs : 0;
    },
    async busyMs() {
      const busy = next('busy');
      send({ type: 'busy' });
      const r = await busy;
      return r.type === 'busy' ? r.activeMs : 0;
    },
    async stop() {
      const stopped = next('stopped');
      send({ type: 'stop' });
      const r = await stopped;
      return r.type === 'stopped' ? { peakRssMb: r.peakRssMb, logged: r.logged } : { peakRssMb: 0, logged: [] };
    },
  }));
}

function checkInput(rand: () => number, tag: string, name: string): FakeCheckInput {
  const roll = rand();
  const outcome: FakeOutcome = roll < 0.85 ? 'PASSED' : roll < 0.92 ? 'FAILED' : roll < 0.97 ? 'DEGRADED' : 'TIMED_OUT';
  const locations = ['eu-west-1', 'us-east-1', 'ap-southeast-2'].slice(0, 1 + Math.floor(rand() * 3));
  return {
    name,
    tags: [tag],
    checkType: rand() < 0.7 ? 'API' : 'BROWSER',
    locations,
    durationMs: between(rand, DURATION_MS),
    outcome,
    ...(outcome === 'PASSED' ? {} : { errorMessage: `Expected 200 but got 503 from ${name}` }),
  };
}

function channelOf(spec: ScenarioSpec, run: number): string {
  return `C${spec.name.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}${run % spec.channels}`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** As a child of bench/run.ts: runs the scenario named in argv and sends its result to the parent. */
if (require.main === module) {
  const spec = SCENARIOS.find((s) => s.name === process.argv[2]);
  if (!spec) {
    process.stderr.write(`unknown scenario ${process.argv[2]}; one of ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
    process.exit(2);
  }
  runScenario(spec, () => process.send?.({ type: 'acked' })).then(
    (result) => {
      if (process.send) process.send({ type: 'result', result }, () => process.exit(0));
      else {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        process.exit(0);
      }
    },
    (err: unknown) => {
      process.stderr.write(`${spec.name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
