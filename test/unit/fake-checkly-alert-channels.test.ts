import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeAlertChannels } from '../fakes/checkly-alert-channels';
import { matches } from '../../src/alerts/command';
import { isSignedWith } from '../../src/alerts/connections';

const CHECK = '0bbfc00c-44df-46a7-a4d9-ba38deca8bfd';
const webhook = (config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  type: 'WEBHOOK',
  config: {
    name: 'hook',
    webhookType: 'WEBHOOK',
    url: 'http://127.0.0.1:9/alerts',
    method: 'POST',
    template: '{"n":"{{CHECK_NAME}}","t":"{{TAGS}}"}',
    webhookSecret: 's3cret',
    ...config,
  },
  ...extra,
});

describe('the fake Checkly’s alert channels, as strict as the spec', () => {
  const channels = () =>
    new FakeAlertChannels(
      () => 0,
      (id) => id === CHECK,
    );

  test('creates (201) with the spec’s defaults, reads, updates, deletes (204), and 404s what is gone', () => {
    const f = channels();
    const created = f.create(webhook());
    expect(created).toMatchObject({
      status: 201,
      body: { id: 1, type: 'WEBHOOK', sendFailure: true, sendRecovery: true, sendDegraded: false, sslExpiryThreshold: 30, subscriptions: [] },
    });
    expect(f.update('1', webhook({ url: 'http://127.0.0.1:9/other' }, { sendDegraded: true }))).toMatchObject({
      status: 200,
      body: { sendDegraded: true, config: { url: 'http://127.0.0.1:9/other' } },
    });
    expect(f.read('1').status).toBe(200);
    expect(f.remove('1').status).toBe(204);
    expect([f.read('1').status, f.update('1', webhook()).status, f.remove('1').status, f.subscribe('1', { checkId: CHECK, activated: true }).status]).toEqual([
      404, 404, 404, 404,
    ]);
  });

  test.each([
    ['an unknown type', { ...webhook(), type: 'TELEGRAM' }, '"type" must be one of'],
    ['no config', { type: 'WEBHOOK' }, '"config" is required'],
    ['an unknown field', { ...webhook(), colour: 'red' }, '"colour" is not allowed'],
    ['an unknown config field', webhook({ secret: 'x' }), '"config.secret" is not allowed'],
    ['a URL that is not one', webhook({ url: 'ftp://x' }), '"config.url" must be a valid uri'],
    ['a method it does not know', webhook({ method: 'TRACE' }), '"config.method" must be one of'],
    ['a flag that is not a boolean', { ...webhook(), sendFailure: 'yes' }, '"sendFailure" must be a boolean'],
    ['an SSL threshold over 30', { ...webhook(), sslExpiryThreshold: 31 }, '"sslExpiryThreshold"'],
  ])('refuses %s with 400', (_what, body, message) => {
    expect(channels().create(body)).toMatchObject({ status: 400, body: { message: expect.stringContaining(message) } });
  });

  test('subscriptions: a check or a group, not both, activated required; an unknown check is 404; again changes `activated`', () => {
    const f = channels();
    f.create(webhook());
    expect(f.subscribe('1', { checkId: CHECK }).status).toBe(400);
    expect(f.subscribe('1', { checkId: CHECK, groupId: 3, activated: true }).status).toBe(400);
    expect(f.subscribe('1', { checkId: 'nope', activated: true }).status).toBe(400);
    expect(f.subscribe('1', { checkId: '11111111-2222-4333-8444-555555555555', activated: true }).status).toBe(404);
    expect(f.subscribe('1', { checkId: CHECK, activated: true })).toMatchObject({ status: 200, body: { checkId: CHECK, activated: true } });
    f.subscribe('1', { checkId: CHECK, activated: false });
    expect(f.list[0]!.subscriptions).toEqual([{ id: 1, checkId: CHECK, groupId: null, activated: false }]);
  });

  test('an alert is sent as Checkly sends it: the template rendered with Handlebars (escaped, arrays joined), signed with the secret, to subscribed channels with that kind on', async () => {
    const got: Array<{ body: string; signature: string | undefined }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ body, signature: req.headers['x-checkly-signature'] as string | undefined });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
    try {
      const f = channels();
      f.create(webhook({ url }, { sendDegraded: false }));
      const vars = { ALERT_TYPE: 'ALERT_FAILURE', CHECK_ID: CHECK, CHECK_NAME: 'a "b" <c> & d', TAGS: ['x', 'y'] };
      expect(await f.sendAlert(vars)).toEqual([]); // not subscribed yet
      f.subscribe('1', { checkId: CHECK, activated: true });
      expect((await f.sendAlert(vars)).map((d) => d.status)).toEqual([202]);
      expect(await f.sendAlert({ ...vars, ALERT_TYPE: 'ALERT_DEGRADED' })).toEqual([]); // sendDegraded off
      expect(got).toHaveLength(1);
      expect(got[0]!.body).toBe('{"n":"a &quot;b&quot; &lt;c&gt; &amp; d","t":"x,y"}');
      expect(got[0]!.signature).toBe(createHmac('sha256', 's3cret').update(got[0]!.body).digest('hex'));
      expect(isSignedWith(Buffer.from(got[0]!.body), got[0]!.signature!, 's3cret')).toBe(true);
      expect(isSignedWith(Buffer.from(`${got[0]!.body} `), got[0]!.signature!, 's3cret')).toBe(false);
      expect(isSignedWith(Buffer.from(got[0]!.body), 'zz', 's3cret')).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('which checks a tag expression subscribes', () => {
  const target = (tags: string[][], checkIds: string[] = []) => ({ tags, checkIds, all: false });
  test('(a AND b) OR c, !tag leaves out, and check IDs', () => {
    const check = (tags: string[], id = 'x') => ({ id, tags });
    expect(matches(target([['prod', 'api'], ['staging']]), check(['prod', 'api', 'web']))).toBe(true);
    expect(matches(target([['prod', 'api'], ['staging']]), check(['prod']))).toBe(false);
    expect(matches(target([['prod', 'api'], ['staging']]), check(['staging']))).toBe(true);
    expect(matches(target([['prod', '!flaky']]), check(['prod', 'flaky']))).toBe(false);
    expect(matches(target([['prod', '!flaky']]), check(['prod']))).toBe(true);
    expect(matches(target([], ['id-1']), check([], 'id-1'))).toBe(true);
    expect(matches(target([], ['id-1']), check(['prod'], 'id-2'))).toBe(false);
  });
});
