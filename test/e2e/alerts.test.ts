/**
 * Alerts in, actions out (product.md section 12), end to end over HTTP: a channel connected with
 * `/checkly alerts on`, the fake Checkly's alert channel created and subscribed as the spec says,
 * and its alerts sent as Checkly sends them (the stored template rendered with Handlebars, signed
 * with the stored secret, posted to config.url).
 */
import type { AlertVariables, FakeAlertChannel, FakeCheck } from '../fakes/checkly';
import type { FakeMessage } from '../fakes/slack';
import { freePort } from '../helpers';
import { assertWithinSlackLimits } from '../unit/slack-limits';
import { findButton, messageText, startHarness, waitFor, type Harness, type HarnessOptions } from './harness';

const CHANNEL = 'C0FAKE';
const ADMIN = 'U0ADMIN';
let resultN = 0;

async function start(options: HarnessOptions = {}): Promise<Harness> {
  const port = await freePort();
  return startHarness({ ...options, env: { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ALERTS_ADMINS: `${ADMIN} S0ONCALL`, ...options.env } });
}

/** The command's answers on its response_url, as text. */
async function commandAnswer(h: Harness, text: string, user = ADMIN): Promise<string> {
  const res = await h.command(text, { user_id: user });
  expect(res.status).toBe(200);
  return res.body;
}

async function connect(h: Harness, expression = 'prod'): Promise<FakeAlertChannel> {
  const before = h.slack.responsePosts.length;
  await commandAnswer(h, `alerts on ${expression}`);
  await waitFor(() => h.slack.responsePosts.slice(before).find((p) => JSON.stringify(p.body).includes('now receives')), 10_000, 'the connection');
  expect(h.checkly.alertChannels.list).toHaveLength(1);
  return h.checkly.alertChannels.list[0]!;
}

function vars(check: FakeCheck, type: string, extra: Partial<AlertVariables> = {}): AlertVariables {
  resultN += 1;
  return {
    ALERT_TYPE: type,
    CHECK_ID: check.id,
    CHECK_NAME: check.name,
    CHECK_TYPE: 'API',
    CHECK_RESULT_ID: `00000000-0000-4000-8000-${String(resultN).padStart(12, '0')}`,
    RESULT_LINK: `https://app.checklyhq.com/checks/${check.id}/results/${resultN}`,
    RUN_LOCATION: 'eu-west-1',
    RESPONSE_TIME: 812,
    STARTED_AT: new Date(Date.now() - 60_000 + resultN * 10).toISOString(),
    TAGS: ['prod', 'api'],
    GROUP_NAME: 'Shop',
    CHECK_ERROR_MESSAGE: 'Expected status 200, got 500',
    API_CHECK_RESPONSE_STATUS_CODE: 500,
    ...extra,
  };
}

async function send(h: Harness, v: AlertVariables): Promise<number[]> {
  const deliveries = await h.checkly.alertChannels.sendAlert(v);
  return deliveries.map((d) => d.status ?? 0);
}

const incidentMessages = (h: Harness) => h.runMessages(CHANNEL).filter((m) => findButton(m.blocks ?? [], 'alert_rerun'));
const posts = (h: Harness) => h.slack.callsTo('chat.postMessage').length;

async function theIncident(h: Harness, pattern: RegExp): Promise<FakeMessage> {
  return waitFor(
    () => {
      const found = incidentMessages(h);
      return found.length === 1 && pattern.test(messageText(found[0]!)) ? found[0] : undefined;
    },
    10_000,
    `one incident message matching ${pattern}`,
  );
}

describe('alerts: connecting a channel', () => {
  let h: Harness;
  afterEach(() => h?.close());

  test('alerts on creates one WEBHOOK alert channel as the spec says and subscribes every matching check, and new ones later; alerts says so; alerts off deletes it', async () => {
    h = await start({ env: { CHECK_CATALOGUE_TTL_SECONDS: '1' } });
    const a = h.checkly.addCheck({ name: 'Checkout', tags: ['prod', 'api'] });
    const b = h.checkly.addCheck({ name: 'Login', tags: ['prod'] });
    h.checkly.addCheck({ name: 'Staging', tags: ['staging'] });
    const channel = await connect(h);
    expect(channel).toMatchObject({
      type: 'WEBHOOK',
      sendFailure: true,
      sendRecovery: true,
      sendDegraded: true,
      config: { url: `${h.env.PUBLIC_URL}/alerts/checkly`, method: 'POST', webhookType: 'WEBHOOK' },
    });
    expect(channel.config.webhookSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(channel.config.template).toContain('"CHECK_NAME":"{{CHECK_NAME}}"');
    expect(channel.subscriptions.map((s) => [s.checkId, s.activated]).sort()).toEqual(
      [
        [a.id, true],
        [b.id, true],
      ].sort(),
    );
    // The secret reaches neither the logs nor Slack.
    const secret = channel.config.webhookSecret as string;
    expect(h.logs.join('\n')).not.toContain(secret);
    expect(JSON.stringify(h.slack.calls)).not.toContain(secret);

    // A check created since that matches is subscribed when the catalogue is next read.
    const later = h.checkly.addCheck({ name: 'Search', tags: ['prod'] });
    await waitFor(() => channel.subscriptions.some((s) => s.checkId === later.id && s.activated), 10_000, 'the new check subscribed');
    await commandAnswer(h, 'alerts', 'U0SOMEONE');
    await waitFor(
      () => h.slack.responsePosts.find((p) => JSON.stringify(p.body).includes('receives the alerts of 3 checks matching `prod`')),
      5000,
      'the status',
    );

    await commandAnswer(h, 'alerts off');
    await waitFor(() => h.slack.responsePosts.find((p) => JSON.stringify(p.body).includes('no longer receives')), 5000, 'the disconnection');
    expect(h.checkly.alertChannels.list).toHaveLength(0);
  });

  test('a non-admin’s alerts on is refused naming ALERTS_ADMINS, and nothing is created; unset, it names the variable too', async () => {
    h = await start();
    h.checkly.addCheck({ name: 'Checkout', tags: ['prod'] });
    expect(await commandAnswer(h, 'alerts on prod', 'U0MALLORY')).toContain('ALERTS_ADMINS');
    expect(await commandAnswer(h, 'alerts off', 'U0MALLORY')).toContain('ALERTS_ADMINS');
    // A member of a user group in ALERTS_ADMINS may.
    h.slack.setUsergroup('S0ONCALL', ['U0ONCALL']);
    await commandAnswer(h, 'alerts on prod', 'U0ONCALL');
    await waitFor(() => h.checkly.alertChannels.list.length === 1, 5000, 'the channel created by the on-call member');
    await h.close();

    h = await start({ env: { ALERTS_ADMINS: '' } });
    expect(await commandAnswer(h, 'alerts on prod')).toContain('`ALERTS_ADMINS` names nobody');
    expect(h.checkly.requests.filter((r) => r.path.startsWith('/v1/alert-channels'))).toHaveLength(0);
  });

  test('without PUBLIC_URL, alerts on says so; Checkly refusing the alert channel is told, and nothing is kept', async () => {
    h = await start({ env: { PUBLIC_URL: '' } });
    h.checkly.addCheck({ name: 'Checkout', tags: ['prod'] });
    expect(await commandAnswer(h, 'alerts on prod')).toContain('`PUBLIC_URL`');
    expect(h.checkly.requests.filter((r) => r.path.startsWith('/v1/alert-channels'))).toHaveLength(0);
    await h.close();

    h = await start();
    h.checkly.addCheck({ name: 'Checkout', tags: ['prod'] });
    h.checkly.failNext('alert-channel-create', 403, { message: 'Forbidden' });
    await commandAnswer(h, 'alerts on prod');
    await waitFor(
      () => h.slack.responsePosts.find((p) => JSON.stringify(p.body).includes('Checkly did not take the alert channel')),
      10_000,
      'the refusal told',
    );
    expect(h.checkly.alertChannels.list).toHaveLength(0);
    await commandAnswer(h, 'alerts');
    await waitFor(() => h.slack.responsePosts.find((p) => JSON.stringify(p.body).includes('receives no Checkly alerts')), 5000, 'nothing connected');
  });
});

describe('alerts: a channel made by hand (the Checkly CLI)', () => {
  let h: Harness;
  afterEach(() => h?.close());

  test.each([
    ['HTTP mode, beside /slack/events', false],
    ['Socket Mode, on the server of /healthz', true],
  ])('%s: signed with ALERTS_WEBHOOK_SECRET and naming its Slack channel in the URL: taken; another secret or no channel: 401', async (_mode, socketMode) => {
    const secret = 'b'.repeat(64);
    h = await start({ socketMode, env: { ALERTS_WEBHOOK_SECRET: secret } });
    const check = h.checkly.addCheck({ name: 'Checkout', tags: ['prod'] });
    const { ALERT_TEMPLATE } = await import('../../src/alerts/payload');
    const make = (url: string, webhookSecret: string) => {
      const created = h.checkly.alertChannels.create({
        type: 'WEBHOOK',
        config: { name: 'by hand', webhookType: 'WEBHOOK', url, method: 'POST', template: ALERT_TEMPLATE, webhookSecret },
        sendFailure: true,
        sendRecovery: true,
      });
      const id = String((created.body as { id: number }).id);
      h.checkly.alertChannels.subscribe(id, { checkId: check.id, activated: true });
      return h.checkly.alertChannels.list.find((c) => String(c.id) === id)!;
    };
    const good = make(`${h.env.PUBLIC_URL}/alerts/checkly?channel=${CHANNEL}`, secret);
    const wrongSecret = make(`${h.env.PUBLIC_URL}/alerts/checkly?channel=${CHANNEL}`, 'c'.repeat(64));
    const noChannel = make(`${h.env.PUBLIC_URL}/alerts/checkly`, secret);
    const v = vars(check, 'ALERT_FAILURE');
    expect((await h.checkly.alertChannels.deliver(wrongSecret, v)).status).toBe(401);
    expect((await h.checkly.alertChannels.deliver(noChannel, v)).status).toBe(401);
    expect((await h.checkly.alertChannels.deliver(good, v)).status).toBe(202);
    await theIncident(h, /Checkout\* is failing/);
    expect(h.logs.join('\n')).not.toContain(secret);
  });
});

describe('alerts: one message per incident', () => {
  let h: Harness;
  afterEach(() => h?.close());

  test('failure, repeat, Rerun, I’m on it, Details, recovery: one message, updated, then green with a reply mentioning who was on it', async () => {
    h = await start();
    const check = h.checkly.addCheck({ name: 'Checkout API', tags: ['prod'], durationMs: 200 });
    await connect(h);

    const failure = vars(check, 'ALERT_FAILURE');
    expect(await send(h, failure)).toEqual([202]);
    let message = await theIncident(h, /🔴 \*Checkout API\* is failing/);
    expect(messageText(message)).toContain('HTTP 500 `Expected status 200, got 500`');
    expect(messageText(message)).toContain('📍 eu-west-1');
    assertWithinSlackLimits(message);
    const postsAfterFirst = posts(h);

    // Checkly repeats the delivery: nothing changes.
    const versions = message.versions.length;
    expect(await send(h, failure)).toEqual([202]);
    await new Promise((r) => setTimeout(r, 300));
    expect(posts(h)).toBe(postsAfterFirst);
    expect(message.versions.length).toBe(versions);

    // Still failing, elsewhere: the same message, updated.
    const remain = vars(check, 'ALERT_FAILURE_REMAIN', { RUN_LOCATION: 'us-east-1', CHECK_ERROR_MESSAGE: 'timeout' });
    expect(await send(h, remain)).toEqual([202]);
    message = await theIncident(h, /is failing · 2 alerts/);
    expect(messageText(message)).toContain('📍 eu-west-1, us-east-1');
    expect(messageText(message)).toContain('`timeout`');
    expect(posts(h)).toBe(postsAfterFirst);

    // Rerun: one trigger of exactly that check, its run posted in the incident's thread.
    const triggersBefore = h.checkly.requests.filter((r) => r.op === 'trigger').length;
    expect((await h.click(message, 'alert_rerun', 'U0BOB')).status).toBe(200);
    const run = await waitFor(
      () => [...h.slack.messages.values()].find((m) => m.thread_ts === message.ts && /Checkout API/.test(messageText(m)) && m.ts !== message.ts),
      10_000,
      'the run in the thread',
    );
    const triggers = h.checkly.requests.filter((r) => r.op === 'trigger').slice(triggersBefore);
    expect(triggers).toHaveLength(1);
    expect(triggers[0]!.body).toMatchObject({ target: { checkId: [check.id] } });
    await waitFor(() => /passed/i.test(messageText(h.slack.messages.get(`${CHANNEL}:${run.ts}`)!)), 10_000, 'the rerun followed to its end');

    // I'm on it: who, on the message; a second person adds their name.
    await h.click(message, 'alert_own', 'U0ALICE');
    await theIncident(h, /On it: <@U0ALICE>$/m);
    await h.click(message, 'alert_own', 'U0CAROL');
    message = await theIncident(h, /On it: <@U0ALICE>, <@U0CAROL>/);

    // Details: section 10's modal, for the alert's result.
    await h.click(message, 'alert_details', 'U0BOB');
    const modal = await waitFor(
      () => {
        const last = h.slack.views.last();
        const shown = last?.versions.at(-1);
        return shown && /Checkout API/.test(JSON.stringify(shown)) ? shown : undefined;
      },
      5000,
      'the Details modal',
    );
    // The latest alert's result, asked of Checkly (this fake has no such result: it says so).
    expect(JSON.stringify(modal)).toContain('*us-east-1* failed');
    expect(h.checkly.requests.filter((r) => r.op === 'result').map((r) => r.path)).toContain(`/v1/check-results/${check.id}/${remain.CHECK_RESULT_ID}`);

    // Recovery: green, and a thread reply mentioning both.
    expect(await send(h, vars(check, 'ALERT_RECOVERY'))).toEqual([202]);
    message = await theIncident(h, /✅ \*Checkout API\* recovered after .* · 3 alerts/);
    expect(findButton(message.blocks ?? [], 'alert_own')).toBeUndefined();
    const reply = await waitFor(
      () => [...h.slack.messages.values()].find((m) => m.thread_ts === message.ts && /recovered after/.test(messageText(m))),
      5000,
      'the recovery reply',
    );
    expect(messageText(reply)).toContain('<@U0ALICE>, <@U0CAROL>');
    expect(incidentMessages(h)).toHaveLength(1);
    expect(h.slack.rejections).toEqual([]);
  }, 40_000);

  test('a wrong signature, a missing one, a body too large or unreadable: refused (401, 413, 400), and nothing posted', async () => {
    h = await start();
    const check = h.checkly.addCheck({ name: 'Checkout', tags: ['prod'] });
    const channel = await connect(h);
    const postsBefore = posts(h);
    const v = vars(check, 'ALERT_FAILURE');
    const wrong = await h.checkly.alertChannels.deliver(channel, v, (d) => {
      d.headers['x-checkly-signature'] = 'f'.repeat(64);
    });
    const missing = await h.checkly.alertChannels.deliver(channel, v, (d) => {
      delete d.headers['x-checkly-signature'];
    });
    const resigned = await h.checkly.alertChannels.deliver(channel, v, (d) => {
      // The body changed after signing (a signature of another body).
      d.body = d.body.replace('Checkout', 'Checkout!');
    });
    expect([wrong.status, missing.status, resigned.status]).toEqual([401, 401, 401]);

    const { createHmac } = await import('node:crypto');
    const secret = channel.config.webhookSecret as string;
    const url = `${h.env.PUBLIC_URL}/alerts/checkly`;
    const signed = (body: string) => ({ 'content-type': 'application/json', 'x-checkly-signature': createHmac('sha256', secret).update(body).digest('hex') });
    const big = JSON.stringify({ pad: 'x'.repeat(70_000) });
    expect((await fetch(url, { method: 'POST', headers: signed(big), body: big })).status).toBe(413);
    expect((await fetch(url, { method: 'POST', headers: signed('{"ALERT_TYPE":"nope"}'), body: '{"ALERT_TYPE":"nope"}' })).status).toBe(400);
    expect((await fetch(url, { method: 'POST', headers: signed('not json'), body: 'not json' })).status).toBe(400);
    await new Promise((r) => setTimeout(r, 300));
    expect(posts(h)).toBe(postsBefore);
    expect(incidentMessages(h)).toHaveLength(0);
  });

  test('the same delivery twice at once, and a recovery before its failure: one message, and nothing for the late failure', async () => {
    h = await start();
    const check = h.checkly.addCheck({ name: 'Checkout', tags: ['prod'] });
    const other = h.checkly.addCheck({ name: 'Login', tags: ['prod'] });
    await connect(h);
    const v = vars(check, 'ALERT_FAILURE');
    expect((await Promise.all([send(h, v), send(h, v), send(h, v)])).flat()).toEqual([202, 202, 202]);
    await theIncident(h, /Checkout\* is failing$/m);
    await new Promise((r) => setTimeout(r, 300));
    expect(incidentMessages(h)).toHaveLength(1);

    const lateFailure = vars(other, 'ALERT_FAILURE');
    const recovery = vars(other, 'ALERT_RECOVERY');
    expect(await send(h, recovery)).toEqual([202]);
    expect(await send(h, lateFailure)).toEqual([202]);
    await new Promise((r) => setTimeout(r, 500));
    expect(incidentMessages(h).filter((m) => /Login/.test(messageText(m)))).toHaveLength(0);
  });

  test('Slack refuses the incident’s post: the delivery is still taken (202), and the sweep posts the message', async () => {
    h = await start({ env: { RUN_SWEEP_INTERVAL_MS: '500' } });
    const check = h.checkly.addCheck({ name: 'Checkout', tags: ['prod'] });
    await connect(h);
    h.slack.failNext('chat.postMessage', { error: 'internal_error' }, { times: 1 });
    expect(await send(h, vars(check, 'ALERT_FAILURE'))).toEqual([202]);
    await waitFor(() => h.slack.faulted === 1, 5000, 'the refused post');
    expect(incidentMessages(h)).toHaveLength(0);
    await theIncident(h, /Checkout\* is failing$/m);
    await new Promise((r) => setTimeout(r, 1200));
    expect(incidentMessages(h)).toHaveLength(1);
  });

  test('a check named with quotes, <, &, * and <!channel> is shown as text, and nobody is pinged', async () => {
    h = await start();
    const name = 'He said "go" <!channel> & *now* <@U0BOSS>';
    const check = h.checkly.addCheck({ name, tags: ['prod'] });
    await connect(h);
    expect(await send(h, vars(check, 'ALERT_FAILURE', { CHECK_ERROR_MESSAGE: '<!here> & "quoted"' }))).toEqual([202]);
    const message = await theIncident(h, /is failing/);
    const raw = JSON.stringify({ text: message.text, blocks: message.blocks });
    expect(raw).not.toMatch(/<!channel>|<!here>|<@U0BOSS>/);
    expect(messageText(message)).toContain('He said "go" &lt;!channel&gt; &amp; *now* &lt;@U0BOSS&gt;');
  });
});

describe('alerts: a storm', () => {
  let h: Harness;
  afterEach(() => h?.close());

  test('40 failures within seconds: at most 6 top-level messages, the roll-up counts 35 or more, no Slack refusal; 40 recoveries end them', async () => {
    // Slack's own budgets: one post a second per channel (bursts of 5), 50 updates a minute.
    h = await start({ slack: { postsPerSecondPerChannel: 1, updatesPerMinute: 50 }, env: { SLACK_MAX_UPDATES_PER_MINUTE: '50' } });
    const checks = Array.from({ length: 40 }, (_, i) => h.checkly.addCheck({ name: `Service ${i}`, tags: ['prod'] }));
    await connect(h);
    const statuses = await Promise.all(checks.map((c) => send(h, vars(c, 'ALERT_FAILURE'))));
    expect(statuses.flat()).toEqual(checks.map(() => 202));
    const rollup = await waitFor(
      () => h.runMessages(CHANNEL).find((m) => /Outage: (3[5-9]|40) checks failing/.test(messageText(m))),
      30_000,
      'the roll-up counting 35 or more',
    );
    const top = h.runMessages(CHANNEL).filter((m) => m.ts !== undefined && !/now receives/.test(messageText(m)));
    expect(top.length).toBeLessThanOrEqual(6);
    const joined = Number(/Outage: (\d+) checks failing/.exec(messageText(rollup))![1]);
    expect(joined + incidentMessages(h).length).toBe(40);
    const list = await waitFor(
      () =>
        [...h.slack.messages.values()].find((m) => m.thread_ts === rollup.ts && m.ts !== rollup.ts && (messageText(m).match(/🔴/g) ?? []).length === joined),
      30_000,
      'the list in its thread',
    );
    assertWithinSlackLimits(list);

    await Promise.all(checks.map((c) => send(h, vars(c, 'ALERT_RECOVERY'))));
    await waitFor(() => /Outage over:\* \d+ checks recovered/.test(messageText(h.slack.messages.get(`${CHANNEL}:${rollup.ts}`)!)), 60_000, 'the roll-up over');
    await waitFor(() => incidentMessages(h).every((m) => /recovered after/.test(messageText(m))), 30_000, 'every incident message green');
    expect(h.slack.rateLimited).toBe(0);
    expect(h.slack.rejections).toEqual([]);
  }, 120_000);
});
