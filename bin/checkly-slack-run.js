#!/usr/bin/env node

/**
 * checkly-slack-run: starts a run through checkly-slack's HTTP API (docs/ci-api.md), prints the Slack
 * permalink at once, and with --wait follows the run to its end and prints a summary table.
 *
 * Plain Node 20 (global fetch, util.parseArgs), no dependency: CI images can run this one file.
 * Exit codes: 0 passed or degraded (or started, without --wait); 1 failed, cancelled, error or
 * timed out; 2 bad usage, the app unreachable, or the request refused.
 *
 * An app that is restarting or overloaded (5xx, 408, 429, no answer) is asked again with backoff and
 * jitter, never sooner than a second after the last request, until --timeout: a rolling deploy of the
 * app holds a pipeline up for a while, never fails it, and is not flooded by it.
 */
const { parseArgs } = require('node:util');
const { createHash, randomUUID } = require('node:crypto');
const { appendFileSync } = require('node:fs');
const { setTimeout: sleep } = require('node:timers/promises');

const USAGE = `Usage: checkly-slack-run --url <app URL> --channel <C…> --target <target> [options]

  --url <url>              the app's address (or CHECKLY_SLACK_URL), e.g. https://checkly-slack.example.com
  --token <secret>         a secret of RUN_API_TOKENS (or CHECKLY_SLACK_TOKEN; prefer the variable)
  --channel <id>           the channel ID to post the run message in
  --target <target>        as typed after /checkly run: "prod,api", "--check <uuid>", ...
  --title <text>           what started it, e.g. "Deploy web@4f2c1a9"
  --link <url>             a link to it (the CI job)
  --thread <ts>            post the run message in this thread
  --notify <ids>           user (U…) or group (S…) IDs to mention when anything failed; comma-separated
  --wait                   follow the run to its end and exit by its result
  --timeout <seconds>      how long to keep trying and waiting, all told (default 900)
  --fail-on <which>        which failures exit 1: "any" (the default: any failed, cancelled or
                           errored run) or "new" (only failures this run brought: checks that
                           were passing before it; a run whose failures were all failing
                           already exits 0)
  --output-file <file>     append the result as name=value lines (id, permalink, status) to this
                           file: GitHub's $GITHUB_OUTPUT, a GitLab dotenv report
  --idempotency-key <key>  the same key answers the same run (default: from the CI job and step,
                           e.g. GITHUB_RUN_ID, GITHUB_JOB and GITHUB_ACTION, and the request;
                           else a new one per invocation)
  -h, --help               this text

Exit codes: 0 passed or degraded (with --fail-on new, also failed with nothing new); 1 failed,
cancelled, error or timed out; 2 usage, unreachable, refused.`;

const EXIT = { ok: 0, failed: 1, usage: 2 };
/** What --fail-on accepts. */
const FAIL_ON = ['any', 'new'];
/** What a check's `change` says of a failure that was there before the run (docs/ci-api.md). */
const OLD_FAILURES = ['still_failing', 'flaky'];
const REQUEST_TIMEOUT_MS = 30_000;
/** A request the app did not answer for good is sent again after this long at least, doubling up to the most. */
const RETRY_MS = { first: 1000, most: 15_000 };
/** A long poll the app answered at once (it is stopping) is asked again after this long, from another replica. */
const MIN_ASK_INTERVAL_MS = 1000;

class Usage extends Error {}

function readOptions(argv, env) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        channel: { type: 'string' },
        target: { type: 'string' },
        title: { type: 'string' },
        link: { type: 'string' },
        thread: { type: 'string' },
        notify: { type: 'string', multiple: true },
        wait: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        'fail-on': { type: 'string', default: 'any' },
        'output-file': { type: 'string' },
        'idempotency-key': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new Usage(err.message);
  }
  if (parsed.help) return { help: true };
  const url = parsed.url ?? env.CHECKLY_SLACK_URL;
  const token = parsed.token ?? env.CHECKLY_SLACK_TOKEN;
  if (!url) throw new Usage('--url is required (or CHECKLY_SLACK_URL)');
  if (!/^https?:\/\//.test(url)) throw new Usage('--url must be an http(s) URL');
  if (!token) throw new Usage('--token is required (or CHECKLY_SLACK_TOKEN)');
  if (!parsed.channel) throw new Usage('--channel is required');
  if (!parsed.target) throw new Usage('--target is required');
  let timeoutS = 900;
  if (parsed.timeout !== undefined) {
    timeoutS = Number(parsed.timeout);
    if (!/^\d+$/.test(parsed.timeout) || timeoutS < 1) throw new Usage('--timeout must be a whole number of seconds');
  }
  if (!FAIL_ON.includes(parsed['fail-on'])) throw new Usage(`--fail-on must be ${FAIL_ON.map((v) => `"${v}"`).join(' or ')}`);
  if (parsed['output-file'] === '') throw new Usage('--output-file must name a file');
  const notify = (parsed.notify ?? [])
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter(Boolean);
  const body = {
    channel: parsed.channel,
    target: parsed.target,
    ...(parsed.title !== undefined ? { title: parsed.title } : {}),
    ...(parsed.link !== undefined ? { link: parsed.link } : {}),
    ...(parsed.thread !== undefined ? { threadTs: parsed.thread } : {}),
    ...(notify.length > 0 ? { notify } : {}),
  };
  return {
    url: url.replace(/\/+$/, ''),
    token,
    body,
    wait: parsed.wait,
    timeoutMs: timeoutS * 1000,
    failOn: parsed['fail-on'],
    outputFile: parsed['output-file'],
    key: parsed['idempotency-key'] ?? ciKey(env, body) ?? randomUUID(),
  };
}

/**
 * What names one step of one CI job attempt, per CI: a step run again in the same attempt (the client
 * itself, or a wrapper that retries it) answers the same run, while another step, another leg of a
 * matrix or another attempt starts its own. GitHub's GITHUB_STEP_SUMMARY is a file of the step's own
 * (a new one per step and per matrix leg); GITHUB_ACTION names the step in its job.
 */
const CI_STEPS = [
  ['github', ['GITHUB_RUN_ID', 'GITHUB_RUN_ATTEMPT', 'GITHUB_JOB', 'GITHUB_ACTION', 'GITHUB_STEP_SUMMARY']],
  ['gitlab', ['CI_JOB_ID']],
  ['circleci', ['CIRCLE_WORKFLOW_JOB_ID', 'CIRCLE_NODE_INDEX']],
  ['buildkite', ['BUILDKITE_JOB_ID', 'BUILDKITE_RETRY_COUNT']],
  ['azure', ['SYSTEM_JOBID', 'SYSTEM_JOBATTEMPT', 'SYSTEM_TASKINSTANCEID']],
  ['bitbucket', ['BITBUCKET_BUILD_NUMBER', 'BITBUCKET_STEP_UUID']],
  ['jenkins', ['BUILD_TAG', 'STAGE_NAME']],
];

/**
 * The default Idempotency-Key in CI: the step (CI_STEPS) and a digest of the request, so that a retry
 * answers the same run and any other request gets a key of its own. Undefined outside a known CI.
 */
function ciKey(env, body) {
  const found = CI_STEPS.find(([, vars]) => env[vars[0]]);
  if (!found) return undefined;
  const [ci, vars] = found;
  const step = digest(vars.map((name) => `${name}=${env[name] ?? ''}`).join('\n'));
  const asked = digest(JSON.stringify(body));
  return `${ci}-${env[vars[0]]}-${step}-${asked}`.replace(/[^\x21-\x7e]/g, '').slice(0, 200);
}

function digest(text) {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * How long to wait before try `attempt` + 1: exponential from RETRY_MS.first, with jitter over the
 * upper half (clients that failed together do not come back together), never below RETRY_MS.first,
 * and never before the app's Retry-After.
 */
function retryDelayMs(attempt, retryAfterMs = 0, random = Math.random) {
  const ceiling = Math.min(RETRY_MS.most, RETRY_MS.first * 2 ** (attempt - 1));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.round(Math.max(RETRY_MS.first, jittered, retryAfterMs));
}

/** Retry-After in milliseconds (seconds or an HTTP date), or 0 when absent or unreadable. */
function retryAfterMs(header, now = Date.now()) {
  if (!header) return 0;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : 0;
}

/** An answer worth asking again for: the app restarting, overloaded, or asking to slow down. */
function isTransient(status) {
  return status >= 500 || status === 408 || status === 429;
}

async function request(url, init) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json };
}

function refusal(what, res) {
  const said = res.json?.error ? `${res.json.error}: ${res.json.message}` : `HTTP ${res.status}`;
  return `${what} (${res.status} ${said})`;
}

/**
 * Sends the run with its Idempotency-Key until the app answers for good or --timeout passes: the run
 * (202), a refusal, or, past the deadline, what went wrong last.
 */
async function start(options, out, deadline) {
  const init = {
    method: 'POST',
    headers: { Authorization: `Bearer ${options.token}`, 'Content-Type': 'application/json', 'Idempotency-Key': options.key },
    body: JSON.stringify(options.body),
  };
  let lastProblem = '';
  for (let attempt = 1; ; attempt++) {
    let waitMs;
    try {
      const res = await request(`${options.url}/api/v1/runs`, { ...init, timeoutMs: Math.min(REQUEST_TIMEOUT_MS, Math.max(1000, deadline - Date.now())) });
      if (res.status === 202 && res.json?.id) return res.json;
      if (!isTransient(res.status)) return { refused: refusal('the app refused the run', res) };
      lastProblem = res.json?.error ? `the app answered ${res.status} ${res.json.error}` : `the app answered ${res.status}`;
      waitMs = retryDelayMs(attempt, retryAfterMs(res.headers.get('retry-after')));
    } catch (err) {
      lastProblem = `no answer from ${options.url} (${err.cause?.code ?? err.name ?? 'error'})`;
      waitMs = retryDelayMs(attempt);
    }
    if (Date.now() + waitMs >= deadline) return { unreachable: lastProblem };
    out.err(`checkly-slack-run: ${lastProblem}; trying again with the same Idempotency-Key in ${(waitMs / 1000).toFixed(1)} s`);
    await sleep(waitMs);
  }
}

/**
 * Long polls the run until it is over or --timeout passes. An app that answers at once without the end
 * (a replica stopping answers its waiting requests) is asked again a second later at the soonest; one
 * that fails is asked again with backoff.
 */
async function follow(options, id, out, deadline) {
  let run;
  let failures = 0;
  for (;;) {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) return { run, timedOut: true };
    const wait = Math.max(1, Math.min(60, left));
    const askedAt = Date.now();
    let waitMs;
    try {
      const res = await request(`${options.url}/api/v1/runs/${encodeURIComponent(id)}?wait=${wait}`, {
        headers: { Authorization: `Bearer ${options.token}` },
        timeoutMs: (wait + 30) * 1000,
      });
      if (res.status === 200 && res.json) {
        failures = 0;
        run = res.json;
        if (!['triggering', 'running'].includes(run.status)) return { run, timedOut: false };
        waitMs = MIN_ASK_INTERVAL_MS - (Date.now() - askedAt);
      } else if (!isTransient(res.status)) {
        return { run, refused: refusal('reading the run failed', res) };
      } else {
        failures += 1;
        waitMs = retryDelayMs(failures, retryAfterMs(res.headers.get('retry-after')));
        out.err(`checkly-slack-run: the app answered ${res.status} while waiting; asking again in ${(waitMs / 1000).toFixed(1)} s`);
      }
    } catch (err) {
      failures += 1;
      waitMs = retryDelayMs(failures);
      out.err(`checkly-slack-run: no answer while waiting (${err.cause?.code ?? err.name}); asking again in ${(waitMs / 1000).toFixed(1)} s`);
    }
    if (waitMs > 0) await sleep(Math.min(waitMs, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Appends `name=value` lines to the --output-file, as GitHub's $GITHUB_OUTPUT and GitLab's dotenv
 * reports read them; a line break inside a value would start another name, so it becomes a space.
 */
function writeOutputs(file, values) {
  if (!file) return;
  const lines = Object.entries(values)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => `${name}=${String(value).replace(/[\r\n]+/g, ' ')}\n`);
  appendFileSync(file, lines.join(''));
}

function formatDuration(ms) {
  if (ms === null || ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function table(run) {
  const rows = [['CHECK', 'STATUS', 'CHANGE', 'LOCATIONS', 'DURATION', 'ERROR']];
  for (const check of run.checks ?? []) {
    rows.push([
      clip(check.name, 48),
      check.status,
      changeCell(check.change),
      clip((check.locations ?? []).join(','), 32),
      formatDuration(check.durationMs),
      clip(check.error ?? '', 80),
    ]);
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows
    .map((r) =>
      r
        .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A new failure stands out: `NEW`; the others as the API says them (`still failing`, `fixed`, `flaky`). */
function changeCell(change) {
  if (change === 'new') return 'NEW';
  return typeof change === 'string' && change !== 'unchanged' ? change.replace(/_/g, ' ') : '';
}

/**
 * The exit code of a run that ended. With --fail-on new, a failed run exits 0 when every check that
 * did not pass was failing before it (still failing, or flaky); a check the app cannot tell about
 * counts as new, and a run that errored or was cancelled fails as with "any".
 */
function exitFor(run, failOn) {
  if (run.status === 'passed' || run.status === 'degraded') return EXIT.ok;
  if (failOn !== 'new' || run.status !== 'failed') return EXIT.failed;
  const brought = (run.checks ?? []).filter((c) => c.status !== 'passed' && c.status !== 'cancelled' && !OLD_FAILURES.includes(c.change));
  return brought.length > 0 ? EXIT.failed : EXIT.ok;
}

/** Why --fail-on new exits as it does on a failed run. */
function failOnNewLine(run, code) {
  if (code === EXIT.ok) return 'Nothing new failed: every failure was there before this run (--fail-on new).';
  const untold = (run.checks ?? []).some((c) => c.status !== 'passed' && c.status !== 'cancelled' && (c.change === null || c.change === undefined));
  return untold ? 'The app cannot tell whether every failure was there before this run (--fail-on new).' : 'This run brought new failures (--fail-on new).';
}

function clip(text, max) {
  const line = String(text).replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function countsLine(counts) {
  if (!counts) return '';
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

async function main(argv, env, out) {
  let options;
  try {
    options = readOptions(argv, env);
  } catch (err) {
    if (!(err instanceof Usage)) throw err;
    out.err(`checkly-slack-run: ${err.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (options.help) {
    out.log(USAGE);
    return EXIT.ok;
  }
  const deadline = Date.now() + options.timeoutMs;
  const started = await start(options, out, deadline);
  if (started.refused || started.unreachable !== undefined) {
    out.err(`checkly-slack-run: ${started.refused ?? `giving up: ${started.unreachable}`}`);
    return EXIT.usage;
  }
  out.log(`Run ${started.id} started: ${started.message?.permalink ?? '(no permalink)'}`);
  writeOutputs(options.outputFile, { id: started.id, permalink: started.message?.permalink });
  if (!options.wait) {
    writeOutputs(options.outputFile, { status: started.status });
    return EXIT.ok;
  }

  const { run, timedOut, refused } = await follow(options, started.id, out, deadline);
  writeOutputs(options.outputFile, { status: run?.status ?? started.status });
  if (refused) {
    out.err(`checkly-slack-run: ${refused}`);
    return EXIT.usage;
  }
  if (run) out.log(`\n${table(run)}\n`);
  if (timedOut) {
    const counts = run?.counts ? countsLine(run.counts) : '';
    out.log(`Timed out after ${options.timeoutMs / 1000} s; the run is ${run?.status ?? 'unknown'}${counts ? ` (${counts})` : ''}.`);
    return EXIT.failed;
  }
  out.log(`Run ${run.status}: ${countsLine(run.counts)}${run.error ? `. ${run.error}` : ''}`);
  const code = exitFor(run, options.failOn);
  if (options.failOn === 'new' && run.status === 'failed') out.log(failOnNewLine(run, code));
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, { log: (s) => console.log(s), err: (s) => console.error(s) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`checkly-slack-run: ${err?.message ?? err}`);
      process.exitCode = EXIT.usage;
    },
  );
}

module.exports = { main, readOptions, ciKey, retryDelayMs, retryAfterMs, exitFor };
