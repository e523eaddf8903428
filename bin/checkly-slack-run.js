#!/usr/bin/env node
'use strict';
/**
 * checkly-slack-run: starts a run through checkly-slack's HTTP API (product.md §8), prints the Slack
 * permalink at once, and with --wait follows the run to its end and prints a summary table.
 *
 * Plain Node 20 (global fetch, util.parseArgs), no dependency: CI images can run this one file.
 * Exit codes: 0 passed or degraded (or started, without --wait); 1 failed, cancelled, error or
 * timed out; 2 bad usage, the app unreachable, or the request refused.
 */
const { parseArgs } = require('node:util');
const { randomUUID } = require('node:crypto');

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
  --timeout <seconds>      how long --wait waits (default 900)
  --idempotency-key <key>  the same key answers the same run (default: from CI variables, e.g.
                           GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT; else a new one per invocation)
  -h, --help               this text

Exit codes: 0 passed or degraded; 1 failed, cancelled, error or timed out; 2 usage, unreachable, refused.`;

const EXIT = { ok: 0, failed: 1, usage: 2 };
/** A POST that got no answer (network, timeout, 5xx) is sent again with the same key. */
const POST_ATTEMPTS = 4;
const REQUEST_TIMEOUT_MS = 30_000;

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
  const notify = (parsed.notify ?? []).flatMap((n) => n.split(',')).map((n) => n.trim()).filter(Boolean);
  return {
    url: url.replace(/\/+$/, ''),
    token,
    body: {
      channel: parsed.channel,
      target: parsed.target,
      ...(parsed.title !== undefined ? { title: parsed.title } : {}),
      ...(parsed.link !== undefined ? { link: parsed.link } : {}),
      ...(parsed.thread !== undefined ? { threadTs: parsed.thread } : {}),
      ...(notify.length > 0 ? { notify } : {}),
    },
    wait: parsed.wait,
    timeoutMs: timeoutS * 1000,
    key: parsed['idempotency-key'] ?? ciKey(env, parsed) ?? randomUUID(),
  };
}

/**
 * One key per CI job attempt and target: a re-run of the same attempt's step answers the same run,
 * while a new attempt ("Re-run jobs") starts a new one.
 */
function ciKey(env, parsed) {
  const job =
    (env.GITHUB_RUN_ID && `github-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}-${env.GITHUB_JOB ?? ''}`) ||
    (env.CI_JOB_ID && `gitlab-${env.CI_JOB_ID}`) ||
    (env.CIRCLE_WORKFLOW_JOB_ID && `circleci-${env.CIRCLE_WORKFLOW_JOB_ID}`) ||
    (env.BUILDKITE_JOB_ID && `buildkite-${env.BUILDKITE_JOB_ID}`) ||
    undefined;
  if (!job) return undefined;
  const what = require('node:crypto').createHash('sha256').update(`${parsed.channel}\n${parsed.target}`).digest('hex').slice(0, 12);
  return `${job}-${what}`.replace(/[^\x21-\x7e]/g, '').slice(0, 200);
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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function start(options, out) {
  const init = {
    method: 'POST',
    headers: { Authorization: `Bearer ${options.token}`, 'Content-Type': 'application/json', 'Idempotency-Key': options.key },
    body: JSON.stringify(options.body),
  };
  let lastProblem = '';
  for (let attempt = 1; attempt <= POST_ATTEMPTS; attempt++) {
    if (attempt > 1) await sleep(1000 * 2 ** (attempt - 2));
    let res;
    try {
      res = await request(`${options.url}/api/v1/runs`, init);
    } catch (err) {
      lastProblem = `no answer from ${options.url} (${err.cause?.code ?? err.name ?? 'error'})`;
      out.err(`checkly-slack-run: ${lastProblem}; trying again with the same Idempotency-Key`);
      continue;
    }
    if (res.status === 202 && res.json?.id) return res.json;
    if (res.status >= 500) {
      lastProblem = `the app answered ${res.status}`;
      out.err(`checkly-slack-run: ${lastProblem}; trying again with the same Idempotency-Key`);
      continue;
    }
    const what = res.json?.error ? `${res.json.error}: ${res.json.message}` : `HTTP ${res.status}`;
    return { refused: `the app refused the run (${res.status} ${what})` };
  }
  return { unreachable: lastProblem };
}

async function follow(options, id, out) {
  const deadline = Date.now() + options.timeoutMs;
  let run;
  for (;;) {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) return { run, timedOut: true };
    const wait = Math.max(1, Math.min(60, left));
    try {
      const res = await request(`${options.url}/api/v1/runs/${encodeURIComponent(id)}?wait=${wait}`, {
        headers: { Authorization: `Bearer ${options.token}` },
        timeoutMs: (wait + 30) * 1000,
      });
      if (res.status === 200 && res.json) {
        run = res.json;
        if (!['triggering', 'running'].includes(run.status)) return { run, timedOut: false };
      } else if (res.status < 500) {
        return { run, refused: `reading the run failed (${res.status} ${res.json?.error ?? ''})` };
      }
    } catch (err) {
      out.err(`checkly-slack-run: no answer while waiting (${err.cause?.code ?? err.name}); asking again`);
      await sleep(Math.min(5000, Math.max(0, deadline - Date.now())));
    }
  }
}

function formatDuration(ms) {
  if (ms === null || ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function table(run) {
  const rows = [['CHECK', 'STATUS', 'LOCATIONS', 'DURATION', 'ERROR']];
  for (const check of run.checks ?? []) {
    rows.push([
      clip(check.name, 48),
      check.status,
      clip((check.locations ?? []).join(','), 32),
      formatDuration(check.durationMs),
      clip(check.error ?? '', 80),
    ]);
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]))).join('  ').trimEnd()).join('\n');
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
  const started = await start(options, out);
  if (started.refused || started.unreachable !== undefined) {
    out.err(`checkly-slack-run: ${started.refused ?? `giving up: ${started.unreachable}`}`);
    return EXIT.usage;
  }
  out.log(`Run ${started.id} started: ${started.message?.permalink ?? '(no permalink)'}`);
  if (!options.wait) return EXIT.ok;

  const { run, timedOut, refused } = await follow(options, started.id, out);
  if (refused) {
    out.err(`checkly-slack-run: ${refused}`);
    return EXIT.failed;
  }
  if (run) out.log(`\n${table(run)}\n`);
  if (timedOut) {
    const counts = run?.counts ? countsLine(run.counts) : '';
    out.log(`Timed out after ${options.timeoutMs / 1000} s; the run is ${run?.status ?? 'unknown'}${counts ? ` (${counts})` : ''}.`);
    return EXIT.failed;
  }
  out.log(`Run ${run.status}: ${countsLine(run.counts)}${run.error ? `. ${run.error}` : ''}`);
  return run.status === 'passed' || run.status === 'degraded' ? EXIT.ok : EXIT.failed;
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

module.exports = { main, readOptions, ciKey };
