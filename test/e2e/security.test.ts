/**
 * Attacks on the real app over HTTP: forged, replayed and tampered requests, hostile command text,
 * and a grep of everything the app printed, posted and answered for each of its secrets.
 */
import { signSlackRequest, slashCommandBody } from '../fakes/sign';
import { SECRETS, messageText, startHarness, waitFor, type Harness } from './harness';

/** Everything the app did on the outside besides verifying its token at start-up. */
function sideEffects(h: Harness) {
  return {
    checkly: h.checkly.requests.length,
    slack: h.slack.calls.filter((c) => c.method !== 'auth.test').length,
    responsePosts: h.slack.responsePosts.length,
  };
}

const NOTHING = { checkly: 0, slack: 0, responsePosts: 0 };

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body });
  return { status: res.status, body: await res.text() };
}

/**
 * Bolt logs one line for each request whose signature it refuses, before it answers 401: the refusal
 * is complete, with nothing left to run, once `n` such lines are there.
 */
async function refusalsLogged(h: Harness, n: number): Promise<void> {
  const count = () => h.logs.filter((l) => l.includes('Failed to parse and verify the request data')).length;
  await waitFor(() => count() >= n, 5000, `${n} signature refusals logged`);
  expect(count()).toBe(n);
}

describe('requests that are not from Slack are refused, with no side effect', () => {
  let h: Harness;
  let body: string;

  beforeEach(async () => {
    h = await startHarness();
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'] });
    body = slashCommandBody({ text: 'run prod', command: '/checkly', response_url: h.slack.responseUrl('attack') });
  });

  afterEach(async () => {
    await h.close();
  });

  test('unsigned', async () => {
    const res = await post(h.eventsUrl, body, {});
    expect(res.status).toBe(401);
    await refusalsLogged(h, 1);
    expect(sideEffects(h)).toEqual(NOTHING);
  });

  test('signed with the wrong secret', async () => {
    const res = await post(h.eventsUrl, body, signSlackRequest('not-the-signing-secret', body));
    expect(res.status).toBe(401);
    await refusalsLogged(h, 1);
    expect(sideEffects(h)).toEqual(NOTHING);
  });

  test('replayed: correctly signed, but the timestamp is 6 minutes old', async () => {
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await post(h.eventsUrl, body, signSlackRequest(SECRETS.signingSecret, body, sixMinutesAgo));
    expect(res.status).toBe(401);
    await refusalsLogged(h, 1);
    expect(sideEffects(h)).toEqual(NOTHING);
  });

  test('a correctly signed request whose body was altered after signing', async () => {
    const headers = signSlackRequest(SECRETS.signingSecret, body);
    const altered = body.replace('text=run+prod', 'text=run+--all');
    expect(altered).not.toBe(body);
    const res = await post(h.eventsUrl, altered, headers);
    expect(res.status).toBe(401);
    await refusalsLogged(h, 1);
    expect(sideEffects(h)).toEqual(NOTHING);
  });

  test('a signature of the wrong form, or a timestamp that is not a number', async () => {
    const good = signSlackRequest(SECRETS.signingSecret, body);
    const forms = [
      { ...good, 'X-Slack-Signature': good['X-Slack-Signature']!.replace('v0=', 'v1=') },
      { ...good, 'X-Slack-Signature': 'v0=' },
      { ...good, 'X-Slack-Signature': `v0=${'z'.repeat(64)}` },
      { ...good, 'X-Slack-Request-Timestamp': 'yesterday' },
      { 'X-Slack-Signature': good['X-Slack-Signature']! },
    ];
    for (const headers of forms) expect((await post(h.eventsUrl, body, headers)).status).toBe(401);
    await refusalsLogged(h, 5);
    expect(sideEffects(h)).toEqual(NOTHING);
  });

  test('a forged click is refused like a forged command', async () => {
    const click = new URLSearchParams({
      payload: JSON.stringify({ type: 'block_actions', actions: [{ action_id: 'run_rerun_all', value: '{"run":"x"}' }] }),
    }).toString();
    expect((await post(h.eventsUrl, click, {})).status).toBe(401);
    expect((await post(h.eventsUrl, click, signSlackRequest('wrong-secret', click))).status).toBe(401);
    await refusalsLogged(h, 2);
    expect(sideEffects(h)).toEqual(NOTHING);
  });

  test('the refusal says nothing about the secret or the expected signature', async () => {
    const res = await post(h.eventsUrl, body, signSlackRequest('not-the-signing-secret', body));
    expect(res.body).not.toContain(SECRETS.signingSecret);
    const expected = signSlackRequest(SECRETS.signingSecret, body)['X-Slack-Signature']!;
    expect(res.body).not.toContain(expected.slice(3, 20));
  });
});

describe('hostile command text', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
    h.checkly.addCheck({ name: 'Login API', tags: ['prod'] });
  });

  afterEach(async () => {
    await h.close();
  });

  test('10 kB with control characters and mentions: an ephemeral refusal that says why, and nothing triggered', async () => {
    const junk = 'prod\u0000<!channel>\u202E\u0007,"😀<@U0BOSS>\r\n'.repeat(400);
    expect(junk.length).toBeGreaterThan(10_000);
    for (const text of [`run ${junk}`, `status ${junk}`, junk, `run --check ${junk}`]) {
      const ack = await h.command(text);
      expect(ack.status).toBe(200);
      expect(ack.body.length).toBeLessThan(10_000);
      const answer = JSON.parse(ack.body) as { response_type: string; text: string; blocks: unknown[] };
      expect(answer.response_type).toBe('ephemeral');
      const shown = messageText(answer);
      expect(shown).not.toMatch(/<[!@#]/);
      expect(shown).not.toContain('\u0000');
    }
    const first = JSON.parse((await h.command(`run ${junk}`)).body) as { text: string };
    expect(first.text).toMatch(/^The command is \d+ characters long; the limit is 1000\. Nothing was triggered\.$/);
    // A command that does not parse is answered in its acknowledgement, the handler's last step: once
    // every answer is in, nothing of these commands is left to run.
    expect(h.checkly.requests).toHaveLength(0);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  test('a control character inside a tag is refused by name', async () => {
    const ack = await h.command('run prod,ap\u0000i');
    const answer = JSON.parse(ack.body) as { response_type: string; text: string };
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toBe('The tag `ap\\u0000i` contains a control character. Nothing was triggered.');
    // Answered in the acknowledgement, the handler's last step: nothing is left to run.
    expect(h.checkly.requests).toHaveLength(0);
  });
});

describe('secrets never leave the app', () => {
  test('not in logs, Slack calls, response_url posts or answers, across failures of every kind', async () => {
    const h = await startHarness();
    const answers: string[] = [];
    const command = async (text: string, fields = {}) => {
      const res = await h.command(text, fields);
      answers.push(res.body);
      return res;
    };
    const runMessage = (pattern: RegExp) =>
      waitFor(() => h.runMessages().find((m) => pattern.test(messageText(m))), 15_000, `a run message matching ${pattern}`);
    try {
      // Checkly answers 401, echoing the key it was given (as some APIs do).
      h.checkly.addCheck({ name: 'Login API', tags: ['prod'], durationMs: 200 });
      h.checkly.failNext('trigger', 401, { message: `Invalid API key ${SECRETS.checklyApiKey}` });
      await command('run prod');
      await runMessage(/401/);

      // A 500, also echoing the key.
      h.checkly.failNext('trigger', 500, { message: `internal error while checking ${SECRETS.checklyApiKey}` });
      await command('run prod');
      await waitFor(() => h.runMessages().filter((m) => /could not start/i.test(messageText(m))).length === 2, 15_000, 'the 500 run');

      // A connection reset on the trigger: an axios error, whose config holds the Authorization header.
      h.checkly.dropNext('trigger');
      await command('run prod');
      await waitFor(() => h.runMessages().filter((m) => /could not start/i.test(messageText(m))).length === 3, 15_000, 'the reset run');

      // A hostile check name, failed polls that are retried, and a failing result.
      h.checkly.addCheck({
        name: `<!channel> ${'\u202E'}evil <@U0BOSS>`,
        tags: ['hostile'],
        durationMs: 300,
        outcome: 'FAILED',
        errorMessage: 'expected 200, got 503',
      });
      h.checkly.failNext('completion', 500, { times: 2, message: `upstream said ${SECRETS.checklyApiKey}` });
      h.checkly.dropNext('completion');
      await command('run hostile');
      await runMessage(/1 failed/);

      // Slack refuses to post: the requester is told, over the response_url.
      h.slack.setChannelError('C0PRIV', 'channel_not_found');
      await command('run prod', { channel_id: 'C0PRIV' });
      await waitFor(() => h.slack.responsePosts.length > 0, 5000, 'the not-in-channel explanation');

      // Malformed input and help (answered in their acknowledgements), and status (answered over its
      // response_url, its last step: the answer is the sign that it is done).
      await command('run "unbalanced');
      await command('help');
      const postsBefore = h.slack.responsePosts.length;
      await command('status');
      await waitFor(() => h.slack.responsePosts.length > postsBefore, 5000, 'the status answer');

      const haystacks: Array<[string, string]> = [
        ['logs', h.logs.join('\n')],
        ['Slack call arguments', JSON.stringify(h.slack.calls.map((c) => c.args))],
        ['Slack messages', JSON.stringify([...h.slack.messages.values()])],
        ['ephemeral messages', JSON.stringify(h.slack.ephemerals)],
        ['response_url posts', JSON.stringify(h.slack.responsePosts)],
        ['answers to Slack', answers.join('\n')],
      ];
      // The scenario really produced errors worth grepping.
      expect(h.logs.length).toBeGreaterThan(20);
      expect(h.checkly.requests.some((r) => r.dropped)).toBe(true);
      expect(h.checkly.requests.some((r) => r.status === 401)).toBe(true);

      // The secrets the app was given, and only those: in HTTP mode it has no app-level token, so
      // grepping for one would prove nothing (socket-mode.test.ts greps for it where the app has it).
      const given = Object.entries(SECRETS).filter(([, secret]) => Object.values(h.env).includes(secret));
      expect(given.map(([name]) => name).sort()).toEqual(['botToken', 'checklyApiKey', 'signingSecret']);
      for (const [secretName, secret] of given) {
        // Any 16-character stretch of a secret: a truncated secret is still a leak.
        const stretches = Array.from({ length: secret.length - 15 }, (_, i) => secret.slice(i, i + 16));
        for (const [where, text] of haystacks) {
          const leaked = stretches.find((s) => text.includes(s));
          expect({ secret: secretName, where, leaked }).toEqual({ secret: secretName, where, leaked: undefined });
        }
      }
      // The only Authorization header in the logs is the Slack client's own debug line, which it redacts
      // before our logger sees it; Checkly's (inside axios errors) never gets there at all.
      const withoutSlackRedacted = h.logs.join('\n').replace(/Authorization\W+\[\[REDACTED\]\]/g, '');
      expect(withoutSlackRedacted).not.toMatch(/authorization|bearer/i);
    } finally {
      await h.close();
    }
  });
});
