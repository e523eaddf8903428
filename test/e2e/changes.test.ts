/**
 * New or already broken (product.md section 13), end to end over real HTTP: the fake Checkly's
 * statuses say which checks were failing before each run; the message, its thread, the API and the
 * pipeline's client tell the failures the run brought from those that were there.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { API_ENV, API_TOKENS, api, apiBase } from './api-helpers';
import { messageText, startHarness, waitFor, type Harness } from './harness';
import type { FakeMessage } from '../fakes/slack';

const RUNS = '/api/v1/runs';
const CLIENT = path.join(__dirname, '../../bin/checkly-slack-run.js');
/** When the old failures began: an hour before the test. */
const SINCE = Math.floor((Date.now() - 3600_000) / 1000) * 1000;
const SINCE_TOKEN = `<!date^${SINCE / 1000}^{date_short_pretty} {time}|`;

function runClient(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLIENT, ...args], {
      env: { PATH: process.env.PATH ?? '', CHECKLY_SLACK_TOKEN: API_TOKENS.deploy.secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface CheckView {
  name: string;
  status: string;
  before: string | null;
  change: string | null;
}

describe('new or already broken, end to end', () => {
  let h: Harness;
  let base: string;

  beforeEach(async () => {
    h = await startHarness({ env: API_ENV });
    base = apiBase(h);
    // `deploy`: 2 passing before and failing now, 1 failing before and now, 1 failing before and passing now.
    h.checkly.addCheck({ name: 'Search', tags: ['deploy'], durationMs: 200, outcome: 'FAILED', errorMessage: 'expected 200, got 500' });
    h.checkly.addCheck({ name: 'Cart', tags: ['deploy'], durationMs: 200, outcome: 'FAILED', errorMessage: 'expected 200, got 502' });
    h.checkly.addCheck({ name: 'Checkout', tags: ['deploy', 'old'], durationMs: 200, outcome: 'FAILED', state: 'failing', stateSince: SINCE });
    h.checkly.addCheck({ name: 'Login API', tags: ['deploy'], durationMs: 200, state: 'failing', stateSince: SINCE });
    // `old`: its one failure was there before.
    h.checkly.addCheck({ name: 'Avatars', tags: ['old'], durationMs: 200 });
  });

  afterEach(async () => {
    await h.close();
  });

  async function finalMessage(ts: string): Promise<FakeMessage> {
    return waitFor(
      () => {
        const m = h.slack.messages.get(`C0FAKE:${ts}`);
        return m && /took/.test(messageText(m)) ? m : undefined;
      },
      10_000,
      'the final message',
    );
  }

  async function threadReplies(ts: string, atLeast = 1): Promise<FakeMessage[]> {
    return waitFor(
      () => {
        const replies = [...h.slack.messages.values()].filter((m) => m.thread_ts === ts && m.ts !== ts);
        return replies.length >= atLeast ? replies : undefined;
      },
      10_000,
      'the thread reply',
    );
  }

  test('a deploy run: the message marks only the new failures, the thread mentions once, the API gives before, change and counts.new', async () => {
    const post = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'deploy', notify: ['U0BOB'] } });
    expect(post.status).toBe(202);
    const final = await api(base, 'GET', `${RUNS}/${String(post.json.id)}?wait=30`);
    expect(final.json).toMatchObject({ status: 'failed', counts: { passed: 1, failed: 3, new: 2 } });
    const checks = final.json.checks as CheckView[];
    const byName = Object.fromEntries(checks.map((c) => [c.name, [c.before, c.change]]));
    expect(byName).toEqual({
      Search: ['passing', 'new'],
      Cart: ['passing', 'new'],
      Checkout: ['failing', 'still_failing'],
      'Login API': ['failing', 'fixed'],
    });

    const ts = (post.json.message as { ts: string }).ts;
    const text = messageText(await finalMessage(ts));
    expect(text).toContain(`❌ 3 failed: 2 new, 1 already failing since ${SINCE_TOKEN}`);
    expect(text).toContain('✅ fixed: Login API');
    // New failures first, each marked; the old one says since when.
    const rows = text.split('\n').filter((l) => /^(🆕 )?[❌✅]/.test(l) && l.includes('*<'));
    expect(rows.map((r) => r.replace(/\*<[^|]+\|([^>]+)>\*.*/, '$1'))).toEqual(['🆕 ❌ Cart', '🆕 ❌ Search', '❌ Checkout', '✅ Login API']);
    expect(text.match(/🆕/g)).toHaveLength(2);
    expect(text).toContain(`↳ failing since ${SINCE_TOKEN}`);

    // One mention in the thread, because something is new.
    const replies = await threadReplies(ts);
    await new Promise((r) => setTimeout(r, 500));
    expect(replies[0]?.text).toMatch(/^<@U0BOB> 3 of 4 checks failed: Cart, Search, Checkout/);
    expect([...h.slack.messages.values()].filter((m) => m.thread_ts === ts && (m.text ?? '').includes('<@U0BOB>'))).toHaveLength(1);
  });

  test('a run whose failures were all there before: no mention, and the message and thread say so', async () => {
    const post = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'old', notify: ['U0BOB'] } });
    const final = await api(base, 'GET', `${RUNS}/${String(post.json.id)}?wait=30`);
    expect(final.json).toMatchObject({ status: 'failed', counts: { passed: 1, failed: 1, new: 0 } });
    const ts = (post.json.message as { ts: string }).ts;
    const text = messageText(await finalMessage(ts));
    expect(text).toContain(`❌ 1 failed, none new: 1 already failing since ${SINCE_TOKEN}`);
    expect(text).not.toContain('🆕');
    const [reply] = await threadReplies(ts);
    expect(reply?.text).toBe('1 of 2 checks failed, none of them new: each was failing before this run: Checkout');
    await new Promise((r) => setTimeout(r, 500));
    expect(JSON.stringify([...h.slack.messages.values()])).not.toContain('<@U0BOB>');
  });

  test('checkly-slack-run --fail-on new: exit 1 with a new failure, 0 when every failure was there before; its table marks new rows', async () => {
    const common = ['--url', base, '--channel', 'C0FAKE', '--wait', '--timeout', '60'];
    const brought = await runClient([...common, '--target', 'deploy', '--fail-on', 'new']);
    expect(brought.code).toBe(1);
    expect(brought.stdout).toMatch(/CHECK\s+STATUS\s+CHANGE\s+LOCATIONS\s+DURATION\s+ERROR/);
    expect(brought.stdout).toMatch(/Search\s+failed\s+NEW\s/);
    expect(brought.stdout).toMatch(/Checkout\s+failed\s+still failing\s/);
    expect(brought.stdout).toMatch(/Login API\s+passed\s+fixed\s/);
    expect(brought.stdout).toContain('This run brought new failures (--fail-on new).');

    const old = await runClient([...common, '--target', 'old', '--fail-on', 'new']);
    expect(old.code).toBe(0);
    expect(old.stdout).toContain('Run failed: 1 passed, 1 failed');
    expect(old.stdout).toContain('Nothing new failed: every failure was there before this run (--fail-on new).');
    // The default still fails on any failure.
    expect((await runClient([...common, '--target', 'old'])).code).toBe(1);
  }, 90_000);

  test('flaky: a check that alternates is marked flaky at its second failure in 10', async () => {
    const check = h.checkly.addCheck({ name: 'Wobbly', tags: ['wobbly'], durationMs: 100, outcome: 'FAILED' });
    const runOnce = async (): Promise<{ change: CheckView['change']; text: string }> => {
      const post = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'wobbly' } });
      const final = await api(base, 'GET', `${RUNS}/${String(post.json.id)}?wait=30`);
      const text = messageText(await finalMessage((post.json.message as { ts: string }).ts));
      return { change: (final.json.checks as CheckView[])[0]?.change ?? null, text };
    };
    expect((await runOnce()).change).toBe('new');
    check.outcome = 'PASSED';
    expect((await runOnce()).change).toBe('unchanged');
    check.outcome = 'FAILED';
    const third = await runOnce();
    expect(third.change).toBe('flaky');
    expect(third.text).toContain('❌ 1 failed, none new: 1 flaky');
    expect(third.text).toContain('↯ flaky: 2 of its last 3 runs failed');
    expect(third.text).not.toContain('🆕');

    // Passed, but only on a retry: flaky too.
    h.checkly.addCheck({ name: 'Retried', tags: ['retried'], durationMs: 100, failedAttempts: 1 });
    const post = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'retried' } });
    const final = await api(base, 'GET', `${RUNS}/${String(post.json.id)}?wait=30`);
    expect(final.json).toMatchObject({ status: 'passed', counts: { new: 0 }, checks: [{ name: 'Retried', before: 'passing', change: 'flaky' }] });
    const text = messageText(await finalMessage((post.json.message as { ts: string }).ts));
    expect(text).toContain('↯ passed only on a retry: Retried');
    expect(text).toContain('↳ ↯ flaky: passed only on a retry');
  }, 60_000);

  test('statuses Checkly could not answer: the run says it cannot tell and marks nothing new', async () => {
    h.checkly.failNext('statuses', 500, { times: 1000 });
    const post = await api(base, 'POST', RUNS, { body: { channel: 'C0FAKE', target: 'deploy' } });
    const final = await api(base, 'GET', `${RUNS}/${String(post.json.id)}?wait=30`);
    expect(final.json).toMatchObject({ status: 'failed', counts: { new: 0 } });
    expect((final.json.checks as CheckView[]).every((c) => c.before === 'unknown' && c.change === null)).toBe(true);
    const text = messageText(await finalMessage((post.json.message as { ts: string }).ts));
    expect(text).toContain('cannot tell new failures from those already failing');
    expect(text).not.toContain('🆕');
    // The pipeline cannot tell either: a failure it cannot tell about counts as new.
    const res = await runClient(['--url', base, '--channel', 'C0FAKE', '--wait', '--timeout', '60', '--target', 'old', '--fail-on', 'new']);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('The app cannot tell whether every failure was there before this run (--fail-on new).');
  }, 90_000);
});

describe('history of a target, end to end', () => {
  let h: Harness;
  let base: string;

  beforeAll(async () => {
    h = await startHarness({ env: API_ENV });
    base = apiBase(h);
  });

  afterAll(async () => {
    await h.close();
  });

  async function run(channel: string): Promise<string> {
    const post = await api(base, 'POST', RUNS, { body: { channel, target: 'shop' } });
    expect(post.status).toBe(202);
    const final = await api(base, 'GET', `${RUNS}/${String(post.json.id)}?wait=30`);
    expect(['passed', 'failed', 'degraded']).toContain(final.json.status);
    return String(post.json.id);
  }

  test('/checkly history: the last 10 runs of the target in this channel as an exact grid; older runs and other channels are not listed; the API lists the same', async () => {
    const wobbly = h.checkly.addCheck({ name: 'Wobbly', tags: ['shop'], durationMs: 100, outcome: 'DEGRADED' });
    h.checkly.addCheck({ name: 'Steady', tags: ['shop'], durationMs: 100 });
    // An 11th run, the oldest: not among the last 10 (its 🟨 would show).
    await run('C0FAKE');
    const outcomes = ['FAILED', 'PASSED', 'FAILED', 'PASSED', 'PASSED', 'PASSED', 'FAILED', 'FAILED', 'PASSED', 'PASSED'] as const;
    const ids: string[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      wobbly.outcome = outcome;
      if (i === 5) h.checkly.addCheck({ name: 'Newcomer', tags: ['shop'], durationMs: 100 });
      ids.push(await run('C0FAKE'));
    }
    // The same target in another channel, after all of them.
    const elsewhere = await run('C0OTHER');

    const id = `history-${Math.random().toString(36).slice(2)}`;
    const ack = await h.command('history shop', { response_url: h.slack.responseUrl(id), channel_id: 'C0FAKE' });
    expect(ack.status).toBe(200);
    const post = await waitFor(() => h.slack.responsePosts.find((p) => p.id === id), 8000, 'the history');
    const body = post.body as { text: string; blocks: unknown[]; response_type: string };
    expect(body.response_type).toBe('ephemeral');
    const text = messageText(body);
    expect(text).toContain('*The last 10 runs of `shop` in this channel*, oldest on the left');
    expect(text).toContain(['⬜⬜⬜⬜⬜🟩🟩🟩🟩🟩  Newcomer', '🟩🟩🟩🟩🟩🟩🟩🟩🟩🟩  Steady', '🟥🟩🟥🟩🟩🟩🟥🟥🟩🟩  Wobbly'].join('\n'));
    expect(text).toContain('Changed most often: *Wobbly* (5 times)');
    // Each column links to its run's message, oldest first.
    const links = [...text.matchAll(/<(https:\/\/[^|>]+)\|[①-⑩]>/g)].map((m) => m[1]);
    expect(links).toHaveLength(10);
    const permalinks = await Promise.all(
      ids.map(async (runId) => ((await api(base, 'GET', `${RUNS}/${runId}`)).json.message as { permalink: string }).permalink),
    );
    expect(links).toEqual(permalinks);

    // The API: the same runs, newest first; `limit`; another channel's own list; bad input refused.
    const listed = await api(base, 'GET', `${RUNS}?channel=C0FAKE&target=shop&limit=10`);
    expect(listed.status).toBe(200);
    const runs = listed.json.runs as Array<{ id: string; checks: Array<{ name: string; status: string }> }>;
    expect(runs.map((r) => r.id)).toEqual([...ids].reverse());
    expect(runs.map((r) => r.checks.find((c) => c.name === 'Wobbly')?.status)).toEqual([...outcomes].reverse().map((o) => o.toLowerCase()));
    expect(((await api(base, 'GET', `${RUNS}?channel=C0FAKE&target=shop&limit=2`)).json.runs as Array<{ id: string }>).map((r) => r.id)).toEqual([
      ids[9],
      ids[8],
    ]);
    expect(((await api(base, 'GET', `${RUNS}?channel=C0OTHER&target=shop`)).json.runs as Array<{ id: string }>).map((r) => r.id)).toEqual([elsewhere]);
    expect((await api(base, 'GET', `${RUNS}?channel=C0FAKE&target=other`)).json).toEqual({ runs: [] });
    expect(await api(base, 'GET', `${RUNS}?channel=C0FAKE&target=shop&limit=51`)).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect(await api(base, 'GET', `${RUNS}?channel=general&target=shop`)).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect(await api(base, 'GET', `${RUNS}?channel=C0FAKE&target=shop%20--bogus`)).toMatchObject({ status: 400, json: { error: 'invalid_target' } });
    expect(await api(base, 'GET', `${RUNS}?channel=C0FAKE&target=shop`, { secret: null })).toMatchObject({ status: 401, json: { error: 'unauthorized' } });
  }, 120_000);
});
