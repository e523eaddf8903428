/**
 * One scenario: the fake Slack and the fake Checkly, with their rate limits on and realistic
 * latencies, and the real app in a process of its own (bench/app-host.ts), started with startApp as
 * in production. Sends the slash commands, waits until every run's message is final, and reports.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HostReport, HostRequest } from './app-host';
import type { FakeCheckInput, FakeOutcome } from '../test/fakes/checkly';
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
  showsRunFinal,
  slidingPeak,
  spread,
  type RunView,
} from './measure';
import {
  BUDGETS,
  CHECKLY_LATENCY_MS,
  DURATION_MS,
  LIMITS,
  SCENARIOS,
  SLACK_LATENCY_MS,
  between,
  random,
  type ScenarioResult,
  type ScenarioSpec,
} from './scenarios';

/** Longest a scenario may take before it is called stuck. */
const DEADLINE_MS = 240_000;

export async function runScenario(spec: ScenarioSpec, onAcked: () => void = () => undefined): Promise<ScenarioResult> {
  const rand = random(spec.seed);
  const slack = await startFakeSlack({
    botToken: SECRETS.botToken,
    updatesPerMinute: LIMITS.slackUpdatesPerMinute,
    postsPerSecondPerChannel: LIMITS.slackPostsPerSecondPerChannel,
    postBurstSeconds: LIMITS.slackPostBurstSeconds,
    latencyMs: () => between(Math.random, SLACK_LATENCY_MS),
  });
  const checkly = await startFakeCheckly({
    apiKey: SECRETS.checklyApiKey,
    accountId: ACCOUNT_ID,
    rateLimitPerMinute: LIMITS.checklyPerMinute,
    latencyMs: () => between(Math.random, CHECKLY_LATENCY_MS),
  });
  if (spec.triggerDelayMs) checkly.setDelay('trigger', spec.triggerDelayMs);

  const runOfCheck = new Map<string, number>();
  for (let run = 0; run < spec.runs; run += 1) {
    for (let i = 0; i < spec.checksPerRun; i += 1) {
      const check = checkly.addCheck(checkInput(rand, `suite-${run}`, `Check ${run}.${i}`));
      runOfCheck.set(check.id, run);
    }
  }

  const stateDir = mkdtempSync(path.join(tmpdir(), `checkly-slack-bench-${spec.name}-`));
  const host = await startHost(spec.name, {
    ...fakeEnv(slack, checkly),
    CHECKLY_MAX_REQUESTS_PER_MINUTE: String(BUDGETS.checklyPerMinute),
    SLACK_MAX_UPDATES_PER_MINUTE: String(BUDGETS.slackUpdatesPerMinute),
    PORT: '0',
    LOG_LEVEL: 'warn',
    STATE_DIR: stateDir,
  });
  const eventsUrl = `http://127.0.0.1:${host.port}/slack/events`;
  // A server that has been up a while has its code compiled and its connections open: `help`
  // commands first, as many at once as the scenario sends (they trigger nothing).
  await Promise.all(
    Array.from({ length: spec.runs }, (_, i) =>
      sendCommand(eventsUrl, slashCommandBody({ text: 'help', response_url: slack.responseUrl(`warm-up-${i}`) })),
    ),
  );
  await sleep(500);
  const startedAt = Date.now();

  const acks = await Promise.all(
    Array.from({ length: spec.runs }, async (_, run) => {
      const body = slashCommandBody({
        text: `run suite-${run}`,
        channel_id: channelOf(spec, run),
        user_id: `U${String(run).padStart(4, '0')}`,
        response_url: slack.responseUrl(`${spec.name}-${run}`),
      });
      const res = await sendCommand(eventsUrl, body);
      if (res.status !== 200) throw new Error(`command ${run} answered ${res.status}`);
      return { latencyMs: res.ms, at: Date.now() };
    }),
  );
  onAcked();

  const messageOf = (run: number): FakeMessage | undefined => {
    const tag = new RegExp(`\\bsuite-${run}(?!\\d)`);
    return [...slack.messages.values()].find(
      (m) => (m.thread_ts === undefined || m.thread_ts === m.ts) && tag.test(m.versions[0]?.text ?? ''),
    );
  };
  const isFinal = (run: number): boolean => {
    const versions = messageOf(run)?.versions ?? [];
    const last = versions[versions.length - 1];
    return last !== undefined && showsRunFinal(last);
  };
  const runs = Array.from({ length: spec.runs }, (_, run) => run);
  while (!runs.every(isFinal) && Date.now() - startedAt < DEADLINE_MS) await sleep(250);
  const wallSeconds = (Date.now() - startedAt) / 1000;
  await sleep(2000); // thread replies
  const { peakRssMb, logged: warnings } = await host.stop();

  const problems: string[] = [];
  const sessionShown: number[] = [];
  const runShown: number[] = [];
  const sessions = checkly.sessions;
  for (const run of runs) {
    const message = messageOf(run);
    if (!message) {
      problems.push(`suite-${run}: no message`);
      continue;
    }
    const view: RunView = { message, sessions: sessions.filter((s) => runOfCheck.get(s.checkId) === run) };
    const delays = runDelays(view);
    sessionShown.push(...delays.sessionShownMs);
    if (delays.runShownMs !== undefined) runShown.push(delays.runShownMs);
    if (delays.neverShown > 0) problems.push(`suite-${run}: ${delays.neverShown} sessions never shown final`);
    for (const p of finalProblems(view)) problems.push(`suite-${run}: ${p}`);
  }
  for (const line of warnings.slice(0, 5)) problems.push(`logged: ${line.trim().slice(0, 300)}`);
  if (warnings.length > 5) problems.push(`logged ${warnings.length - 5} more warnings`);

  const ackFirst = { beforeTrigger: 0, beforePostAnswered: 0, of: spec.runs };
  for (const run of runs) {
    const ackAt = acks[run]!.at;
    const trigger = checkly.requests.find((r) => r.op === 'trigger' && JSON.stringify(r.body).includes(`"suite-${run}"`));
    if (trigger && ackAt <= trigger.at) ackFirst.beforeTrigger += 1;
    const post = slack.callsTo('chat.postMessage').find((c) => new RegExp(`\\bsuite-${run}(?!\\d)`).test(String(c.args.text)));
    const answered = messageOf(run)?.versions[0]?.at;
    if (post && answered !== undefined && ackAt <= answered) ackFirst.beforePostAnswered += 1;
  }

  const updates = callTimes(slack.calls, 'chat.update');
  const result: ScenarioResult = {
    name: spec.name,
    title: spec.title,
    runs: spec.runs,
    sessions: sessions.length,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    ackMs: spread(acks.map((a) => a.latencyMs)),
    ackFirst,
    detectedMs: spread(detectionDelays(checkly.requests, sessions)),
    sessionShownMs: spread(sessionShown),
    runShownMs: spread(runShown),
    checkly: {
      requests: checkly.requests.length,
      perSession: round2(checkly.requests.length / Math.max(1, sessions.length)),
      peakPerMinute: slidingPeak(checkly.requests.map((r) => r.at)),
      byOperation: byOperation(checkly.requests),
      status429: checkly.requests.filter((r) => r.status === 429).length,
    },
    slack: {
      updates: updates.length,
      updatesPerRun: round2(updates.length / spec.runs),
      peakUpdatesPerMinute: slidingPeak(updates),
      posts: slack.callsTo('chat.postMessage').length,
      status429: slack.rateLimited,
      rejections: slack.rejections.length,
    },
    peakRssMb,
    problems,
  };
  const dump = process.env.BENCH_DUMP;
  if (dump) {
    // Everything the fakes recorded, for a closer look: BENCH_DUMP=/tmp/dir npm run bench
    mkdirSync(dump, { recursive: true });
    const requests = checkly.requests.map(({ headers: _headers, body: _body, ...r }) => r);
    const messages = [...slack.messages.values()].map((m) => ({ ...m, versions: m.versions.map((v) => ({ at: v.at, text: v.text })) }));
    writeFileSync(path.join(dump, `${spec.name}.json`), JSON.stringify({ sessions, requests, messages, updates: slack.callsTo('chat.update').map((c) => ({ at: c.at, ts: c.args.ts })) }));
  }
  SLACK_CONNECTIONS.destroy();
  await Promise.all([slack.close(), checkly.close()]);
  rmSync(stateDir, { recursive: true, force: true });
  return result;
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
  stop(): Promise<{ peakRssMb: number; logged: string[] }>;
}

/** Starts the app in its own process and waits until it listens. */
export function startHost(name: string, env: Record<string, string>): Promise<Host> {
  const child: ChildProcess = fork(path.join(__dirname, 'app-host.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
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
  return started.then((report) => ({
    port: report.type === 'started' ? report.port : 0,
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
