/**
 * The run messages' own Slack client (src/slack/chat-client.ts) over real HTTP against the fake
 * Slack: what it sends, and that every way a call can fail reaches the caller exactly as it would
 * from Bolt's WebClient with `rejectRateLimitedCalls` (same error codes and fields, same retries),
 * which is what the run messages and their budgets were written against.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi } from '@slack/bolt';
import { SlackChatClient, type ChatClient } from '../../src/slack/chat-client';
import { platformError } from '../../src/slack/errors';
import { rateLimitRetryMs } from '../../src/slack/run-messages';
import { startFakeSlack, type FakeSlack, type SlackFault } from '../fakes/slack';

const BOT = 'xoxb-chat-client-test';
const RETRIES = { retries: 2, minTimeout: 5, maxTimeout: 10, factor: 1 };
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

let slack: FakeSlack;
let chat: SlackChatClient;
let reported: Array<[string, string | undefined]>;

beforeEach(async () => {
  slack = await startFakeSlack({ botToken: BOT });
  reported = [];
  chat = new SlackChatClient({ token: BOT, apiUrl: slack.apiUrl, retries: RETRIES, onCall: (method, error) => reported.push([method, error]) });
});

afterEach(async () => {
  chat.close();
  await slack.close();
});

/** What a call's failure looks like to the run messages. */
async function failureOf(client: ChatClient): Promise<Record<string, unknown>> {
  try {
    await client.chat.postMessage({ channel: 'C1', text: 'hello', blocks: [section('hello')] });
  } catch (err) {
    const e = err as { code?: unknown; data?: { error?: unknown }; retryAfter?: unknown; statusCode?: unknown };
    return { code: e.code, platformError: platformError(err), retryAfterMs: rateLimitRetryMs(err), statusCode: e.statusCode };
  }
  throw new Error('the call went through');
}

describe('SlackChatClient', () => {
  it('posts and updates a message as JSON, the token in the Authorization header, one request each', async () => {
    const blocks = [section('⏳ Triggering the checks tagged *smoke*…')];
    const posted = await chat.chat.postMessage({ channel: 'C1', text: 'Checkly run smoke', blocks, unfurl_links: false, unfurl_media: false });
    expect(posted.ts).toMatch(/^\d+\.\d{6}$/);
    await chat.chat.update({ channel: 'C1', ts: posted.ts!, text: 'Checkly run smoke: passed', blocks: [section('✅ 1 passed')] });

    expect(slack.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
    for (const call of slack.calls) {
      expect(call.token).toBe(BOT);
      expect(call.warning).toBeUndefined();
      expect(call.status).toBe(200);
    }
    expect(slack.calls[0]!.args).toEqual({ channel: 'C1', text: 'Checkly run smoke', blocks, unfurl_links: false, unfurl_media: false });
    const message = slack.messages.get(`C1:${posted.ts}`);
    expect(message?.text).toBe('Checkly run smoke: passed');
    expect(message?.blocks).toEqual([section('✅ 1 passed')]);
    expect(reported).toEqual([
      ['chat.postMessage', undefined],
      ['chat.update', undefined],
    ]);
  });

  it('posts in a thread when given thread_ts', async () => {
    const parent = await chat.chat.postMessage({ channel: 'C1', text: 'deploy web@4f2c1a9' });
    const reply = await chat.chat.postMessage({ channel: 'C1', text: 'the run', thread_ts: parent.ts });
    expect(slack.messages.get(`C1:${reply.ts}`)?.thread_ts).toBe(parent.ts);
  });

  describe('fails as WebClient (rejectRateLimitedCalls) does, with the same retries', () => {
    const cases: Array<{ name: string; fault: SlackFault; times: number; calls: number; reported: string }> = [
      { name: "Slack's refusal (not retried)", fault: { error: 'not_in_channel' }, times: 1, calls: 1, reported: 'not_in_channel' },
      { name: 'a too long message (not retried)', fault: { error: 'msg_blocks_too_long' }, times: 1, calls: 1, reported: 'msg_blocks_too_long' },
      { name: 'a 429 (not retried: the budgets pause)', fault: { error: 'ratelimited', retryAfterSeconds: 7 }, times: 1, calls: 1, reported: 'ratelimited' },
      { name: 'an HTTP error on every try', fault: { status: 503 }, times: 3, calls: 3, reported: 'http_503' },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        slack.failNext('chat.postMessage', c.fault, { times: c.times });
        const ours = await failureOf(chat);
        const ourCalls = slack.callsTo('chat.postMessage').length;

        slack.failNext('chat.postMessage', c.fault, { times: c.times });
        const web = new webApi.WebClient(BOT, { slackApiUrl: slack.apiUrl, retryConfig: RETRIES, rejectRateLimitedCalls: true, logLevel: webApi.LogLevel.ERROR });
        const theirs = await failureOf(web);

        expect(ours).toEqual(theirs);
        expect(ourCalls).toBe(c.calls);
        expect(slack.callsTo('chat.postMessage').length).toBe(2 * c.calls);
        expect(reported).toEqual(Array.from({ length: c.calls }, () => ['chat.postMessage', c.reported]));
        expect(slack.messages.size).toBe(0);
      });
    }

    it('an HTTP error that passes: tried again, and posted once', async () => {
      slack.failNext('chat.postMessage', { status: 500 });
      const posted = await chat.chat.postMessage({ channel: 'C1', text: 'hello' });
      expect(slack.messages.get(`C1:${posted.ts}`)?.text).toBe('hello');
      expect(reported).toEqual([
        ['chat.postMessage', 'http_500'],
        ['chat.postMessage', undefined],
      ]);
    });
  });

  it('a Slack that cannot be reached is a request error after every try', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = new SlackChatClient({ token: BOT, apiUrl: `http://127.0.0.1:${port}/api/`, retries: RETRIES, onCall: (m, e) => reported.push([m, e]) });
    const web = new webApi.WebClient(BOT, { slackApiUrl: `http://127.0.0.1:${port}/api/`, retryConfig: RETRIES, rejectRateLimitedCalls: true, logLevel: webApi.LogLevel.ERROR });
    const ours = await failureOf(nowhere);
    expect(ours).toEqual(await failureOf(web));
    expect(ours.code).toBe(webApi.ErrorCode.RequestError);
    expect(reported).toEqual(Array.from({ length: 3 }, () => ['chat.postMessage', 'network']));
    nowhere.close();
  });

  it('an answer that is not Slack JSON fails at once, and says so without the body', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>proxy error: token xoxb-chat-client-test</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const proxied = new SlackChatClient({ token: BOT, apiUrl: `http://127.0.0.1:${port}/api/`, retries: RETRIES, onCall: (m, e) => reported.push([m, e]) });
    try {
      const err = await proxied.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toBe('Slack answered chat.update with something that is not its JSON');
      expect(reported).toEqual([['chat.update', 'invalid_response']]);
    } finally {
      proxied.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
