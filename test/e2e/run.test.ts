import { assertWithinSlackLimits } from '../unit/slack-limits';
import { SECRETS, messageText, startHarness, waitFor, type Harness } from './harness';

/** The run message once it shows a final state (no running or pending rows left). */
async function finalRunMessage(h: Harness, pattern: RegExp, timeoutMs = 15_000) {
  return waitFor(() => h.runMessages().find((m) => pattern.test(messageText(m))), timeoutMs, `a run message matching ${pattern}`);
}

describe('/checkly run, end to end over HTTP', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  test('a tag run posts one message and follows every session to its final status', async () => {
    const login = h.checkly.addCheck({ name: 'Login API', tags: ['prod', 'api'], durationMs: 300 });
    const checkout = h.checkly.addCheck({
      name: 'Checkout flow',
      tags: ['prod', 'api'],
      checkType: 'BROWSER',
      locations: ['eu-west-1', 'us-east-1'],
      failingLocations: ['us-east-1'],
      durationMs: 900,
      outcome: 'FAILED',
      errorMessage: 'Timeout 30000ms exceeded waiting for "#pay"\n    at checkout.spec.ts:12',
    });
    h.checkly.addCheck({ name: 'Search', tags: ['prod'], durationMs: 300 });

    const ack = await h.command('run prod,api');
    expect(ack.status).toBe(200);
    expect(JSON.parse(ack.body)).toMatchObject({ response_type: 'ephemeral' });
    expect(ack.body).toContain('prod,api');

    const done = await finalRunMessage(h, /took/);
    const text = messageText(done);
    expect(text).toContain('Login API');
    expect(text).toContain('Checkout flow');
    expect(text).not.toContain('Search');
    expect(text).toContain('1 passed');
    expect(text).toContain('1 failed');
    expect(text).toContain('us-east-1');
    expect(text).toContain('Timeout 30000ms exceeded waiting for');
    expect(text).not.toContain('checkout.spec.ts'); // only the first error line
    assertWithinSlackLimits(done);

    // One run message, one trigger with the tag groups as typed.
    expect(h.runMessages()).toHaveLength(1);
    const triggers = h.checkly.requests.filter((r) => r.op === 'trigger');
    expect(triggers).toHaveLength(1);
    expect(triggers[0]!.body).toEqual({ target: { matchTags: [['prod', 'api']] }, refreshCache: false });
    // Both sessions were followed to the end, and the rows link to them.
    for (const check of [login, checkout]) {
      const session = h.checkly.sessions.find((s) => s.checkId === check.id)!;
      expect(text).toContain(session.id);
    }

    // The requester is told in the thread, since an edited message notifies nobody.
    const reply = await waitFor(() => [...h.slack.messages.values()].find((m) => m.thread_ts === done.ts), 5000, 'the failure reply');
    expect(reply.text).toContain('<@U0ALICE>');
    expect(reply.text).toContain('Checkout flow');
  });

  test('updates are coalesced: never two updates of one message within the interval', async () => {
    for (let i = 0; i < 8; i++) h.checkly.addCheck({ name: `Check ${i}`, tags: ['burst'], durationMs: 100 + i * 60 });
    await h.command('run burst');
    const done = await finalRunMessage(h, /8 passed/);
    const updates = h.slack.callsTo('chat.update').filter((c) => c.args.ts === done.ts);
    expect(updates.length).toBeGreaterThan(0);
    for (let i = 1; i < updates.length; i++) {
      expect(updates[i]!.at - updates[i - 1]!.at).toBeGreaterThanOrEqual(190); // SLACK_UPDATE_INTERVAL_MS=200
    }
    // The same state is never sent twice in a row.
    const bodies = updates.map((u) => JSON.stringify(u.args.blocks));
    for (let i = 1; i < bodies.length; i++) expect(bodies[i]).not.toBe(bodies[i - 1]);
  });

  test('a run that matches nothing says so and shows the expression', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'] });
    await h.command('run nonexistent-tag');
    const message = await finalRunMessage(h, /No check/i);
    const text = messageText(message);
    expect(text).toContain('nonexistent-tag');
    expect(h.checkly.sessions).toHaveLength(0);
  });

  test('a run with a key Checkly refuses tells what is wrong, without the key', async () => {
    // A wrong key stops start-up (startup-checks.test.ts); here it is revoked while the app runs.
    h.checkly.rotateKey('cu_the_key_that_replaced_it');
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'] });
    await h.command('run prod');
    const message = await finalRunMessage(h, /CHECKLY_API_KEY/);
    const text = messageText(message);
    expect(text).toContain('401');
    expect(text).not.toContain(SECRETS.checklyApiKey);
    // 401 is never retried.
    expect(h.checkly.requests.filter((r) => r.op === 'trigger')).toHaveLength(1);
    expect(h.logs.join('\n')).not.toContain(SECRETS.checklyApiKey);
  });

  test('a 429 from the trigger is retried after Retry-After, and the run goes on', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 200 });
    h.checkly.failNext('trigger', 429, { retryAfterSeconds: 1 });
    await h.command('run prod');
    await finalRunMessage(h, /1 passed/);
    const triggers = h.checkly.requests.filter((r) => r.op === 'trigger');
    expect(triggers.map((r) => r.status)).toEqual([429, 201]);
    expect(triggers[1]!.at - triggers[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  test('the "Triggering checks…" note goes once the run message is posted, after it and through its response_url', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 300 });
    const ack = await h.command('run prod', { response_url: h.slack.responseUrl('cmd-note') });
    expect(ack.body).toContain('Triggering checks');
    const deleted = await waitFor(() => h.slack.responsePosts.find((p) => p.id === 'cmd-note'), 5000, 'the note deleted');
    expect(deleted.body).toEqual({ delete_original: true });
    const [message] = h.runMessages();
    expect(message).toBeDefined();
    expect(deleted.at).toBeGreaterThanOrEqual(h.slack.callsTo('chat.postMessage')[0]!.at);
    await finalRunMessage(h, /took/);
    // Nothing else went to the requester alone.
    expect(h.slack.responsePosts.filter((p) => p.id === 'cmd-note')).toHaveLength(1);
  });

  test('where the bot cannot post, the requester is told how to invite it and nothing is triggered', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'] });
    h.slack.setChannelError('C0PRIVATE', 'channel_not_found');
    const ack = await h.command('run prod', { channel_id: 'C0PRIVATE' });
    expect(ack.status).toBe(200);
    const explanation = await waitFor(() => h.slack.responsePosts[0], 5000, 'the ephemeral explanation');
    expect(JSON.stringify(explanation.body)).toContain('/invite');
    expect(explanation.body).toMatchObject({ response_type: 'ephemeral' });
    // The audit line is written once the run was given up, before the explanation: nothing is left to trigger.
    const audit = await waitFor(
      () => h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.audit === true && l.action === 'trigger'),
      5000,
      'the audit line of the command',
    );
    expect(audit).toMatchObject({ outcome: 'unreachable', reason: 'channel_not_found', sessions: [] });
    expect(h.checkly.requests.filter((r) => r.op === 'trigger')).toHaveLength(0);
  });

  test('in an archived channel, the requester is told what Slack said and nothing is triggered', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'] });
    h.slack.setChannelError('C0OLD', 'is_archived');
    await h.command('run prod', { channel_id: 'C0OLD' });
    const explanation = await waitFor(() => h.slack.responsePosts[0], 5000, 'the ephemeral explanation');
    expect(JSON.stringify(explanation.body)).toContain('is_archived');
    expect(JSON.stringify(explanation.body)).not.toContain('Something went wrong');
    expect(h.checkly.requests.filter((r) => r.op === 'trigger')).toHaveLength(0);
  });

  test('malformed input gets an ephemeral explanation and triggers nothing', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'] });
    for (const text of ['run --frobnicate prod', 'run --check not-a-uuid', 'run "unbalanced', 'run --refresh-cache', 'run prod,,api']) {
      const ack = await h.command(text);
      expect(ack.status).toBe(200);
      const body = JSON.parse(ack.body) as { response_type: string; text: string };
      expect(body.response_type).toBe('ephemeral');
      expect(body.text.length).toBeGreaterThan(0);
    }
    // Input that does not parse is answered in the acknowledgement, the handler's last step: with
    // every answer in, these commands have nothing left to run.
    expect(h.checkly.requests).toHaveLength(0);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  test('help and an unknown subcommand answer with usage, only to the requester', async () => {
    for (const text of ['help', 'frobnicate']) {
      const body = JSON.parse((await h.command(text)).body) as { response_type: string; text: string };
      expect(body.response_type).toBe('ephemeral');
      expect(body.text).toContain('run');
    }
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  test('an unsigned or badly signed request is refused and does nothing', async () => {
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'] });
    const { postSigned, slashCommandBody } = await import('../fakes/sign');
    const body = slashCommandBody({ text: 'run prod', command: '/checkly' });
    const unsigned = await postSigned(h.eventsUrl, body, 'irrelevant', { unsigned: true });
    const forged = await postSigned(h.eventsUrl, body, 'not-the-signing-secret');
    expect(unsigned.status).toBe(401);
    expect(forged.status).toBe(401);
    // Bolt logs each refusal before it answers 401; no listener ran for either request.
    expect(h.logs.filter((l) => l.includes('Failed to parse and verify the request data'))).toHaveLength(2);
    expect(h.checkly.requests).toHaveLength(0);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  test('a check with a hostile name stays escaped: it pings nobody', async () => {
    h.checkly.addCheck({
      name: '<!channel> & <@U0BOSS> <https://evil.example|click>',
      tags: ['prod'],
      durationMs: 200,
      outcome: 'FAILED',
      errorMessage: '<!here> boom',
    });
    await h.command('run prod');
    const message = await finalRunMessage(h, /1 failed/);
    const text = messageText(message);
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;');
    for (const m of h.slack.messages.values()) {
      const all = messageText(m);
      expect(all).not.toContain('<!channel>');
      expect(all).not.toContain('<!here>');
      expect(all).not.toContain('<@U0BOSS>');
      expect(all).not.toContain('<https://evil.example');
    }
  });

  test('a run that never finishes stops being followed after the run timeout and says so', async () => {
    await h.close();
    h = await startHarness({ env: { RUN_TIMEOUT_SECONDS: '1' } });
    h.checkly.addCheck({ name: 'Slow check', tags: ['slow'], durationMs: 60_000 });
    await h.command('run slow');
    const message = await finalRunMessage(h, /Stopped following/i, 10_000);
    expect(messageText(message)).toContain('Slow check');
  });

  test('--check and --refresh-cache reach the trigger as checkId and refreshCache', async () => {
    const check = h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 200 });
    await h.command(`run --check ${check.id} --refresh-cache`);
    await finalRunMessage(h, /1 passed/);
    const trigger = h.checkly.requests.find((r) => r.op === 'trigger')!;
    expect(trigger.body).toEqual({ target: { checkId: [check.id] }, refreshCache: true });
  });
});
