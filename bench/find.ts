/**
 * `npm run bench:find`: finding checks in an account of 2,000 checks (20 pages of 100), with the fakes'
 * limits and latencies of `npm run bench` and the app in a process of its own. Measures how soon the
 * picker modal opens after `/checkly` (cold: the first after start; warm: from the cache), how fast
 * the type-ahead answers (block_suggestion), and how many catalogue fetches 50 commands at once cost.
 * Prints the figures and the targets, and writes them to bench/results/find.json.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeCheckly, type FakeCheckly } from '../test/fakes/checkly';
import { blockActionsBody, signSlackRequest, slashCommandBody } from '../test/fakes/sign';
import { startFakeSlack, type FakeSlack } from '../test/fakes/slack';
import { ACCOUNT_ID, SECRETS, fakeEnv } from '../test/e2e/harness';
import { spread } from './measure';
import { startHost } from './scenario';
import { BUDGETS, CHECKLY_LATENCY_MS, LIMITS, SLACK_LATENCY_MS, between, random, type Spread } from './scenarios';

const CHECKS = 2000;
const TAGS = ['prod', 'staging', 'api', 'web', 'eu', 'us', 'payments', 'search', 'auth', 'mobile', 'critical', 'smoke'];
const COLD_SAMPLES = 5;
const WARM_SAMPLES = 40;
const SUGGESTIONS = 100;
const BURST = 50;

const CONNECTIONS = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(url: string, body: string): Promise<{ status: number; ms: number; text: string }> {
  const headers = {
    'Content-Type': 'application/x-www-form-urlencoded',
    'Content-Length': Buffer.byteLength(body),
    ...signSlackRequest(SECRETS.signingSecret, body),
  };
  return new Promise((resolve, reject) => {
    const sent = performance.now();
    const req = http.request(url, { method: 'POST', headers, agent: CONNECTIONS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - sent, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function seed(checkly: FakeCheckly): void {
  const rand = random(12);
  for (let g = 0; g < 20; g += 1) checkly.addGroup({ id: 100 + g, name: `Group ${g}` });
  for (let i = 0; i < CHECKS; i += 1) {
    const tags = TAGS.filter(() => rand() < 0.25);
    checkly.addCheck({
      name: `${['Login', 'Checkout', 'Search', 'Home', 'Profile', 'Orders'][i % 6]} ${['API', 'page', 'flow'][i % 3]} ${i}`,
      tags,
      groupId: rand() < 0.5 ? 100 + (i % 20) : undefined,
      state: rand() < 0.03 ? 'failing' : rand() < 0.03 ? 'degraded' : 'passing',
    });
  }
}

interface Setup {
  slack: FakeSlack;
  checkly: FakeCheckly;
  eventsUrl: string;
  stop(): Promise<void>;
}

async function setup(name: string, slack: FakeSlack, checkly: FakeCheckly): Promise<Setup> {
  const stateDir = mkdtempSync(path.join(tmpdir(), `checkly-slack-bench-find-${name}-`));
  const host = await startHost(`find-${name}`, {
    ...fakeEnv(slack, checkly),
    CHECKLY_MAX_REQUESTS_PER_MINUTE: String(BUDGETS.checklyPerMinute),
    PORT: '0',
    LOG_LEVEL: 'warn',
    STATE_DIR: stateDir,
  });
  const eventsUrl = `http://127.0.0.1:${host.port}/slack/events`;
  // Compiled code and open connections, as on a server that has been up a while; `help` reads no catalogue.
  await Promise.all(
    Array.from({ length: 5 }, (_, i) => post(eventsUrl, slashCommandBody({ text: 'help', response_url: slack.responseUrl(`warm-${name}-${i}`) }))),
  );
  return {
    slack,
    checkly,
    eventsUrl,
    async stop() {
      await host.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** `/checkly` → the modal open (views.open answered), and → the modal showing the catalogue (count line with the total). */
async function openModal(s: Setup): Promise<{ openMs: number; filledMs: number }> {
  const before = s.slack.callsTo('views.open').length;
  const sentAt = Date.now();
  const res = await post(
    s.eventsUrl,
    slashCommandBody({ text: '', trigger_id: s.slack.views.issueTriggerId(), response_url: s.slack.responseUrl(`pick-${sentAt}-${Math.random()}`) }),
  );
  if (res.status !== 200) throw new Error(`/checkly answered ${res.status}`);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const open = s.slack.callsTo('views.open')[before];
    const view = s.slack.views.last();
    const filled = view && JSON.stringify(view.view.blocks).includes(`${CHECKS} checks`);
    if (open?.answeredAt !== undefined && open.status === 200 && filled) {
      const lastUpdate = s.slack
        .callsTo('views.update')
        .filter((c) => c.answeredAt !== undefined && c.at >= sentAt)
        .at(-1);
      const filledAt = JSON.stringify((open.args.view as { blocks?: unknown })?.blocks ?? '').includes(`${CHECKS} checks`)
        ? open.answeredAt
        : (lastUpdate?.answeredAt ?? Date.now());
      return { openMs: open.answeredAt - sentAt, filledMs: filledAt - sentAt };
    }
    if (open?.error) throw new Error(`views.open failed: ${open.error}`);
    if (Date.now() > deadline) throw new Error('the modal never showed the catalogue');
    await sleep(5);
  }
}

async function main(): Promise<void> {
  const slack = await startFakeSlack({ botToken: SECRETS.botToken, latencyMs: () => between(Math.random, SLACK_LATENCY_MS) });
  const checkly = await startFakeCheckly({
    apiKey: SECRETS.checklyApiKey,
    accountId: ACCOUNT_ID,
    rateLimitPerMinute: LIMITS.checklyPerMinute,
    latencyMs: () => between(Math.random, CHECKLY_LATENCY_MS),
  });
  seed(checkly);

  // Cold: a fresh app each time, so the first /checkly meets an empty cache.
  const cold: Array<{ openMs: number; filledMs: number }> = [];
  for (let i = 0; i < COLD_SAMPLES; i += 1) {
    const s = await setup(`cold-${i}`, slack, checkly);
    cold.push(await openModal(s));
    await s.stop();
  }

  // Warm: one app, its cache filled by the first modal.
  const s = await setup('warm', slack, checkly);
  await openModal(s);
  const warm: Array<{ openMs: number; filledMs: number }> = [];
  for (let i = 0; i < WARM_SAMPLES; i += 1) warm.push(await openModal(s));

  // Type-ahead: names and tags, a few letters each, five at a time as several people type.
  const view = s.slack.views.last()!;
  const queries = ['', 'log', 'login api', 'check', 'pro', 'prod', 'sea', 'home page 1', 'flow 19', 'orders'];
  const actions = ['picker_checks', 'picker_tags', 'picker_groups'];
  const suggestionMs: number[] = [];
  let optionProblems = 0;
  let maxOptions = 0;
  for (let i = 0; i < SUGGESTIONS; i += 5) {
    await Promise.all(
      Array.from({ length: 5 }, async (_, j) => {
        const k = i + j;
        const payload = s.slack.views.blockSuggestion(view.id, actions[k % 3]!, queries[k % queries.length]!);
        const res = await post(s.eventsUrl, blockActionsBody(payload));
        suggestionMs.push(res.ms);
        const answer = JSON.parse(res.text) as { options?: unknown[] };
        optionProblems += s.slack.views.optionsProblems(answer).length;
        maxOptions = Math.max(maxOptions, answer.options?.length ?? 0);
      }),
    );
  }
  await s.stop();

  // Fifty commands at once on a fresh app: one catalogue fetch.
  const before = checkly.requests.length;
  const b = await setup('burst', slack, checkly);
  const burstAcks = await Promise.all(
    Array.from({ length: BURST }, (_, i) => post(b.eventsUrl, slashCommandBody({ text: `checks login ${i}`, response_url: slack.responseUrl(`burst-${i}`) }))),
  );
  const deadline = Date.now() + 30_000;
  while (Array.from({ length: BURST }, (_, i) => slack.responsePosts.some((p) => p.id === `burst-${i}`)).some((x) => !x) && Date.now() < deadline) {
    await sleep(50);
  }
  const burstRequests = checkly.requests.slice(before);
  const answered = Array.from({ length: BURST }, (_, i) => slack.responsePosts.some((p) => p.id === `burst-${i}`)).filter(Boolean).length;
  await b.stop();

  const result = {
    account: `${CHECKS} checks in ${CHECKS / 100} pages, 20 groups`,
    coldOpenMs: spread(cold.map((c) => c.openMs)),
    coldFilledMs: spread(cold.map((c) => c.filledMs)),
    warmOpenMs: spread(warm.map((c) => c.openMs)),
    suggestionMs: spread(suggestionMs),
    suggestion: { count: suggestionMs.length, maxOptions, optionProblems },
    burst: {
      commands: BURST,
      acked: burstAcks.filter((a) => a.status === 200).length,
      answered,
      checkPages: burstRequests.filter((r) => r.op === 'checks').length,
      firstPages: burstRequests.filter((r) => r.op === 'checks' && r.query.page === '1').length,
      groupFetches: burstRequests.filter((r) => r.op === 'groups' && r.query.page === '1').length,
      statusFetches: burstRequests.filter((r) => r.op === 'statuses').length,
    },
    checkly429: checkly.rateLimited,
  };
  const targets = [
    { what: 'modal opens after /checkly, warm cache, p95 < 500 ms', value: `${result.warmOpenMs.p95} ms`, ok: result.warmOpenMs.p95 < 500 },
    {
      what: `modal shows the catalogue after /checkly, cold cache (${COLD_SAMPLES} fresh starts), p95 < 3 s`,
      value: `${result.coldFilledMs.p95} ms`,
      ok: result.coldFilledMs.p95 < 3000,
    },
    { what: 'block_suggestion answered, p95 < 300 ms', value: `${result.suggestionMs.p95} ms`, ok: result.suggestionMs.p95 < 300 },
    {
      what: '≤ 100 options, each within Slack’s limits',
      value: `max ${maxOptions}, ${optionProblems} problems`,
      ok: maxOptions <= 100 && optionProblems === 0,
    },
    {
      what: `one catalogue fetch for ${BURST} commands at once`,
      value: `${result.burst.firstPages} fetch (${result.burst.checkPages} pages), ${result.burst.answered}/${BURST} answered`,
      ok: result.burst.firstPages === 1 && result.burst.answered === BURST,
    },
    { what: 'no 429 from Checkly', value: String(result.checkly429), ok: result.checkly429 === 0 },
  ];

  const line = (label: string, sp: Spread) => `${label.padEnd(48)} p50 ${sp.p50} / p95 ${sp.p95} / max ${sp.max} ms`;
  process.stdout.write(
    `\nbench:find — ${result.account}; Checkly answers in ${CHECKLY_LATENCY_MS.min}–${CHECKLY_LATENCY_MS.max} ms, Slack in ${SLACK_LATENCY_MS.min}–${SLACK_LATENCY_MS.max} ms\n`,
  );
  process.stdout.write(`${line('/checkly → modal open (cold)', result.coldOpenMs)}\n`);
  process.stdout.write(`${line('/checkly → modal shows the catalogue (cold)', result.coldFilledMs)}\n`);
  process.stdout.write(`${line('/checkly → modal open with the catalogue (warm)', result.warmOpenMs)}\n`);
  process.stdout.write(`${line(`block_suggestion (${suggestionMs.length})`, result.suggestionMs)}\n`);
  process.stdout.write(
    `${BURST} × /checkly checks at once: ${result.burst.firstPages} catalogue fetch (${result.burst.checkPages} pages of checks, ${result.burst.groupFetches} of groups, ${result.burst.statusFetches} of statuses)\n\n`,
  );
  for (const t of targets) process.stdout.write(`${t.ok ? 'OK  ' : 'MISS'} ${t.what}: ${t.value}\n`);
  mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  writeFileSync(path.join(__dirname, 'results', 'find.json'), `${JSON.stringify({ ...result, targets }, null, 2)}\n`);
  await Promise.all([slack.close(), checkly.close()]);
  CONNECTIONS.destroy();
  process.exit(targets.every((t) => t.ok) ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:find failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
