/**
 * The app's Slack clients as src/wiring/slack.ts builds them (Slack's own WebClient over
 * slack/http.ts), over real HTTP against the fake Slack: the run messages' client hands a 429 back
 * at once for the budgets, every attempt is counted, a failed attempt is tried again but one that got
 * no answer in time is not (it may have been carried out), connections are kept, and the proxy
 * variables are honoured.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi } from '@slack/bolt';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { isUnanswered, platformError } from '../../src/slack/errors';
import { SlackTimeout } from '../../src/slack/http';
import { rateLimitRetryMs } from '../../src/slack/run-messages';
import { buildReceiver, type SlackEntrance } from '../../src/wiring/slack';
import { forwardProxyServer, type ProxiedRequest } from '../fakes/forward-proxy';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';

const BOT = 'xoxb-slack-clients-test';
const TIMEOUT_MS = 400;
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

let slack: FakeSlack;
let metrics: Metrics;
let entrances: SlackEntrance[];

beforeEach(async () => {
  slack = await startFakeSlack({ botToken: BOT });
  metrics = new Metrics({ defaultMetrics: false });
  entrances = [];
});

afterEach(async () => {
  await Promise.all(entrances.map((e) => e.close()));
  await slack.close();
});

/** The Slack side of the app, built from these variables on top of a working configuration. */
function entrance(env: Record<string, string> = {}, apiUrl = slack.apiUrl): SlackEntrance {
  const loaded = loadConfig({
    SLACK_BOT_TOKEN: BOT,
    SLACK_SIGNING_SECRET: 'slack-clients-test-signing-secret',
    SLACK_API_URL: apiUrl,
    SLACK_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
    CHECKLY_API_KEY: 'cu_slack_clients_test',
    CHECKLY_ACCOUNT_ID: '6a1b0c4e-8f3d-4a52-9a7e-2f1c3b4d5e6f',
    ...env,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const built = buildReceiver(loaded.config, {
    logger: createLogger({ level: 'silent', secrets: [] }),
    metrics,
    now: Date.now,
    storeHealthy: async () => true,
    routes: [],
  });
  entrances.push(built);
  return built;
}

/** The Bolt app's client, as Bolt makes it from the entrance's options. */
function appClient(e: SlackEntrance): webApi.WebClient {
  return new webApi.WebClient(BOT, { ...e.clientOptions, logLevel: webApi.LogLevel.ERROR });
}

async function calls(): Promise<Record<string, number>> {
  const text = (await metrics.render()).body;
  const found: Record<string, number> = {};
  for (const m of text.matchAll(/^checkly_slack_slack_calls_total\{method="([^"]+)",error="([^"]+)"\} (\d+)$/gm)) {
    found[`${m[1]} ${m[2]}`] = Number(m[3]);
  }
  return found;
}

async function failureOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => {
      throw new Error('the call went through');
    },
    (err: unknown) => err,
  );
}

describe('the run messages client', () => {
  it('posts and updates through WebClient: the token in the header, its User-Agent, every call counted', async () => {
    const { chat } = entrance();
    const blocks = [section('⏳ Triggering the checks tagged *smoke*…')];
    const posted = await chat.chat.postMessage({ channel: 'C1', text: 'Checkly run smoke', blocks, unfurl_links: false, unfurl_media: false });
    await chat.chat.update({ channel: 'C1', ts: posted.ts!, text: 'Checkly run smoke: passed', blocks: [section('✅ 1 passed')] });

    expect(slack.calls.map((c) => [c.method, c.token, c.status])).toEqual([
      ['chat.postMessage', BOT, 200],
      ['chat.update', BOT, 200],
    ]);
    expect(slack.calls[0]!.args).toMatchObject({ channel: 'C1', text: 'Checkly run smoke', blocks });
    expect(slack.messages.get(`C1:${posted.ts}`)).toMatchObject({ text: 'Checkly run smoke: passed', blocks: [section('✅ 1 passed')] });
    expect(await calls()).toEqual({ 'chat.postMessage none': 1, 'chat.update none': 1 });
  });

  it('hands a 429 back at once with Retry-After, for the message budgets to pause on', async () => {
    const { chat } = entrance();
    slack.failNext('chat.postMessage', { error: 'ratelimited', retryAfterSeconds: 7 });
    const err = await failureOf(chat.chat.postMessage({ channel: 'C1', text: 'hello' }));
    expect(rateLimitRetryMs(err)).toBe(7000);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(await calls()).toEqual({ 'chat.postMessage ratelimited': 1 });
  });

  it("does not try Slack's refusal again; tries an HTTP error again, and posts once", async () => {
    const { chat } = entrance();
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    expect(platformError(await failureOf(chat.chat.postMessage({ channel: 'C1', text: 'x' })))).toBe('not_in_channel');
    slack.failNext('chat.postMessage', { status: 503 });
    const posted = await chat.chat.postMessage({ channel: 'C1', text: 'hello' });
    expect(slack.messages.get(`C1:${posted.ts}`)?.text).toBe('hello');
    expect(await calls()).toEqual({ 'chat.postMessage not_in_channel': 1, 'chat.postMessage http_503': 1, 'chat.postMessage none': 1 });
  });

  it('a post Slack takes and never answers fails after SLACK_REQUEST_TIMEOUT_MS as unanswered, and is not sent again', async () => {
    const { chat } = entrance();
    slack.failNext('chat.postMessage', { takeAndHang: true });
    const startedAt = Date.now();
    const err = await failureOf(chat.chat.postMessage({ channel: 'C1', text: 'hello' }));
    const took = Date.now() - startedAt;
    expect(isUnanswered(err)).toBe(true);
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(took).toBeLessThan(TIMEOUT_MS + 3000);
    // Slack did take it: a second try would have shown it twice.
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(slack.messages.size).toBe(1);
    expect(await calls()).toEqual({ 'chat.postMessage timeout': 1 });
  });
});

describe("the app's client and its fetch", () => {
  it('a call without a signal of its own (a response_url post) is cut off at the timeout too', async () => {
    const hung = http.createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const { clientOptions } = entrance();
      const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/response/x`;
      const err = await failureOf(clientOptions.fetch!(url, { method: 'POST', body: '{}' }));
      expect(err).toBeInstanceOf(SlackTimeout);
    } finally {
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  it('keeps its connections from one call to the next', async () => {
    let connections = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = appClient(entrance({}, `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`));
      for (let i = 0; i < 10; i += 1) await client.auth.test();
      // undici opens a second one while the first answer is being finished; then they are reused.
      expect(connections).toBeLessThanOrEqual(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('behind a proxy', () => {
  let proxy: http.Server;
  let carried: ProxiedRequest[];
  let proxyUrl: string;

  beforeEach(async () => {
    carried = [];
    proxy = forwardProxyServer((r) => carried.push(r));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  });

  it('every client goes through HTTP_PROXY', async () => {
    const e = entrance({ HTTP_PROXY: proxyUrl });
    await e.chat.chat.postMessage({ channel: 'C1', text: 'hello' });
    await appClient(e).auth.test();
    const host = new URL(slack.apiUrl).host;
    expect(carried).toEqual([
      { kind: 'forward', method: 'POST', target: `${slack.apiUrl}chat.postMessage`, host },
      { kind: 'forward', method: 'POST', target: `${slack.apiUrl}auth.test`, host },
    ]);
    expect(slack.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'auth.test']);
  });

  it('none does when NO_PROXY names Slack', async () => {
    const e = entrance({ http_proxy: proxyUrl, NO_PROXY: `example.com,${new URL(slack.apiUrl).hostname}` });
    await e.chat.chat.postMessage({ channel: 'C1', text: 'hello' });
    await appClient(e).auth.test();
    expect(carried).toEqual([]);
    expect(slack.calls).toHaveLength(2);
  });

  it('Socket Mode gets a dispatcher for its websocket only when a proxy is set', () => {
    expect(entrance({ SLACK_APP_TOKEN: 'xapp-1', HTTPS_PROXY: proxyUrl }).receiver).toMatchObject({ client: { dispatcher: expect.anything() } });
    expect(entrance({ SLACK_APP_TOKEN: 'xapp-1' }).receiver).toMatchObject({ client: { dispatcher: undefined } });
  });
});
