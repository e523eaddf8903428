/**
 * Behind a corporate forward proxy: the real app (its own process, as `npm start` runs it) with
 * HTTP_PROXY / HTTPS_PROXY pointing at a real forward proxy process that reports what it carries. A
 * whole run (command, trigger, polls, post, updates, thread reply, the screenshot's asset, Details)
 * must go through it, Slack's calls and Checkly's alike; with NO_PROXY naming the fakes, none may.
 * (The app in its own process keeps production's redirect policy, which refuses the fake's storage
 * on loopback: the screenshot's redirect through a proxy is tested in test/unit/checkly-proxy.test.ts.)
 */
import { blockActionsBody, postSigned } from '../fakes/sign';
import { startForwardProxy, type ForwardProxy, type ProxiedRequest } from '../fakes/forward-proxy';
import { childApps, type AppProcess } from './child';
import { SECRETS, blockActionsPayload, findButton, messageText, waitFor } from './harness';
import { sleep } from '../helpers';

const fx = childApps({ CHECKLY_POLL_WAIT_SECONDS: '2', SLACK_UPDATE_INTERVAL_MS: '200', CHECKLY_MAX_REQUESTS_PER_MINUTE: '20000' });

let proxy: ForwardProxy;
beforeEach(async () => {
  proxy = await startForwardProxy();
});
afterEach(async () => {
  await proxy.close();
});

/** A failing browser check run from the command to its Details modal; resolves once the modal shows the result. */
async function wholeRun(app: AppProcess): Promise<void> {
  fx.checkly.addCheck({
    name: 'Checkout flow',
    tags: ['web'],
    checkType: 'BROWSER',
    durationMs: 300,
    outcome: 'FAILED',
    errorMessage: 'Timeout waiting for "#pay"',
  });
  await app.started();
  expect((await fx.command(app, 'run web')).status).toBe(200);
  const run = await waitFor(() => [...fx.slack.messages.values()].find((m) => m.thread_ts === undefined), 10_000, 'the run message');
  await waitFor(() => /1 failed/.test(messageText(fx.slack.messages.get(`${run.channel}:${run.ts}`)!)), 20_000, 'the final state');
  const reply = await waitFor(() => [...fx.slack.messages.values()].find((m) => m.thread_ts === run.ts), 20_000, 'the thread reply');
  await waitFor(() => fx.checkly.requests.some((r) => r.op === 'asset'), 15_000, "the screenshot's asset");

  const found = findButton(reply.blocks ?? [], /^failure_details:0$/)!;
  const payload = blockActionsPayload(reply, found.button, found.blockId, 'U0BOB', fx.slack.responseUrl('details'), fx.slack.views.issueTriggerId('U0BOB'));
  expect((await postSigned(app.eventsUrl, blockActionsBody(payload), SECRETS.signingSecret)).status).toBe(200);
  await waitFor(() => [...fx.slack.views.views.values()][0]?.versions.length === 2, 15_000, 'the Details modal with the result');
}

/** How many requests of each kind the proxy forwarded to `host`: Slack's by method (or path), Checkly's by path. */
function tally(carried: ProxiedRequest[], host: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of carried.filter((c) => c.host === host && c.kind === 'forward')) {
    const path = new URL(r.target).pathname;
    const what = path.startsWith('/api/') ? path.slice('/api/'.length) : path.split('/').slice(0, 2).join('/');
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return counts;
}

test('with HTTP_PROXY and HTTPS_PROXY set, every Slack and Checkly request of a whole run goes through the proxy', async () => {
  const app = fx.launch({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url });
  await wholeRun(app);
  // Let the last answers (the upload's completion, the modal's update) be reported.
  await sleep(300);

  const slackHost = new URL(fx.slack.apiUrl).host;
  const checklyHost = new URL(fx.checkly.url).host;
  const slack = tally(proxy.carried, slackHost);
  // Every Web API call the fake Slack answered went through the proxy, method by method...
  const webApi = new Map<string, number>();
  for (const call of fx.slack.calls) webApi.set(call.method, (webApi.get(call.method) ?? 0) + 1);
  for (const [method, n] of webApi) expect([method, slack.get(method)]).toEqual([method, n]);
  for (const method of ['auth.test', 'chat.postMessage', 'chat.update', 'views.open', 'views.update']) {
    expect([method, slack.get(method) ?? 0]).toEqual([method, expect.any(Number)]);
    expect(slack.get(method)).toBeGreaterThan(0);
  }
  // ...and so did the response_url posts.
  expect(slack.get('/response') ?? 0).toBe(fx.slack.responsePosts.length);

  // Every Checkly request too: the start-up probe, the trigger, the polls, the results, the screenshot's asset.
  const checkly = proxy.carried.filter((c) => c.host === checklyHost);
  expect(checkly.length).toBe(fx.checkly.requests.length + fx.checkly.storageRequests.length);
  const ops = new Set(fx.checkly.requests.map((r) => String(r.op)));
  for (const op of ['trigger', 'completion', 'result', 'assets', 'asset']) expect([op, ops.has(op)]).toEqual([op, true]);
  process.stdout.write(`through the proxy: ${[...slack.values()].reduce((a, b) => a + b, 0)} Slack requests, ${checkly.length} Checkly requests\n`);
  // Nothing went around it: everything the fakes saw, the proxy carried.
  expect(proxy.carried.every((c) => c.kind === 'forward')).toBe(true);
}, 60_000);

test('with NO_PROXY naming the fakes, nothing goes through the proxy', async () => {
  const app = fx.launch({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' });
  await wholeRun(app);
  expect(fx.slack.calls.length).toBeGreaterThan(5);
  expect(fx.checkly.requests.length).toBeGreaterThan(3);
  expect(proxy.carried).toEqual([]);
}, 60_000);

test("Socket Mode's websocket and its connection call go through the proxy too", async () => {
  // The fixture's fake Slack knows its default app-level token.
  const app = fx.launch({ SLACK_APP_TOKEN: 'xapp-fake', HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url });
  // In Socket Mode the app serves no port of its own here (PORT=0 is for its custom routes).
  await waitFor(() => app.logged('checkly-slack started') || app.exitCode !== undefined, 20_000, 'the app to start');
  expect(app.exitCode).toBeUndefined();
  await fx.slack.waitForSocket(15_000);
  const slackHost = new URL(fx.slack.apiUrl).host;
  expect(tally(proxy.carried, slackHost).get('apps.connections.open')).toBeGreaterThan(0);
  // The websocket's upgrade is tunnelled.
  expect(proxy.carried.filter((c) => c.kind === 'connect' && c.host === slackHost).length).toBeGreaterThan(0);
}, 60_000);
