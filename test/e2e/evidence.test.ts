import type { FakeMessage } from '../fakes/slack';
import { JOB_LOG_LINES, SPEC_FRAME } from '../fakes/checkly-model';
import { assertWithinSlackLimits, blocksTextLength as textLength } from '../unit/slack-limits';
import { SECRETS, blockActionsPayload, findButton, messageText, startHarness, waitFor, type Harness } from './harness';
import { sleep } from '../helpers';

/** The budget Slack's undocumented per-message text limit leaves us (docs/commands.md#slacks-limits). */
const TEXT_BUDGET = 10_000;

async function runToFinal(h: Harness, text: string, pattern: RegExp, timeoutMs = 20_000): Promise<FakeMessage> {
  const before = new Set(h.runMessages().map((m) => m.ts));
  await h.command(text);
  const ts = await waitFor(() => h.runMessages().find((m) => !before.has(m.ts))?.ts, 5000, 'the run message');
  return waitFor(
    () => {
      const m = h.slack.messages.get(`C0FAKE:${ts}`)!;
      return pattern.test(messageText(m)) && findButton(m.blocks ?? [], 'run_rerun_all') ? m : undefined;
    },
    timeoutMs,
    `the final run message matching ${pattern}`,
  );
}

function replies(h: Harness, run: FakeMessage): FakeMessage[] {
  return [...h.slack.messages.values()].filter((m) => m.thread_ts === run.ts && m.ts !== run.ts);
}

/** The thread reply, once posted (all of its messages, oldest first). */
async function threadReply(h: Harness, run: FakeMessage, what = 'the thread reply'): Promise<FakeMessage[]> {
  await waitFor(() => replies(h, run).length > 0, 25_000, what);
  // A split reply's messages come one after the other.
  await sleep(300);
  return replies(h, run);
}

/** Everything the app sent to Slack, as one string. */
function everythingSentToSlack(h: Harness): string {
  return JSON.stringify(h.slack.calls.map((c) => c.args));
}

describe('failure evidence in the thread, Details and screenshots, end to end', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  test('a failed API check: the reply shows the failed assertion, expected and actual, the response status and time, the attempts and the link', async () => {
    h.checkly.addCheck({
      name: 'Orders API',
      tags: ['api'],
      durationMs: 200,
      outcome: 'FAILED',
      failedAttempts: 2,
      locations: ['eu-west-1', 'us-east-1'],
      failingLocations: ['us-east-1'],
    });
    h.checkly.addCheck({ name: 'Health', tags: ['api'], durationMs: 150 });
    const run = await runToFinal(h, 'run api', /1 failed/);
    const [reply, ...more] = await threadReply(h, run);
    expect(more).toHaveLength(0);
    const text = messageText(reply!);
    expect(text).toContain('<@U0ALICE>');
    expect(text).toContain('failed in us-east-1');
    expect(text).toContain('Assertion failed: STATUS_CODE expected EQUALS 200, got 500');
    expect(text).toMatch(/HTTP 500 Internal Server Error in \d+(\.\d+)?m?s/);
    expect(text).toContain('`GET https://api.example.com/Orders%20API`');
    expect(text).toContain('3 attempts');
    expect(text).toMatch(/<https:\/\/app\.checklyhq\.com\/accounts\/[^|]+\/results\/[0-9a-f-]{36}\|Result in us-east-1 in Checkly>/);
    expect(findButton(reply!.blocks!, /^failure_details:0$/)).toBeDefined();
    assertWithinSlackLimits(reply);
    // Request headers and response headers never reach Slack.
    const sent = everythingSentToSlack(h);
    expect(sent).not.toContain('fake-target-api-token');
    expect(sent).not.toContain('fake-secret-cookie');
    // One result request: the row's error line's; the thread's evidence reads the same result again, kept.
    expect(h.checkly.requests.filter((r) => r.op === 'result')).toHaveLength(1);
    expect(h.checkly.requests.filter((r) => r.op === 'assets' || r.op === 'asset')).toHaveLength(0);
  });

  test('a failed browser check: its screenshot is downloaded without exposing the asset URL and uploaded once into the run thread', async () => {
    h.checkly.addCheck({
      name: 'Checkout flow',
      tags: ['web'],
      checkType: 'BROWSER',
      durationMs: 200,
      outcome: 'FAILED',
      errorMessage: 'Timeout 30000ms exceeded waiting for selector "#pay"',
    });
    const run = await runToFinal(h, 'run web', /1 failed/);
    const [reply] = await threadReply(h, run);
    expect(messageText(reply!)).toContain('Timeout 30000ms exceeded waiting for selector \\"#pay\\"'.replace(/\\"/g, '"'));

    const upload = await waitFor(() => [...h.slack.uploads.values()].find((u) => u.completedAt !== undefined), 15_000, 'the completed upload');
    expect(h.slack.uploads.size).toBe(1);
    expect(upload.channel).toBe('C0FAKE');
    expect(upload.threadTs).toBe(run.ts);
    expect(upload.bytes!.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(upload.filename).toBe('Checkout-flow-eu-west-1.png');
    expect(upload.title).toBe('Checkout flow · eu-west-1');
    expect(h.slack.callsTo('files.getUploadURLExternal')).toHaveLength(1);
    expect(h.slack.callsTo('files.completeUploadExternal')).toHaveLength(1);

    // One manifest, one download with the key, then the signed storage URL without it.
    expect(h.checkly.requests.filter((r) => r.op === 'assets')).toHaveLength(1);
    expect(h.checkly.requests.find((r) => r.op === 'assets')!.query).toEqual({ type: 'screenshot' });
    const download = h.checkly.requests.filter((r) => r.op === 'asset');
    expect(download).toHaveLength(1);
    expect(download[0]!.headers.authorization).toBe(`Bearer ${SECRETS.checklyApiKey}`);
    expect(h.checkly.storageRequests).toHaveLength(1);
    expect(h.checkly.storageRequests[0]!.headers.authorization).toBeUndefined();
    expect(h.checkly.storageRequests[0]!.headers['x-checkly-account']).toBeUndefined();
    const sent = everythingSentToSlack(h);
    expect(sent).not.toContain('/assets/');
    expect(sent).not.toContain('/storage/');
    expect(sent).not.toContain('X-Amz-Signature');
  });

  function addFailingBrowserChecks(h: Harness, n: number): void {
    for (let i = 1; i <= n; i++) {
      h.checkly.addCheck({ name: `Checkout ${i}`, tags: ['web'], checkType: 'BROWSER', durationMs: 200, outcome: 'FAILED', errorMessage: 'Timeout' });
    }
  }

  const INVITE = /Invite @Checkly to this channel to get screenshots/;

  test('a public channel the bot has not joined: the upload meets not_in_channel, the app joins, the screenshots arrive', async () => {
    h.slack.setMembership('C0FAKE', { member: false });
    addFailingBrowserChecks(h, 2);
    const run = await runToFinal(h, 'run web', /2 failed/);
    const uploads = await waitFor(
      () => {
        const done = [...h.slack.uploads.values()].filter((u) => u.completedAt !== undefined);
        return done.length === 2 ? done : undefined;
      },
      20_000,
      'both screenshots uploaded',
    );
    for (const upload of uploads) expect(upload).toMatchObject({ channel: 'C0FAKE', threadTs: run.ts });
    // The first completion was refused (not a member), the app joined once, then every upload went through.
    expect(h.slack.rejections.filter((r) => r.method === 'files.completeUploadExternal').map((r) => r.error)).toEqual(['not_in_channel']);
    const joins = h.slack.callsTo('conversations.join');
    expect(joins.map((c) => c.args.channel)).toEqual(['C0FAKE']);
    expect(h.slack.callsTo('files.completeUploadExternal')).toHaveLength(3);
    expect(replies(h, run).some((m) => INVITE.test(messageText(m)))).toBe(false);
  });

  test('a private channel the bot is in: the screenshots go straight into the thread, no join', async () => {
    h.slack.setMembership('C0FAKE', { member: true, private: true });
    addFailingBrowserChecks(h, 2);
    const run = await runToFinal(h, 'run web', /2 failed/);
    await waitFor(() => [...h.slack.uploads.values()].filter((u) => u.completedAt !== undefined).length === 2, 20_000, 'both screenshots uploaded');
    expect(h.slack.callsTo('conversations.join')).toHaveLength(0);
    expect(h.slack.rejections).toEqual([]);
    expect(replies(h, run).some((m) => INVITE.test(messageText(m)))).toBe(false);
  });

  test('a private channel the bot is not in: Slack will not take the run there, so nothing is triggered and the requester is told', async () => {
    h.slack.setMembership('C0FAKE', { member: false, private: true });
    addFailingBrowserChecks(h, 1);
    const res = await h.command('run web');
    expect(res.status).toBe(200);
    const told = await waitFor(() => h.slack.responsePosts[0], 10_000, 'the requester told');
    expect(told.body).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(told.body)).toContain('/invite');
    expect(h.slack.rejections.map((r) => `${r.method} ${r.error}`)).toEqual(['chat.postMessage channel_not_found']);
    expect(h.checkly.requests.filter((r) => r.op === 'trigger')).toHaveLength(0);
    expect([...h.slack.messages.values()].filter((m) => m.channel === 'C0FAKE')).toHaveLength(0);
  });

  test('without the channels:join scope: the log names the scope, and the thread says to invite the bot', async () => {
    h.slack.setMembership('C0FAKE', { member: false });
    h.slack.setJoinScope(false);
    addFailingBrowserChecks(h, 1);
    const run = await runToFinal(h, 'run web', /1 failed/);
    await waitFor(() => replies(h, run).find((m) => INVITE.test(messageText(m))), 20_000, 'the invite note');
    expect(h.logs.some((l) => l.includes('channels:join'))).toBe(true);
    expect([...h.slack.uploads.values()].filter((u) => u.completedAt !== undefined)).toHaveLength(0);
  });

  test('a degraded check: the reply says where it degraded and why; no screenshot for a degraded browser check', async () => {
    h.checkly.addCheck({
      name: 'Search',
      tags: ['web'],
      checkType: 'BROWSER',
      durationMs: 200,
      outcome: 'DEGRADED',
      errorMessage: 'Took 9.2 s, over the 5 s degradation limit',
    });
    const run = await runToFinal(h, 'run web', /1 degraded/);
    const [reply] = await threadReply(h, run);
    const text = messageText(reply!);
    expect(text).toContain('1 of 1 check degraded');
    expect(text).toContain('⚠️');
    expect(text).toContain('degraded in eu-west-1');
    expect(text).toContain('Took 9.2 s, over the 5 s degradation limit');
    await sleep(500);
    expect(h.slack.uploads.size).toBe(0);
    expect(h.checkly.requests.filter((r) => r.op === 'assets')).toHaveLength(0);
  });

  test('a degraded API check: its row says how long it responded, and its result is not read for a row (Checkly keeps no error for it)', async () => {
    // Ten failures fill the reply's evidence; the degraded check, listed after them, is read by nothing.
    for (let i = 1; i <= 10; i++) h.checkly.addCheck({ name: `Failing ${String(i).padStart(2, '0')}`, tags: ['api'], durationMs: 150, outcome: 'FAILED' });
    const slow = h.checkly.addCheck({ name: 'Slow refunds', tags: ['api'], durationMs: 200, outcome: 'DEGRADED', locations: ['us-east-1'] });
    const run = await runToFinal(h, 'run api', /1 degraded/);
    expect(messageText(run)).toMatch(
      /Slow refunds>\* · API · us-east-1 · [\d.]+m?s\n\s+↳ degraded in us-east-1: responded in [\d.]+m?s, over its degradation limit/,
    );
    await threadReply(h, run);
    const reads = h.checkly.requests.filter((r) => r.op === 'result').map((r) => r.path);
    expect(reads).toHaveLength(10);
    expect(reads.some((p) => p.includes(slow.id))).toBe(false);
  });

  test('Details in the thread: a loading modal within 3 s, then views.update with the whole result', async () => {
    h.checkly.addCheck({
      name: 'Orders API',
      tags: ['api'],
      durationMs: 200,
      outcome: 'FAILED',
      locations: ['eu-west-1', 'us-east-1'],
      failingLocations: ['us-east-1'],
    });
    const run = await runToFinal(h, 'run api', /1 failed/);
    const [reply] = await threadReply(h, run);
    const clickedAt = Date.now();
    const click = await h.click(reply!, /^failure_details:0$/);
    expect(click.status).toBe(200);
    const view = await waitFor(() => [...h.slack.views.views.values()][0], 5000, 'the modal');
    // Opened from the click's trigger_id, which the fake refuses after 3 s.
    const open = h.slack.callsTo('views.open')[0]!;
    expect(open.error).toBeUndefined();
    expect(open.at - clickedAt).toBeLessThan(3000);
    expect(messageText({ blocks: view.versions[0]!.blocks as unknown[] })).toContain('Loading the result from Checkly');
    await waitFor(() => view.versions.length === 2, 10_000, 'the views.update');
    const update = h.slack.callsTo('views.update')[0]!;
    process.stdout.write(`Details click: views.open ${open.at - clickedAt} ms, views.update ${update.at - clickedAt} ms after the click\n`);
    const shown = messageText({ blocks: view.versions[1]!.blocks as unknown[] });
    expect(shown).toContain('Orders API');
    // Both locations, the failing one first, each with its status and link.
    expect(shown.indexOf('*us-east-1* failed')).toBeGreaterThan(-1);
    expect(shown.indexOf('*eu-west-1* passed')).toBeGreaterThan(shown.indexOf('*us-east-1* failed'));
    expect(shown).toContain('*Request* `GET https://api.example.com/Orders%20API`');
    expect(shown).toContain('*Response* `500 Internal Server Error`');
    expect(shown).toContain('❌ `STATUS_CODE` expected `EQUALS 200` · got `500`');
    expect(shown).toContain('GET https://api.example.com/Orders%20API\nanswered 500');
    expect(shown).toMatch(/Result in Checkly/);
    expect(shown).toMatch(/<https:\/\/app\.checklyhq\.com\/accounts\/[^|]+\/checks\/[0-9a-f-]{36}\|Check in Checkly>/);
    expect(h.slack.rejections.filter((r) => r.method.startsWith('views.'))).toEqual([]);
    const sent = everythingSentToSlack(h);
    expect(sent).not.toContain('fake-target-api-token');
    expect(sent).not.toContain('fake-secret-cookie');
  });

  test("Details from the run message's menu: a browser check's errors, failing step and the last 20 log lines", async () => {
    h.checkly.addCheck({
      name: 'Checkout flow',
      tags: ['web'],
      checkType: 'BROWSER',
      durationMs: 200,
      outcome: 'FAILED',
      errorMessage: 'expect(locator).toBeVisible() failed',
    });
    const run = await runToFinal(h, 'run web', /1 failed/);
    const actionsBlock = (run.blocks as Array<Record<string, unknown>>).find((b) => b.type === 'actions')!;
    const menu = (actionsBlock.elements as Array<Record<string, unknown>>).find((e) => e.type === 'static_select')!;
    const option = (menu.options as Array<{ text: unknown; value: string }>)[0]!;
    const payload = blockActionsPayload(
      run,
      { type: 'button', action_id: 'x', text: { type: 'plain_text', text: 'x' } },
      String(actionsBlock.block_id),
      'U0BOB',
      h.slack.responseUrl('menu'),
      h.slack.views.issueTriggerId('U0BOB'),
    );
    payload.actions = [
      { type: 'static_select', action_id: 'run_details', block_id: String(actionsBlock.block_id), selected_option: option, action_ts: `${Date.now() / 1000}` },
    ] as never;
    expect((await h.action(payload)).status).toBe(200);
    const view = await waitFor(() => [...h.slack.views.views.values()].find((v) => v.versions.length === 2), 10_000, 'the updated modal');
    const shown = messageText({ blocks: view.versions[1]!.blocks as unknown[] });
    expect(shown).toContain('expect(locator).toBeVisible() failed');
    expect(shown).toContain(`*Failing step* \`at ${SPEC_FRAME}\``);
    expect(shown).toContain('*Job log* (last 20 lines)');
    // 25 lines in the log: the first five are left out, the last (the error) is there.
    expect(shown).not.toContain(`log line ${JOB_LOG_LINES - 20} of`);
    expect(shown).toContain(`log line ${JOB_LOG_LINES - 19} of`);
    expect(view.versions[1]!.private_metadata).toBe(option.value);
  });

  test('missing files:write: no screenshot, one log line saying how to fix it, the text details stay', async () => {
    h.slack.setFilesScope(false);
    h.checkly.addCheck({ name: 'Checkout flow', tags: ['web'], checkType: 'BROWSER', durationMs: 200, outcome: 'FAILED' });
    h.checkly.addCheck({ name: 'Login flow', tags: ['web'], checkType: 'BROWSER', durationMs: 200, outcome: 'FAILED' });
    const first = await runToFinal(h, 'run web', /2 failed/);
    const [reply] = await threadReply(h, first);
    expect(messageText(reply!)).toContain('toBeVisible() failed');
    await waitFor(() => h.slack.rejections.some((r) => r.error === 'missing_scope'), 15_000, 'the refused upload');
    // A second run asks again (the scope may have been added since), and does not log again.
    const second = await runToFinal(h, 'run web', /2 failed/);
    await threadReply(h, second);
    await waitFor(() => h.slack.rejections.filter((r) => r.error === 'missing_scope').length >= 2, 15_000, 'the second refusal');
    await sleep(300);
    // One refused call per run: the run's other screenshot is not tried.
    expect(h.slack.rejections.filter((r) => r.error === 'missing_scope')).toHaveLength(2);
    // (The harness logs at debug, where every Slack answer is logged too: count the warnings.)
    const warnings = h.logs.filter((l) => (JSON.parse(l) as { level: number }).level >= 40 && l.includes('missing_scope'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('add the files:write scope to the app and reinstall it');
    expect([...h.slack.uploads.values()].filter((u) => u.completedAt !== undefined)).toHaveLength(0);
  });

  test('Checkly answers 404 for a result: a clear line in the reply and in the modal', async () => {
    h.checkly.addCheck({ name: 'Orders API', tags: ['api'], durationMs: 200, outcome: 'FAILED' });
    // The row's error line, the reply's evidence and the modal's fetch.
    h.checkly.failNext('result', 404, { times: 3, message: 'Check result not found.' });
    const run = await runToFinal(h, 'run api', /1 failed/);
    const [reply] = await threadReply(h, run);
    expect(messageText(reply!)).toContain('Checkly no longer has this result (404)');
    await h.click(reply!, /^failure_details:0$/);
    const view = await waitFor(() => [...h.slack.views.views.values()].find((v) => v.versions.length === 2), 10_000, 'the updated modal');
    expect(messageText({ blocks: view.versions[1]!.blocks as unknown[] })).toContain('Checkly no longer has this result (404)');
  });

  test("secrets quoted by a check's error are scrubbed from the reply and the modal", async () => {
    const quoted = `curl -H "Authorization: Bearer ${SECRETS.checklyApiKey}" failed; token ${SECRETS.botToken}`;
    h.checkly.addCheck({ name: 'Leaky', tags: ['leak'], checkType: 'BROWSER', durationMs: 200, outcome: 'FAILED', errorMessage: quoted });
    const run = await runToFinal(h, 'run leak', /1 failed/);
    const [reply] = await threadReply(h, run);
    expect(messageText(reply!)).toContain('[REDACTED]');
    await h.click(reply!, /^failure_details:0$/);
    const view = await waitFor(() => [...h.slack.views.views.values()].find((v) => v.versions.length === 2), 10_000, 'the updated modal');
    expect(JSON.stringify(view.versions[1]!)).toContain('[REDACTED]');
    await waitFor(() => [...h.slack.uploads.values()].some((u) => u.completedAt !== undefined), 10_000, 'the upload');
    const sent = everythingSentToSlack(h);
    for (const secret of [SECRETS.checklyApiKey, SECRETS.botToken]) expect(sent).not.toContain(secret.slice(8, 24));
  });

  test('a check whose URL carries api_key and access_token: neither value reaches the thread or the Details modal (issue 20)', async () => {
    const url = 'https://api.example.com/orders?api_key=sk_live_5f3a9c&access_token=at_8d2e71&page=2';
    h.checkly.addCheck({ name: 'Orders API', tags: ['keys'], durationMs: 200, outcome: 'FAILED', url, errorMessage: `connect ETIMEDOUT calling ${url}` });
    const run = await runToFinal(h, 'run keys', /1 failed/);
    const thread = await threadReply(h, run);
    const replyText = thread.map((m) => messageText(m)).join('\n');
    // The URL is still recognisable: only the values of the two secret-looking parameters are hidden.
    expect(replyText).toContain('api_key=•••');
    await h.click(thread[0]!, /^failure_details:0$/);
    const view = await waitFor(() => [...h.slack.views.views.values()].find((v) => v.versions.length === 2), 10_000, 'the updated modal');
    const modalText = messageText({ blocks: view.versions[1]!.blocks as unknown[] });
    expect(modalText).toContain('https://api.example.com/orders?api_key=•••');
    expect(modalText).toContain('page=2');
    for (const shown of [replyText, modalText, messageText(run), everythingSentToSlack(h)]) {
      expect(shown).not.toContain('sk_live_5f3a9c');
      expect(shown).not.toContain('at_8d2e71');
    }
  });

  test('50 failures: details of the first 10, "and 40 more", every message within Slack limits, at most 10 result fetches and 3 screenshots for the thread', async () => {
    for (let i = 0; i < 50; i += 1) {
      h.checkly.addCheck({
        name: `Browser check ${String(i).padStart(2, '0')} ${'x'.repeat(60)}`,
        tags: ['many'],
        checkType: 'BROWSER',
        durationMs: 200 + i * 5,
        outcome: 'FAILED',
        errorMessage: `Error ${i}: ${'<!channel> & `ticks` '.repeat(40)}`,
      });
    }
    const run = await runToFinal(h, 'run many', /50 failed/, 30_000);
    assertWithinSlackLimits(run);
    const reply = await threadReply(h, run);
    expect(reply.length).toBeGreaterThan(1);
    for (const message of reply) {
      assertWithinSlackLimits(message);
      expect(textLength(message.blocks ?? [])).toBeLessThanOrEqual(TEXT_BUDGET);
    }
    const all = reply.map((m) => messageText(m)).join('\n');
    expect(all).toContain('…and 40 more failing checks');
    expect(reply.flatMap((m) => (m.blocks ?? []).filter((b) => (b as { accessory?: unknown }).accessory))).toHaveLength(10);
    expect(all).not.toContain('<!channel>');
    expect(reply.filter((m) => messageText(m).includes('<@U0ALICE>'))).toHaveLength(1);
    await waitFor(() => [...h.slack.uploads.values()].filter((u) => u.completedAt !== undefined).length === 3, 20_000, 'three uploads');
    await sleep(500);
    expect(h.slack.uploads.size).toBe(3);
    // 50 error lines for the rows; the thread's 10 details read those same results again, kept: no more fetches.
    expect(h.checkly.requests.filter((r) => r.op === 'result')).toHaveLength(50);
    expect(h.checkly.requests.filter((r) => r.op === 'assets')).toHaveLength(3);
    expect(h.checkly.requests.filter((r) => r.op === 'asset')).toHaveLength(3);
    expect(h.slack.rejections).toEqual([]);
  });
});
