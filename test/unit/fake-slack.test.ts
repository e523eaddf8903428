import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isValidSlackRequest } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { LogLevel, WebClient } from '@slack/web-api';
import { blockActionsBody, postSigned, signSlackRequest, slashCommandBody } from '../fakes/sign';
import { blocksProblems, blocksTextLength } from '../fakes/slack-blocks';
import { startFakeSlack, type FakeSlack, FAKE_BOT_ID, FAKE_BOT_USER_ID } from '../fakes/slack';

const BOT = 'xoxb-test';
const APP = 'xapp-test';

/** Posts to the fake directly, to see status codes and headers a WebClient would hide. */
async function raw(fake: FakeSlack, method: string, args: object, token = BOT) {
  const response = await fetch(`${fake.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${token}` },
    body: JSON.stringify(args),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (action_id: string, text = 'Rerun', value = 'v') => ({ type: 'button', action_id, text: { type: 'plain_text', text }, value });
const plain = (text: string) => ({ type: 'plain_text', text });
const confirm = (over: { title?: string; text?: string; confirm?: string; deny?: string }) => ({
  title: plain(over.title ?? 'Sure?'),
  text: plain(over.text ?? 'Really?'),
  confirm: plain(over.confirm ?? 'Yes'),
  deny: plain(over.deny ?? 'No'),
});

describe('fake Slack Web API', () => {
  let fake: FakeSlack;
  let client: WebClient;
  let clock: number;

  beforeEach(async () => {
    clock = 1_700_000_000_000;
    fake = await startFakeSlack({ botToken: BOT, appToken: APP, teamId: 'T1', now: () => clock });
    client = new WebClient(BOT, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  });
  afterEach(() => fake.close());

  it('serves on loopback with a trailing-slash API URL', () => {
    expect(fake.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it('answers auth.test with the team and bot', async () => {
    const result = await client.auth.test();
    expect(result).toMatchObject({ ok: true, team_id: 'T1', user_id: FAKE_BOT_USER_ID, bot_id: FAKE_BOT_ID });
    expect(fake.callsTo('auth.test')).toEqual([{ method: 'auth.test', args: {}, token: BOT, at: clock, status: 200, answeredAt: clock }]);
  });

  it('refuses a wrong token, a missing one, and the wrong kind', async () => {
    expect((await raw(fake, 'auth.test', {}, 'xoxb-wrong')).body).toEqual({ ok: false, error: 'invalid_auth' });
    expect((await raw(fake, 'auth.test', {}, '')).body).toEqual({ ok: false, error: 'not_authed' });
    expect((await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'x' }, APP)).body).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect((await raw(fake, 'apps.connections.open', {}, BOT)).body).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(fake.messages.size).toBe(0);
  });

  it("takes a JSON body's token only from the Authorization header, as Slack does; a form's may be a field", async () => {
    const inBody = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ token: BOT, channel: 'C1', text: 'hi' }),
    });
    expect(await inBody.json()).toMatchObject({ ok: false, error: 'not_authed' });
    const form = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: BOT, channel: 'C1', text: 'hi' }).toString(),
    });
    expect(await form.json()).toMatchObject({ ok: true });
    expect(fake.messages.size).toBe(1);
  });

  it('answers JSON sent without charset=utf-8 with the missing_charset warning, as Slack does', async () => {
    const answer = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${BOT}` },
      body: JSON.stringify({ channel: 'C1', text: 'hi' }),
    });
    expect(await answer.json()).toMatchObject({ ok: true, warning: 'missing_charset', response_metadata: { warnings: ['missing_charset'] } });
    expect(fake.calls[0]!.warning).toBe('missing_charset');
    expect((await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'hi' })).body.warning).toBeUndefined();
  });

  it('answers an unknown method with unknown_method', async () => {
    expect((await raw(fake, 'chat.frobnicate', {})).body).toEqual({ ok: false, error: 'unknown_method', req_method: 'chat.frobnicate' });
  });

  it('posts and updates messages, keeping every version', async () => {
    const blocks = [section('Running 2 checks'), { type: 'actions', elements: [button('cancel')] }];
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'Running', blocks });
    expect(posted.ts).toBe('1700000000.000100');
    expect(posted).toMatchObject({ ok: true, channel: 'C1', message: { text: 'Running', blocks } });
    // @slack/web-api sends blocks JSON-encoded inside a form body; the fake records them parsed.
    expect(fake.callsTo('chat.postMessage')[0]?.args).toEqual({ channel: 'C1', text: 'Running', blocks });

    clock += 1000;
    await client.chat.update({ channel: 'C1', ts: '1700000000.000100', text: 'Done', blocks: [section('All passed')] });
    clock += 1000;
    await client.chat.update({ channel: 'C1', ts: '1700000000.000100', text: 'Done again' });

    expect(fake.messages.get('C1:1700000000.000100')).toEqual({
      channel: 'C1',
      ts: '1700000000.000100',
      text: 'Done again',
      blocks: [section('All passed')],
      thread_ts: undefined,
      versions: [
        { text: 'Running', blocks, at: 1_700_000_000_000 },
        { text: 'Done', blocks: [section('All passed')], at: 1_700_000_001_000 },
        { text: 'Done again', blocks: [section('All passed')], at: 1_700_000_002_000 },
      ],
    });
  });

  it('gives unique increasing timestamps and records thread replies', async () => {
    const first = await client.chat.postMessage({ channel: 'C1', text: 'a' });
    const second = await client.chat.postMessage({ channel: 'C2', text: 'b' });
    const reply = await client.chat.postMessage({ channel: 'C1', text: 'c', thread_ts: first.ts as string });
    expect([first.ts, second.ts, reply.ts]).toEqual(['1700000000.000100', '1700000000.000200', '1700000000.000300']);
    expect(fake.messages.get(`C1:${reply.ts}`)?.thread_ts).toBe(first.ts);
  });

  it('answers chat.update on an unknown ts with message_not_found', async () => {
    expect((await raw(fake, 'chat.update', { channel: 'C1', ts: '1.2', text: 'x' })).body).toEqual({ ok: false, error: 'message_not_found' });
    expect(fake.rejections).toEqual([{ method: 'chat.update', error: 'message_not_found' }]);
  });

  it('refuses a message with neither text nor blocks', async () => {
    expect((await raw(fake, 'chat.postMessage', { channel: 'C1' })).body).toEqual({ ok: false, error: 'no_text' });
  });

  describe('block validation', () => {
    const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

    it.each<[string, unknown[], string]>([
      ['51 blocks', many(51, (i) => section(`s${i}`)), 'must be less than 51 items [json-pointer:/blocks]'],
      ['a section text of 3,001', [section('x'.repeat(3001))], 'must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
      [
        'a header of 151',
        [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
        'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
      ],
      [
        'a button text of 76',
        [{ type: 'actions', elements: [button('a', 't'.repeat(76))] }],
        'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
      ],
      [
        'a button value of 2,001',
        [{ type: 'actions', elements: [button('a', 'ok', 'v'.repeat(2001))] }],
        'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
      ],
      [
        'a duplicate action_id',
        [{ type: 'actions', elements: [button('rerun'), button('rerun')] }],
        'duplicate action_id rerun [json-pointer:/blocks/0/elements/1/action_id]',
      ],
      [
        'a duplicate block_id',
        [
          { ...section('a'), block_id: 'b' },
          { ...section('b'), block_id: 'b' },
        ],
        'duplicate block_id b [json-pointer:/blocks/1/block_id]',
      ],
      ['26 action elements', [{ type: 'actions', elements: many(26, (i) => button(`a${i}`)) }], 'must be less than 26 items [json-pointer:/blocks/0/elements]'],
      [
        '11 context elements',
        [{ type: 'context', elements: many(11, () => ({ type: 'mrkdwn', text: 'c' })) }],
        'must be less than 11 items [json-pointer:/blocks/0/elements]',
      ],
      [
        'a section field of 2,001',
        [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2001) }] }],
        'must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]',
      ],
      [
        '11 section fields',
        [{ type: 'section', fields: many(11, () => ({ type: 'mrkdwn', text: 'f' })) }],
        'must be less than 11 items [json-pointer:/blocks/0/fields]',
      ],
      ['an empty section text', [section('')], 'must be more than 0 characters [json-pointer:/blocks/0/text/text]'],
      [
        'a context text of 3,001',
        [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'c'.repeat(3001) }] }],
        'must be less than 3001 characters [json-pointer:/blocks/0/elements/0/text]',
      ],
      [
        'a button url of 3,001',
        [{ type: 'actions', elements: [{ ...button('a'), url: `https://x.example/${'u'.repeat(2983)}` }] }],
        'must be less than 3001 characters [json-pointer:/blocks/0/elements/0/url]',
      ],
      [
        'an action_id of 256',
        [{ type: 'actions', elements: [button('a'.repeat(256))] }],
        'must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]',
      ],
      ['a block_id of 256', [{ ...section('a'), block_id: 'b'.repeat(256) }], 'must be less than 256 characters [json-pointer:/blocks/0/block_id]'],
      ['a markdown header', [{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }], 'must be a plain_text object [json-pointer:/blocks/0/text]'],
      [
        'a confirm title of 101',
        [{ type: 'actions', elements: [{ ...button('a'), confirm: confirm({ title: 't'.repeat(101) }) }] }],
        'must be less than 101 characters [json-pointer:/blocks/0/elements/0/confirm/title/text]',
      ],
      [
        'a confirm text of 301',
        [{ type: 'actions', elements: [{ ...button('a'), confirm: confirm({ text: 't'.repeat(301) }) }] }],
        'must be less than 301 characters [json-pointer:/blocks/0/elements/0/confirm/text/text]',
      ],
      [
        'a confirm button of 31',
        [{ type: 'actions', elements: [{ ...button('a'), confirm: confirm({ confirm: 't'.repeat(31) }) }] }],
        'must be less than 31 characters [json-pointer:/blocks/0/elements/0/confirm/confirm/text]',
      ],
      [
        'a deny button of 31',
        [{ type: 'actions', elements: [{ ...button('a'), confirm: confirm({ deny: 't'.repeat(31) }) }] }],
        'must be less than 31 characters [json-pointer:/blocks/0/elements/0/confirm/deny/text]',
      ],
      [
        'a confirm dialog without text',
        [{ type: 'actions', elements: [{ ...button('a'), confirm: { title: { type: 'plain_text', text: 't' } } }] }],
        'must be a text object [json-pointer:/blocks/0/elements/0/confirm/text]',
      ],
      [
        'a duplicate action_id across blocks',
        [
          { ...section('a'), accessory: button('x') },
          { type: 'actions', elements: [button('x')] },
        ],
        'duplicate action_id x [json-pointer:/blocks/1/elements/0/action_id]',
      ],
    ])('refuses %s with invalid_blocks', async (_name, blocks, problem) => {
      const post = await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'fallback', blocks });
      expect(post.body).toEqual({ ok: false, error: 'invalid_blocks', errors: [problem], response_metadata: { messages: [`[ERROR] ${problem}`] } });
      const posted = await client.chat.postMessage({ channel: 'C1', text: 'ok' });
      const update = await raw(fake, 'chat.update', { channel: 'C1', ts: posted.ts, text: 'fallback', blocks });
      expect(update.body.error).toBe('invalid_blocks');
      expect(fake.rejections).toEqual([
        { method: 'chat.postMessage', error: 'invalid_blocks', problems: [problem] },
        { method: 'chat.update', error: 'invalid_blocks', problems: [problem] },
      ]);
      expect(fake.messages.get(`C1:${posted.ts}`)?.versions).toHaveLength(1);
    });

    it('refuses more than 12,000 characters of text over all blocks with msg_blocks_too_long', async () => {
      // 4 × 2,900 of section text, and 400 more spread over every other kind of text: 12,000 exactly.
      const atCap = [
        { type: 'header', text: plain('h'.repeat(100)) },
        ...many(4, (i) => ({ ...section('x'.repeat(2900)), block_id: `s${i}` })),
        { type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(100) }] },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'c'.repeat(95) }] },
        {
          type: 'actions',
          elements: [
            { ...button('a', 'b'.repeat(60)), confirm: confirm({ title: 't'.repeat(20), text: 'y'.repeat(20), confirm: 'k'.repeat(3), deny: 'n'.repeat(2) }) },
          ],
        },
      ];
      expect(blocksTextLength(atCap)).toBe(12_000);
      const ok = await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'fallback', blocks: atCap });
      expect(ok.body.ok).toBe(true);

      // One character more anywhere (here in a button's label) is refused, on post and on update.
      const overByOne = [
        ...atCap.slice(0, -1),
        {
          type: 'actions',
          elements: [
            { ...button('a', 'b'.repeat(61)), confirm: confirm({ title: 't'.repeat(20), text: 'y'.repeat(20), confirm: 'k'.repeat(3), deny: 'n'.repeat(2) }) },
          ],
        },
      ];
      expect(blocksTextLength(overByOne)).toBe(12_001);
      expect(blocksProblems(overByOne)).toEqual([]);
      const post = await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'fallback', blocks: overByOne });
      expect(post.body).toEqual({ ok: false, error: 'msg_blocks_too_long' });
      const update = await raw(fake, 'chat.update', { channel: 'C1', ts: ok.body.ts, text: 'fallback', blocks: overByOne });
      expect(update.body).toEqual({ ok: false, error: 'msg_blocks_too_long' });
      expect(fake.rejections).toEqual([
        { method: 'chat.postMessage', error: 'msg_blocks_too_long' },
        { method: 'chat.update', error: 'msg_blocks_too_long' },
      ]);
      expect(fake.messages.get(`C1:${String(ok.body.ts)}`)?.versions).toHaveLength(1);
    });

    it('counts the text of text objects only: not URLs, values, ids or the fallback', () => {
      const blocks = [
        {
          type: 'section',
          block_id: 'b'.repeat(200),
          text: { type: 'mrkdwn', text: 'abc' },
          accessory: { ...button('a'.repeat(200), 'Go', 'v'.repeat(1500)), url: `https://x.example/${'u'.repeat(900)}` },
        },
      ];
      expect(blocksTextLength(blocks)).toBe(5);
      expect(blocksTextLength([])).toBe(0);
      expect(blocksTextLength('not blocks')).toBe(0);
    });

    it('refuses blocks without a fallback text, and keeps the first 40,000 characters of one', async () => {
      expect((await raw(fake, 'chat.postMessage', { channel: 'C1', blocks: [section('a')] })).body).toEqual({ ok: false, error: 'no_text' });
      expect((await raw(fake, 'chat.postMessage', { channel: 'C1', text: '  ', blocks: [section('a')] })).body).toEqual({ ok: false, error: 'no_text' });
      const posted = await client.chat.postMessage({ channel: 'C1', text: 'ok', blocks: [section('a')] });
      expect((await raw(fake, 'chat.update', { channel: 'C1', ts: posted.ts, blocks: [section('b')] })).body).toEqual({ ok: false, error: 'no_text' });
      const long = await raw(fake, 'chat.postMessage', { channel: 'C1', text: 't'.repeat(40_001) });
      expect(fake.messages.get(`C1:${String(long.body.ts)}`)?.text).toHaveLength(40_000);
    });

    it('takes a message exactly at the limits', async () => {
      const blocks = [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
        section('x'.repeat(3000)),
        { type: 'actions', elements: many(25, (i) => button(`a${i}`, 't'.repeat(75), 'v'.repeat(2000))) },
        { type: 'context', elements: many(10, () => ({ type: 'mrkdwn', text: 'c' })) },
        ...many(46, (i) => ({ ...section(`s${i}`), block_id: `b${i}` })),
      ];
      expect(blocks).toHaveLength(50);
      const post = await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'fallback', blocks });
      expect(post.body.ok).toBe(true);
      expect(fake.rejections).toEqual([]);
    });
  });

  it('fails like Slack in a channel the bot is not in, until cleared', async () => {
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'a' });
    fake.setChannelError('C1', 'not_in_channel');
    fake.setChannelError('C2', 'channel_not_found');
    const post = await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'b' });
    expect(post).toEqual({ status: 200, retryAfter: null, body: { ok: false, error: 'not_in_channel' } });
    expect((await raw(fake, 'chat.update', { channel: 'C1', ts: posted.ts, text: 'b' })).body).toEqual({ ok: false, error: 'not_in_channel' });
    expect((await raw(fake, 'chat.postMessage', { channel: 'C2', text: 'b' })).body).toEqual({ ok: false, error: 'channel_not_found' });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'b' })).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
    fake.setChannelError('C1', undefined);
    expect((await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'b' })).body.ok).toBe(true);
    expect(fake.callsTo('chat.postMessage').map((c) => c.error)).toEqual([undefined, 'not_in_channel', 'channel_not_found', 'not_in_channel', undefined]);
  });

  it('answers as Slack does in an archived channel and where a workspace preference keeps the bot from posting', async () => {
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'a' });
    fake.setChannelError('C1', 'is_archived');
    fake.setChannelError('C2', 'restricted_action');
    expect((await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'b' })).body).toEqual({ ok: false, error: 'is_archived' });
    expect((await raw(fake, 'chat.update', { channel: 'C1', ts: posted.ts, text: 'b' })).body).toEqual({ ok: false, error: 'is_inactive' });
    expect((await raw(fake, 'chat.postEphemeral', { channel: 'C1', user: 'U1', text: 'b' })).body).toEqual({ ok: false, error: 'is_archived' });
    expect((await client.conversations.info({ channel: 'C1' })).channel).toMatchObject({ id: 'C1', is_archived: true, is_member: true });
    expect((await raw(fake, 'chat.postMessage', { channel: 'C2', text: 'b' })).body).toEqual({ ok: false, error: 'restricted_action' });
    expect((await client.conversations.info({ channel: 'C2' })).channel).toMatchObject({ id: 'C2', is_archived: false });
    expect(fake.messages.get(`C1:${posted.ts}`)?.text).toBe('a');
  });

  it('answers the other methods the app uses', async () => {
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'a' });
    expect(await client.chat.getPermalink({ channel: 'C1', message_ts: posted.ts as string })).toMatchObject({
      ok: true,
      permalink: 'https://fake.slack.com/archives/C1/p1700000000000100',
    });
    await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you', blocks: [section('only you')] });
    expect(fake.ephemerals).toEqual([{ channel: 'C1', user: 'U1', text: 'only you', blocks: [section('only you')], thread_ts: undefined, at: clock }]);
    expect(
      await client.views.open({ trigger_id: fake.views.issueTriggerId(), view: { type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks: [] } }),
    ).toMatchObject({ ok: true, view: { type: 'modal' } });
    fake.setUsergroup('S1', ['U1', 'U2']);
    expect((await client.usergroups.users.list({ usergroup: 'S1' })).users).toEqual(['U1', 'U2']);
    expect((await raw(fake, 'usergroups.users.list', { usergroup: 'S9' })).body).toEqual({ ok: false, error: 'no_such_subteam' });
    fake.setChannelError('C3', 'not_in_channel');
    expect((await client.conversations.info({ channel: 'C3' })).channel).toMatchObject({ id: 'C3', is_member: false });
    expect((await client.conversations.info({ channel: 'C1' })).channel).toMatchObject({ id: 'C1', is_member: true });
  });

  it('membership: posts land without it in a public channel (chat:write.public), not in a private one; an upload needs it, conversations.join gives it in a public channel only', async () => {
    fake.setMembership('C7', { member: false });
    fake.setMembership('G7', { member: false, private: true });
    fake.setMembership('G8', { member: true, private: true });
    // A private channel the bot is not in is one it cannot see.
    expect((await raw(fake, 'chat.postMessage', { channel: 'G7', text: 'run' })).body).toEqual({ ok: false, error: 'channel_not_found' });
    expect((await raw(fake, 'chat.postEphemeral', { channel: 'G7', user: 'U1', text: 'hi' })).body).toEqual({ ok: false, error: 'channel_not_found' });
    const inside = await client.chat.postMessage({ channel: 'G8', text: 'run' });
    fake.setMembership('G8', { member: false, private: true });
    expect((await raw(fake, 'chat.update', { channel: 'G8', ts: inside.ts, text: 'later' })).body).toEqual({ ok: false, error: 'channel_not_found' });
    const upload = async (channel: string) => {
      const got = (await raw(fake, 'files.getUploadURLExternal', { filename: 'a.png', length: 3 })).body as { upload_url: string; file_id: string };
      await fetch(got.upload_url, { method: 'POST', body: 'abc' });
      return (await raw(fake, 'files.completeUploadExternal', { files: [{ id: got.file_id }], channel_id: channel })).body;
    };
    expect((await client.chat.postMessage({ channel: 'C7', text: 'run' })).ok).toBe(true);
    expect(await upload('C7')).toEqual({ ok: false, error: 'not_in_channel' });
    expect(await upload('G7')).toEqual({ ok: false, error: 'channel_not_found' });
    expect((await client.conversations.info({ channel: 'C7' })).channel).toMatchObject({ is_member: false, is_private: false });
    expect((await raw(fake, 'conversations.join', { channel: 'G7' })).body).toEqual({ ok: false, error: 'method_not_supported_for_channel_type' });
    fake.setJoinScope(false);
    expect((await raw(fake, 'conversations.join', { channel: 'C7' })).body).toMatchObject({ ok: false, error: 'missing_scope', needed: 'channels:join' });
    fake.setJoinScope(true);
    expect((await client.conversations.join({ channel: 'C7' })).channel).toMatchObject({ id: 'C7', is_member: true });
    expect(await upload('C7')).toMatchObject({ ok: true });
    expect(await upload('C1')).toMatchObject({ ok: true });
  });

  it('external upload: an upload URL on the fake, the bytes of the declared length, completion in a thread of the channel', async () => {
    const parent = await client.chat.postMessage({ channel: 'C1', text: 'run' });
    const reply = await client.chat.postMessage({ channel: 'C1', text: 'reply', thread_ts: parent.ts as string });
    const bytes = Buffer.from('fake png bytes');
    // The library's own three steps, as the app calls them.
    await client.filesUploadV2({ channel_id: 'C1', thread_ts: parent.ts as string, file: bytes, filename: 'shot.png', title: 'Shot' });
    const [upload] = [...fake.uploads.values()];
    expect(upload).toMatchObject({ filename: 'shot.png', length: bytes.length, title: 'Shot', channel: 'C1', threadTs: parent.ts });
    expect(upload!.bytes).toEqual(bytes);

    // A thread_ts that is not a thread's parent in that channel, a length that lies, a missing scope.
    const second = (await raw(fake, 'files.getUploadURLExternal', { filename: 'a.png', length: 3 })).body as { upload_url: string; file_id: string };
    expect((await fetch(second.upload_url, { method: 'POST', body: 'four' })).status).toBe(400);
    expect((await raw(fake, 'files.completeUploadExternal', { files: [{ id: second.file_id }], channel_id: 'C1' })).body).toMatchObject({
      ok: false,
      error: 'file_upload_not_completed',
    });
    expect((await fetch(second.upload_url, { method: 'POST', body: 'abc' })).status).toBe(200);
    expect((await raw(fake, 'files.completeUploadExternal', { files: [{ id: second.file_id }], channel_id: 'C1', thread_ts: reply.ts })).body).toMatchObject({
      ok: false,
      error: 'invalid_thread_ts',
    });
    expect((await raw(fake, 'files.completeUploadExternal', { files: [{ id: second.file_id }], channel_id: 'C1', thread_ts: '1.000001' })).body).toMatchObject({
      ok: false,
      error: 'invalid_thread_ts',
    });
    expect((await raw(fake, 'files.getUploadURLExternal', { filename: 'a.png' })).body).toMatchObject({ ok: false, error: 'invalid_arguments' });
    fake.setFilesScope(false);
    expect((await raw(fake, 'files.getUploadURLExternal', { filename: 'a.png', length: 3 })).body).toMatchObject({
      ok: false,
      error: 'missing_scope',
      needed: 'files:write',
    });
  });

  it('delays answers by latencyMs', async () => {
    const slow = await startFakeSlack({ botToken: BOT, latencyMs: () => 60 });
    try {
      const started = Date.now();
      expect((await raw(slow, 'auth.test', {})).body.ok).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    } finally {
      await slow.close();
    }
  });

  it('fails the next calls of a method on demand, changing nothing, then answers normally', async () => {
    fake.failNext('chat.postMessage', { error: 'internal_error' });
    fake.failNext('chat.update', { error: 'ratelimited', retryAfterSeconds: 2 });
    fake.failNext('chat.update', { status: 503 }, { times: 2 });
    expect((await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'x' })).body).toEqual({ ok: false, error: 'internal_error' });
    expect(fake.messages.size).toBe(0);
    const posted = await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'x' });
    expect(posted.body.ok).toBe(true);
    const update = { channel: 'C1', ts: posted.body.ts, text: 'y' };
    expect(await raw(fake, 'chat.update', update)).toMatchObject({ status: 429, retryAfter: '2', body: { ok: false, error: 'ratelimited' } });
    expect((await raw(fake, 'chat.update', update)).status).toBe(503);
    expect((await raw(fake, 'chat.update', update)).status).toBe(503);
    expect([...fake.messages.values()][0]!.text).toBe('x');
    expect((await raw(fake, 'chat.update', update)).body.ok).toBe(true);
    expect([...fake.messages.values()][0]!.text).toBe('y');
    expect(fake.faulted).toBe(4);
    expect(fake.rejections).toEqual([]);
  });
});

describe('fake Slack rate limits', () => {
  let clock = 0;
  const start = (opts: object) => startFakeSlack({ botToken: BOT, now: () => clock, ...opts });

  it('does not rate-limit unless asked', async () => {
    clock = 0;
    const fake = await start({});
    try {
      for (let i = 0; i < 30; i++) expect((await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'x' })).status).toBe(200);
      expect(fake.rateLimited).toBe(0);
    } finally {
      await fake.close();
    }
  });

  it('answers chat.update beyond updatesPerMinute in a sliding 60 s window with 429 and Retry-After', async () => {
    clock = 1_000_000;
    const fake = await start({ updatesPerMinute: 3 });
    try {
      const { ts } = (await raw(fake, 'chat.postMessage', { channel: 'C1', text: 'x' })).body as { ts: string };
      const update = (channel = 'C1') => raw(fake, 'chat.update', { channel, ts, text: 'y' });
      for (const step of [0, 10_000, 10_000]) {
        clock += step;
        expect((await update()).status).toBe(200);
      }
      clock += 5_000; // 25 s after the first update: 35 s until it leaves the window
      expect(await update()).toEqual({ status: 429, retryAfter: '35', body: { ok: false, error: 'ratelimited' } });
      expect((await update('C2')).status).toBe(429); // per team, not per channel
      clock += 35_000;
      expect((await update()).status).toBe(200);
      expect((await update()).status).toBe(429);
      expect(fake.rateLimited).toBe(3);
      expect(fake.callsTo('chat.update').map((c) => c.status)).toEqual([200, 200, 200, 429, 429, 200, 429]);
      expect(fake.messages.get(`C1:${ts}`)?.versions).toHaveLength(5);
    } finally {
      await fake.close();
    }
  });

  it('allows a burst of chat.postMessage per channel, then 429', async () => {
    clock = 0;
    const fake = await start({ postsPerSecondPerChannel: 1, postBurstSeconds: 5 });
    try {
      const post = (channel: string) => raw(fake, 'chat.postMessage', { channel, text: 'x' });
      for (let i = 0; i < 5; i++) expect((await post('C1')).status).toBe(200);
      expect(await post('C1')).toEqual({ status: 429, retryAfter: '5', body: { ok: false, error: 'ratelimited' } });
      expect((await post('C2')).status).toBe(200);
      clock += 4_999;
      expect((await post('C1')).status).toBe(429);
      clock += 1;
      expect((await post('C1')).status).toBe(200);
      expect(fake.rateLimited).toBe(2);
      expect(fake.messages.size).toBe(7);
    } finally {
      await fake.close();
    }
  });

  it('makes a WebClient that rejects rate-limited calls throw', async () => {
    clock = 0;
    const fake = await start({ updatesPerMinute: 1 });
    try {
      const client = new WebClient(BOT, { slackApiUrl: fake.apiUrl, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
      const posted = await client.chat.postMessage({ channel: 'C1', text: 'x' });
      await client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'y' });
      await expect(client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'z' })).rejects.toMatchObject({
        code: 'slack_webapi_rate_limited_error',
        retryAfter: 60,
      });
    } finally {
      await fake.close();
    }
  });
});

describe('fake Slack response_url', () => {
  it('records up to 5 posts, then answers 404 used_url; expires after 30 minutes', async () => {
    let clock = 0;
    const fake = await startFakeSlack({ now: () => clock });
    try {
      const url = fake.responseUrl('cmd-1');
      expect(url).toBe(`${fake.apiUrl.replace(/api\/$/, '')}response/cmd-1`);
      const post = async (target: string, body: object) => {
        const response = await fetch(target, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        return [response.status, await response.text()];
      };
      for (let i = 0; i < 5; i++) expect(await post(url, { text: `n${i}`, response_type: 'ephemeral' })).toEqual([200, 'ok']);
      expect(await post(url, { text: 'n5' })).toEqual([404, 'used_url']);
      expect(fake.responsePosts.map((p) => p.body)).toEqual([0, 1, 2, 3, 4].map((i) => ({ text: `n${i}`, response_type: 'ephemeral' })));
      expect(fake.responsePosts[0]).toEqual({ id: 'cmd-1', body: { text: 'n0', response_type: 'ephemeral' }, at: 0 });

      const late = fake.responseUrl('cmd-2');
      clock += 30 * 60 * 1000 + 1;
      expect(await post(late, { text: 'late' })).toEqual([404, 'expired_url']);
      expect(await post(`${url}-unknown`, { text: 'x' })).toEqual([404, 'no_such_url']);
      expect(fake.responsePosts).toHaveLength(5);
    } finally {
      await fake.close();
    }
  });

  it('refuses what chat.postMessage refuses, with 400, without using up the URL', async () => {
    const fake = await startFakeSlack();
    try {
      const url = fake.responseUrl('cmd-1');
      const post = async (body: object) => {
        const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        return [response.status, await response.text()];
      };
      const big = Array.from({ length: 5 }, () => section('x'.repeat(2500)));
      expect(await post({ text: 'fallback', blocks: big })).toEqual([400, 'msg_blocks_too_long']);
      expect(await post({ text: 'fallback', blocks: [section('x'.repeat(3001))] })).toEqual([400, 'invalid_blocks']);
      expect(await post({ blocks: [section('a')] })).toEqual([400, 'no_text']);
      expect(fake.responsePosts).toEqual([]);
      expect(fake.rejections.map((r) => r.error)).toEqual(['msg_blocks_too_long', 'invalid_blocks', 'no_text']);
      for (let i = 0; i < 5; i++) expect(await post({ text: `n${i}`, blocks: [section('ok')] })).toEqual([200, 'ok']);
    } finally {
      await fake.close();
    }
  });
});

describe('fake Slack Socket Mode', () => {
  it('lets a real SocketModeClient connect, and resolves with its ack', async () => {
    const fake = await startFakeSlack({ botToken: BOT, appToken: APP });
    const client = new SocketModeClient({ appToken: APP, clientOptions: { slackApiUrl: fake.apiUrl }, logLevel: LogLevel.ERROR });
    try {
      const seen: unknown[] = [];
      client.on('slash_commands', async ({ ack, body }: { ack: (r?: object) => Promise<void>; body: unknown }) => {
        seen.push(body);
        await ack({ response_type: 'ephemeral', text: 'on it' });
      });
      client.on('interactive', async ({ ack }: { ack: () => Promise<void> }) => {
        await ack();
      });
      await client.start(); // resolves only once the hello arrived
      expect(fake.socketConnections()).toBe(1);
      expect(fake.callsTo('apps.connections.open')).toMatchObject([{ token: APP, status: 200 }]);

      const command = { command: '/checkly', text: 'run prod', team_id: 'T0FAKE' };
      await expect(fake.sendSocketEvent('slash_commands', command)).resolves.toEqual({ response_type: 'ephemeral', text: 'on it' });
      expect(seen).toEqual([command]);
      await expect(fake.sendSocketEvent('interactive', { type: 'block_actions' })).resolves.toEqual({});
    } finally {
      await client.disconnect();
      await fake.close();
    }
  });

  it('rejects when nobody is connected, or nobody acks in time', async () => {
    const fake = await startFakeSlack({ appToken: APP, ackTimeoutMs: 100 });
    const client = new SocketModeClient({ appToken: APP, clientOptions: { slackApiUrl: fake.apiUrl }, logLevel: LogLevel.ERROR });
    try {
      await expect(fake.sendSocketEvent('slash_commands', {})).rejects.toThrow('no Socket Mode connection is open');
      await client.start();
      await fake.waitForSocket(1000);
      await expect(fake.sendSocketEvent('slash_commands', {})).rejects.toThrow(/was not acked within 100 ms/);
    } finally {
      await client.disconnect();
      await fake.close();
    }
  });
});

describe('signed Slack requests', () => {
  const secret = 'shh-signing-secret';

  it('signs as Slack does, so Bolt accepts it', () => {
    const body = slashCommandBody({ text: 'run prod' });
    const ts = 1_700_000_000;
    const headers = signSlackRequest(secret, body, ts);
    expect(headers['X-Slack-Request-Timestamp']).toBe('1700000000');
    expect(headers['X-Slack-Signature']).toMatch(/^v0=[0-9a-f]{64}$/);
    const verify = (signingSecret: string, signed: string) =>
      isValidSlackRequest({
        signingSecret,
        body: signed,
        headers: { 'x-slack-signature': headers['X-Slack-Signature'] as string, 'x-slack-request-timestamp': ts },
        nowMilliseconds: ts * 1000,
      });
    expect(verify(secret, body)).toBe(true);
    expect(verify('other', body)).toBe(false);
    expect(verify(secret, `${body}&x=1`)).toBe(false);
  });

  it('builds slash command and interactivity bodies like Slack', () => {
    const fields = Object.fromEntries(new URLSearchParams(slashCommandBody({ text: 'run "eu west",web', channel_id: 'C9' })));
    expect(Object.keys(fields)).toEqual([
      'token',
      'team_id',
      'team_domain',
      'channel_id',
      'channel_name',
      'user_id',
      'user_name',
      'command',
      'text',
      'api_app_id',
      'response_url',
      'trigger_id',
    ]);
    expect(fields).toMatchObject({ text: 'run "eu west",web', channel_id: 'C9', command: '/checkly' });
    const payload = { type: 'block_actions', actions: [{ action_id: 'rerun', value: 'a&b=c' }] };
    const body = blockActionsBody(payload);
    expect(body.startsWith('payload=')).toBe(true);
    expect(JSON.parse(new URLSearchParams(body).get('payload') as string)).toEqual(payload);
  });

  it('posts signed, badly signed, stale and unsigned requests', async () => {
    const seen: Array<{ valid: boolean; signed: boolean; type?: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const signature = req.headers['x-slack-signature'];
        const timestamp = Number(req.headers['x-slack-request-timestamp']);
        const valid =
          typeof signature === 'string' &&
          isValidSlackRequest({ signingSecret: secret, body, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp } });
        seen.push({ valid, signed: signature !== undefined, type: req.headers['content-type'] });
        res.writeHead(valid ? 200 : 401);
        res.end(valid ? 'fine' : 'no');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    try {
      const body = slashCommandBody({ text: 'help' });
      expect(await postSigned(url, body, secret)).toEqual({ status: 200, body: 'fine' });
      expect(await postSigned(url, body, secret, { badSignature: true })).toEqual({ status: 401, body: 'no' });
      expect(await postSigned(url, body, secret, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).toEqual({ status: 401, body: 'no' });
      expect(await postSigned(url, body, secret, { unsigned: true })).toEqual({ status: 401, body: 'no' });
      expect(seen.map((s) => s.signed)).toEqual([true, true, true, false]);
      expect(seen[0]?.type).toBe('application/x-www-form-urlencoded');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
