/**
 * `npm run bench`: the app against the fake Slack and the fake Checkly, rate limits on, realistic
 * latencies. The burst goes first, alone, so that its acknowledgements are timed on a quiet machine;
 * once they are in, the other scenarios start, each in a process of its own, all at once.
 * Prints the figures and the targets, and writes them to bench/results/latest.json.
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUDGETS, CHECKLY_LATENCY_MS, DURATION_MS, FIELD, LIMITS, SCENARIOS, SLACK_LATENCY_MS, type ScenarioResult } from './scenarios';

interface Target {
  what: string;
  value: string;
  ok: boolean;
}

type ChildMessage = { type: 'acked' } | { type: 'result'; result: ScenarioResult };

function start(name: string, onAcked: () => void): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'scenario.ts'), [name], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: ScenarioResult | undefined;
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'acked') onAcked();
      else result = message.result;
    });
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`scenario ${name} exited with ${code}`))));
    child.on('error', reject);
  });
}

function targets(results: Map<string, ScenarioResult>): Target[] {
  const get = (name: string): ScenarioResult => {
    const r = results.get(name);
    if (!r) throw new Error(`no result for ${name}`);
    return r;
  };
  const burst = get('burst-50');
  const one = get('run-10');
  const twenty = get('runs-20x10');
  const big = get('run-300');
  const cli = get('cli-300');
  const field = get('field-300');
  const fieldCli = get('cli-field-300');
  const replicas = get('replicas-3');
  // The peer has no Slack side and no budget of ours: the app's targets are the app's.
  const all = [...results.values()].filter((r) => r.peer === undefined);
  const again = big.again;
  const list: Target[] = [
    { what: 'ack p99 < 100 ms during the burst of 50 (trigger 2 s)', value: `${burst.ackMs.p99} ms`, ok: burst.ackMs.p99 < 100 },
    {
      what: 'every command acknowledged before Checkly saw its trigger and before Slack answered its post',
      value: all.map((r) => `${r.name} ${Math.min(r.ackFirst.beforeTrigger, r.ackFirst.beforePostAnswered)}/${r.ackFirst.of}`).join(', '),
      ok: all.every((r) => r.ackFirst.beforeTrigger === r.ackFirst.of && r.ackFirst.beforePostAnswered === r.ackFirst.of),
    },
    { what: 'session final → Slack p95 < 2 s (1 run of 10)', value: `${one.sessionShownMs.p95} ms`, ok: one.sessionShownMs.p95 < 2000 },
    { what: 'run final → Slack p95 < 3 s (1 run of 10)', value: `${one.runShownMs.p95} ms`, ok: one.runShownMs.p95 < 3000 },
    { what: 'run final → Slack p95 < 3 s (20 concurrent runs)', value: `${twenty.runShownMs.p95} ms`, ok: twenty.runShownMs.p95 < 3000 },
    {
      what: 'no 429 from either fake',
      value: all.map((r) => `${r.name} ${r.checkly.status429}+${r.slack.status429}`).join(', '),
      ok: all.every((r) => r.checkly.status429 === 0 && r.slack.status429 === 0),
    },
    {
      what: `peak Checkly requests/min ≤ budget (${BUDGETS.checklyPerMinute})`,
      value: all.map((r) => `${r.name} ${r.checkly.peakPerMinute}`).join(', '),
      ok: all.every((r) => r.checkly.peakPerMinute <= BUDGETS.checklyPerMinute),
    },
    {
      what: `peak chat.update/min ≤ budget (${BUDGETS.slackUpdatesPerMinute})`,
      value: all.map((r) => `${r.name} ${r.slack.peakUpdatesPerMinute}`).join(', '),
      ok: all.every((r) => r.slack.peakUpdatesPerMinute <= BUDGETS.slackUpdatesPerMinute),
    },
    {
      what: '1 run of 300, first run after start: detection p95 ≤ 6 s, and at least 12 times sooner than the Checkly CLI',
      value: `${sec(big.detectedMs.p95)} s; CLI ${sec(cli.detectedMs.p95)} s: ${ratio(cli.detectedMs.p95, big.detectedMs.p95)}× sooner`,
      ok: big.detectedMs.p95 <= 6000 && cli.detectedMs.p95 >= 12 * big.detectedMs.p95,
    },
    {
      what: '1 run of 300, first run after start: ≤ 1.3 Checkly requests per session',
      value: `${big.checkly.perSession} (${operations(big.checkly.byOperation)}); CLI ${cli.checkly.perSession}`,
      ok: big.checkly.perSession <= 1.3,
    },
    {
      what: 'the same 300 checks run again: detection p95 ≤ 2 s',
      value: again ? `${sec(again.detectedMs.p95)} s at ${again.perSession} requests per session (${operations(again.byOperation)})` : 'not run',
      ok: again !== undefined && again.detectedMs.p95 <= 2000,
    },
    {
      what: 'field-like account, first run after start: detection p95 ≤ 4 s at ≤ 1.3 Checkly requests per session (every request)',
      value: `${sec(field.detectedMs.p95)} s at ${field.checkly.perSession} (${operations(field.checkly.byOperation)}); CLI ${sec(fieldCli.detectedMs.p95)} s at ${fieldCli.checkly.perSession}`,
      ok: field.detectedMs.p95 <= 4000 && field.checkly.perSession <= 1.3,
    },
    {
      what: 'field-like account, the same checks again: detection p95 ≤ 2 s at ≤ 1.2 Checkly requests per session (every request)',
      value: field.again
        ? `${sec(field.again.detectedMs.p95)} s at ${field.again.perSession} (${operations(field.again.byOperation)}); ${floorWithoutSecondPolls(field.again)} with no second poll at all`
        : 'not run',
      ok: field.again !== undefined && field.again.detectedMs.p95 <= 2000 && field.again.perSession <= 1.2,
    },
    {
      what: 'the Checkly CLI ran to its end on the same checks, on both accounts',
      value: [cli, fieldCli].map((c) => `${c.name}: exit ${c.cli?.exitCode} (1: some checks failed), ${c.problems.length} problems`).join('; '),
      ok: cli.problems.length === 0 && fieldCli.problems.length === 0,
    },
    {
      what: '3 replicas on one Redis, one killed mid-way: 1,000 sessions in 40 runs all shown final and right',
      value: `${replicas.sessions} sessions, killed after ${sec(replicas.killedAfterMs ?? NaN)} s, ${replicas.problems.length} problems`,
      ok: replicas.killedAfterMs !== undefined && replicas.sessions === 1000 && replicas.problems.length === 0,
    },
    {
      what: '1 run of 300 reaches its final message with every row correct',
      value: big.problems.length === 0 ? 'yes' : big.problems.slice(0, 3).join('; '),
      ok: big.problems.length === 0,
    },
    {
      what: 'every run of every scenario shown final and correct, no warnings',
      value: all.map((r) => `${r.name} ${r.problems.length} problems`).join(', '),
      ok: all.every((r) => r.problems.length === 0),
    },
  ];
  return list;
}

function row(cells: Array<string | number>, widths: number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i] ?? 10)).join('  ');
}

function print(results: ScenarioResult[], checks: Target[], wallSeconds: number): void {
  const out = process.stdout;
  out.write(
    `\ncheckly-slack benchmark: sessions ${DURATION_MS.min / 1000}–${DURATION_MS.max / 1000} s, Checkly ${CHECKLY_LATENCY_MS.min}–${CHECKLY_LATENCY_MS.max} ms, Slack ${SLACK_LATENCY_MS.min}–${SLACK_LATENCY_MS.max} ms\n`,
  );
  out.write(
    `fakes enforce Checkly ${LIMITS.checklyPerMinute}/min, Slack chat.update ${LIMITS.slackUpdatesPerMinute}/min per workspace, posts ${LIMITS.slackPostsPerSecondPerChannel}/s per channel; app budgets ${BUDGETS.checklyPerMinute} and ${BUDGETS.slackUpdatesPerMinute}\n`,
  );
  out.write(
    `field-*: a field-like account (sessions vary ±${FIELD.sessionJitter * 100} % run to run, statuses report response times of ${FIELD.responseTimeShare.min}–${FIELD.responseTimeShare.max} of a session); the others a calm one\n`,
  );
  out.write('ckl/sess: every Checkly request per session, what the targets count; sess/sess: those that start and follow sessions (trigger, completion)\n\n');
  const widths = [19, 13, 17, 17, 17, 9, 9, 8, 8, 8, 5, 7, 7];
  out.write(
    `${row(['scenario', 'ack p50/p99', 'detect p50/95/max', 'session→Slack', 'run→Slack', 'ckl/sess', 'sess/sess', 'ckl/min', 'upd/run', 'upd/min', '429s', 'RSS MB', 'wall s'], widths)}\n`,
  );
  const rows: ScenarioResult[] = [];
  for (const r of results) {
    rows.push(r);
    if (r.again) {
      const none = { n: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN };
      rows.push({
        ...r,
        name: `${r.name} again`,
        ackMs: none,
        detectedMs: r.again.detectedMs,
        sessionShownMs: none,
        runShownMs: r.again.runShownMs,
        checkly: { ...r.checkly, perSession: r.again.perSession, sessionPerSession: r.again.sessionPerSession },
      });
    }
  }
  for (const r of rows) {
    out.write(
      `${row(
        [
          r.name,
          `${r.ackMs.p50}/${r.ackMs.p99} ms`,
          `${sec(r.detectedMs.p50)}/${sec(r.detectedMs.p95)}/${sec(r.detectedMs.max)} s`,
          `${sec(r.sessionShownMs.p50)}/${sec(r.sessionShownMs.p95)}/${sec(r.sessionShownMs.max)} s`,
          `${sec(r.runShownMs.p50)}/${sec(r.runShownMs.p95)}/${sec(r.runShownMs.max)} s`,
          r.checkly.perSession,
          r.checkly.sessionPerSession,
          r.checkly.peakPerMinute,
          r.slack.updatesPerRun,
          r.slack.peakUpdatesPerMinute,
          r.checkly.status429 + r.slack.status429,
          r.peakRssMb,
          r.wallSeconds,
        ],
        widths,
      )}\n`,
    );
  }
  out.write('\ntargets:\n');
  for (const t of checks) out.write(`  ${t.ok ? 'PASS' : 'FAIL'}  ${t.what}: ${t.value}\n`);
  for (const r of results) for (const p of r.problems) out.write(`  ${r.name}: ${p}\n`);
  out.write(`\nall scenarios in ${Math.round(wallSeconds)} s\n`);
}

/** Requests by endpoint, the most first: where a round's requests went. */
function operations(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
}

/**
 * Every Checkly request per session had no session needed a second poll: one poll a session, the rest
 * (trigger, statuses, error lines, screenshots) as counted. What ±30 % sessions add above it are the
 * second polls of sessions that outlive their first one (a poll waits 30 s at most).
 */
function floorWithoutSecondPolls(round: { detectedMs: { n: number }; byOperation: Record<string, number> }): string {
  const sessions = round.detectedMs.n;
  const requests = Object.values(round.byOperation).reduce((a, b) => a + b, 0);
  const secondPolls = Math.max(0, (round.byOperation.completion ?? 0) - sessions);
  return sessions > 0 ? `${((requests - secondPolls) / sessions).toFixed(2)} (${secondPolls} second polls above it)` : '-';
}

function ratio(slow: number, fast: number): string {
  return fast > 0 ? (slow / fast).toFixed(1) : slow > 0 ? '∞' : '-';
}

function sec(ms: number): string {
  return Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '-';
}

async function main(): Promise<void> {
  const started = Date.now();
  const [first, ...rest] = SCENARIOS;
  if (!first) throw new Error('no scenarios');
  let releaseRest: () => void = () => undefined;
  const firstAcked = new Promise<void>((resolve) => {
    releaseRest = resolve;
  });
  const firstDone = start(first.name, releaseRest);
  await Promise.race([firstAcked, firstDone]);
  const all = await Promise.all([firstDone, ...rest.map((s) => start(s.name, () => undefined))]);
  const wallSeconds = (Date.now() - started) / 1000;
  const results = new Map(all.map((r) => [r.name, r]));
  const checks = targets(results);
  print(all, checks, wallSeconds);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'latest.json');
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        wallSeconds: Math.round(wallSeconds),
        setup: { durationMs: DURATION_MS, checklyLatencyMs: CHECKLY_LATENCY_MS, slackLatencyMs: SLACK_LATENCY_MS, limits: LIMITS, budgets: BUDGETS },
        targets: checks,
        scenarios: all,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`figures written to ${path.relative(process.cwd(), file)}\n`);
  if (!checks.every((t) => t.ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
