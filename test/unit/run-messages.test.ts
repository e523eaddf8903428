import { createHash } from 'node:crypto';
import { webApi } from '@slack/bolt';
import { createLogger } from '../../src/shared/log';
import type { Run, Session, SessionStatus } from '../../src/runs/types';
import type { ChatClient } from '../../src/slack/run-messages';
import { SlackRunMessages, rateLimitRetryMs, type RunMessagesDeps } from '../../src/slack/run-messages';
import { afterPendingIo } from '../../src/shared/turns';
import { SlackTimeout } from '../../src/slack/http';

const logger = createLogger({ level: 'silent' });

interface Call {
  method: 'postMessage' | 'update';
  channel: string;
  text: string;
  thread_ts?: string;
  at: number;
}

function rateLimited(seconds: number): Error {
  return Object.assign(new Error('rate limited'), { code: webApi.ErrorCode.RateLimitedError, retryAfter: seconds });
}

/** What the app's Web API client rejects with when Slack did not answer within SLACK_REQUEST_TIMEOUT_MS. */
function unanswered(): Error {
  return new webApi.WebAPIRequestError(new SlackTimeout(10_000));
}

function platform(error: string): Error {
  return Object.assign(new Error(error), { code: webApi.ErrorCode.PlatformError, data: { ok: false, error } });
}

/** The two chat methods, recording calls; `failures` are thrown by the next calls of a method, in order. */
class FakeChat {
  readonly calls: Call[] = [];
  readonly failures: Record<'postMessage' | 'update', Error[]> = { postMessage: [], update: [] };
  private ts = 0;

  readonly client = {
    chat: {
      postMessage: async (args: { channel: string; text: string; thread_ts?: string }) => {
        this.record('postMessage', args);
        this.ts += 1;
        return { ok: true, ts: `1700000000.${String(this.ts).padStart(6, '0')}` };
      },
      update: async (args: { channel: string; text: string }) => {
        this.record('update', args);
        return { ok: true };
      },
    },
  } satisfies ChatClient;

  of(method: Call['method']): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  private record(method: Call['method'], args: { channel: string; text: string; thread_ts?: string }): void {
    this.calls.push({ method, channel: args.channel, text: args.text, ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}), at: Date.now() });
    const failure = this.failures[method].shift();
    if (failure) throw failure;
  }
}

/** The digest of a message the test's render made from `text` (what a post reports it shows). */
function digestOf(text: string): string {
  return createHash('sha1')
    .update(JSON.stringify({ text, blocks: [] }))
    .digest('base64url');
}

/** Real turns of the event loop (setImmediate is not faked here). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) await new Promise((r) => setImmediate(r));
}

function session(n: number, status: SessionStatus): Session {
  return {
    sessionId: `s${n}`,
    checkId: `c${n}`,
    name: `Check ${n}`,
    checkType: 'API',
    link: `https://app.checklyhq.com/s${n}`,
    status,
    locations: ['eu-west-1'],
    failedLocations: status === 'FAILED' ? ['eu-west-1'] : [],
  };
}

function run(id: string, statuses: SessionStatus[], over: Partial<Run> = {}): Run {
  const phase = statuses.length > 0 && statuses.every((s) => s !== 'STARTED' && s !== 'PROGRESS') ? 'final' : 'running';
  return {
    id,
    teamId: 'T1',
    channel: 'C1',
    requester: 'U1',
    target: { tags: [['prod']], checkIds: [], all: false },
    refreshCache: false,
    phase,
    sessions: statuses.map((s, i) => session(i, s)),
    createdAt: 0,
    ...over,
  };
}

type Replies = RunMessagesDeps['renderFailureReplies'];

type StoreHooks = Pick<RunMessagesDeps, 'afterFailureReply'>;

function setup(chat: FakeChat, over: { maxUpdatesPerMinute?: number; burst?: number; renderFailureReplies?: Replies } & StoreHooks = {}) {
  return new SlackRunMessages(setupOptions(chat, over));
}

function setupOptions(
  chat: FakeChat,
  over: { maxUpdatesPerMinute?: number; burst?: number; renderFailureReplies?: Replies } & StoreHooks = {},
): RunMessagesDeps {
  return {
    client: chat.client,
    // The size shows in the text when it is not the full one.
    render: (r, size) => ({ text: `${r.id} ${r.phase}: ${r.sessions.map((s) => s.status).join(',')}${size === 'full' ? '' : ` [${size}]`}`, blocks: [] }),
    renderFailureReplies: over.renderFailureReplies ?? ((r, { skip }) => (skip > 0 ? [] : [{ text: `reply ${r.id}`, blocks: [], listed: 1 }])),
    intervalMs: 1000,
    maxUpdatesPerMinute: over.maxUpdatesPerMinute ?? 50,
    ...(over.burst ? { updateShares: { burst: over.burst } } : {}),
    afterFailureReply: over.afterFailureReply,
    now: Date.now,
    logger,
  };
}

describe('SlackRunMessages', () => {
  // Posts wait a turn of the event loop (afterPendingIo); only the clock is faked.
  beforeEach(() => jest.useFakeTimers({ now: 0, doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  test('a post waits for the requests already pending, unless an answer waits for it (the HTTP API)', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    const order: string[] = [];
    setImmediate(() => order.push('pending'));
    const later = messages.post(run('r1', [])).then(() => order.push('command post'));
    const atOnce = messages.post(run('r2', []), { answerWaits: true }).then(() => order.push('api post'));
    await Promise.all([later, atOnce]);
    expect(order).toEqual(['api post', 'pending', 'command post']);
    expect(chat.of('postMessage').map((c) => c.text)).toEqual(['r2 running: ', 'r1 running: ']);
    messages.stop();
  });

  test('changes are coalesced: at most one update per interval, showing the latest state, none when nothing changed', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    const posted = await messages.post(run('r1', ['STARTED', 'STARTED']));
    expect(posted).toEqual({ ts: '1700000000.000001', shownDigest: digestOf('r1 running: STARTED,STARTED') });
    const ts = '1700000000.000001';
    messages.changed(run('r1', ['STARTED', 'STARTED'], { ts })); // what the post shows already
    await jest.advanceTimersByTimeAsync(10);
    expect(chat.of('update')).toHaveLength(0);

    messages.changed(run('r1', ['PASSED', 'STARTED'], { ts }));
    await jest.advanceTimersByTimeAsync(10);
    messages.changed(run('r1', ['PASSED', 'PROGRESS'], { ts }));
    messages.changed(run('r1', ['PASSED', 'FAILED'], { ts, phase: 'running' }));
    await jest.advanceTimersByTimeAsync(2000);
    expect(chat.of('update').map((c) => [c.text, c.at])).toEqual([
      ['r1 running: PASSED,STARTED', 10],
      ['r1 running: PASSED,FAILED', 1010],
    ]);
    messages.stop();
  });

  test('an update of a run in progress is told before it is sent (a kill in between leaves nothing to resend); what was sent, once Slack took it', async () => {
    const chat = new FakeChat();
    const events: string[] = [];
    const messages = setup(chat);
    const beforeSend = async (d: string) => {
      events.push(`before ${d === digestOf('r1 running: PASSED,STARTED') ? 'PASSED,STARTED' : d} (updates sent: ${chat.of('update').length})`);
    };
    const shown = (what: string) => (d: string | undefined) => {
      events.push(
        `shown ${what} ${d === digestOf(`r1 ${what === 'PASSED,PASSED' ? 'final' : 'running'}: ${what}`) ? 'as sent' : d} (updates sent: ${chat.of('update').length})`,
      );
    };
    // A post reports what it shows (the caller keeps it with the message's ts, in one write).
    expect(await messages.post(run('r1', ['STARTED', 'STARTED']))).toHaveProperty('shownDigest', digestOf('r1 running: STARTED,STARTED'));
    const ts = '1700000000.000001';
    const changed = messages.changed(run('r1', ['PASSED', 'STARTED'], { ts }), { beforeSend }).then(shown('PASSED,STARTED'));
    await jest.advanceTimersByTimeAsync(10);
    await changed;
    const done = messages.finished(run('r1', ['PASSED', 'PASSED'], { ts, phase: 'final' }));
    await jest.advanceTimersByTimeAsync(1500);
    shown('PASSED,PASSED')((await done).shownDigest);
    expect(events).toEqual([
      'before PASSED,STARTED (updates sent: 0)',
      'shown PASSED,STARTED as sent (updates sent: 1)',
      'shown PASSED,PASSED as sent (updates sent: 2)',
    ]);
    messages.stop();
  });

  test('a process that shows a run again sends nothing the store says another process showed since (a replica that followed it, then died)', async () => {
    const chat = new FakeChat();
    let stored: string | undefined;
    const keep = (d: string | undefined) => {
      if (d !== undefined) stored = d;
    };
    const beforeSend = async (d: string) => {
      stored = d;
    };
    const poster = setup(chat);
    const follower = setup(chat);
    const ts = '1700000000.000001';
    const posted = await poster.post(run('r1', ['STARTED', 'STARTED'])); // the poster keeps what it posted
    stored = 'shownDigest' in posted ? posted.shownDigest : undefined;
    void follower.changed(run('r1', ['PASSED', 'STARTED'], { ts, shownDigest: stored }), { beforeSend }).then(keep);
    await jest.advanceTimersByTimeAsync(10);
    expect(chat.of('update').map((c) => c.text)).toEqual(['r1 running: PASSED,STARTED']);
    follower.stop(); // killed

    // The poster takes the run over: the store's digest, not its own memory of the post, says what is on screen.
    void poster.changed(run('r1', ['PASSED', 'STARTED'], { ts, shownDigest: stored }), { beforeSend }).then(keep);
    await jest.advanceTimersByTimeAsync(1500);
    expect(chat.of('update')).toHaveLength(1);
    void poster.changed(run('r1', ['PASSED', 'FAILED'], { ts, phase: 'running', shownDigest: stored }), { beforeSend }).then(keep);
    await jest.advanceTimersByTimeAsync(1500);
    expect(chat.of('update').map((c) => c.text)).toEqual(['r1 running: PASSED,STARTED', 'r1 running: PASSED,FAILED']);
    poster.stop();
  });

  test('finished shows the final state, then replies in the thread when something failed', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    await messages.post(run('r1', ['STARTED', 'STARTED']));
    const ts = '1700000000.000001';
    messages.changed(run('r1', ['PASSED', 'STARTED'], { ts }));
    const done = messages.finished(run('r1', ['PASSED', 'FAILED'], { ts }));
    await jest.advanceTimersByTimeAsync(1500);
    await done;
    expect(chat.calls.map((c) => [c.method, c.text, c.at])).toEqual([
      ['postMessage', 'r1 running: STARTED,STARTED', 0],
      ['update', 'r1 running: PASSED,STARTED', 0],
      ['update', 'r1 final: PASSED,FAILED', 1000],
      ['postMessage', 'reply r1', 1000],
    ]);
    expect(chat.calls[3]!.thread_ts).toBe(ts);
  });

  test('final states go before intermediate ones when the workspace budget is short', async () => {
    const chat = new FakeChat();
    const messages = setup(chat, { maxUpdatesPerMinute: 4, burst: 4 }); // a final reserve of 1
    for (const id of ['a', 'b', 'c', 'd']) await messages.post(run(id, ['STARTED'], { channel: `C-${id}` }));
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
      messages.changed(run(id, ['PROGRESS'], { channel: `C-${id}`, ts: `1700000000.00000${i + 1}` }));
    }
    await jest.advanceTimersByTimeAsync(10);
    expect(chat.of('update').map((c) => c.text)).toEqual(['a running: PROGRESS', 'b running: PROGRESS', 'c running: PROGRESS']);
    const done = messages.finished(run('d', ['PASSED'], { channel: 'C-d', ts: '1700000000.000004' }));
    await jest.advanceTimersByTimeAsync(10);
    await done;
    // d's overtaken PROGRESS was never sent: its final state took the last place at once.
    expect(chat.of('update').map((c) => [c.text, c.at])).toEqual([
      ['a running: PROGRESS', 0],
      ['b running: PROGRESS', 0],
      ['c running: PROGRESS', 0],
      ['d final: PASSED', 10],
    ]);
  });

  test('a rate-limited update pauses the workspace for Retry-After, then goes again', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    await messages.post(run('r1', ['STARTED']));
    chat.failures.update.push(rateLimited(3));
    const done = messages.finished(run('r1', ['PASSED'], { ts: '1700000000.000001' }));
    await jest.advanceTimersByTimeAsync(2999);
    expect(chat.of('update').map((c) => c.at)).toEqual([0]);
    await jest.advanceTimersByTimeAsync(1);
    await done;
    expect(chat.of('update').map((c) => [c.text, c.at])).toEqual([
      ['r1 final: PASSED', 0],
      ['r1 final: PASSED', 3000],
    ]);
  });

  test('another update error is logged and not retried; finished still ends', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    await messages.post(run('r1', ['STARTED']));
    chat.failures.update.push(platform('message_not_found'));
    const done = messages.finished(run('r1', ['PASSED'], { ts: '1700000000.000001' }));
    await jest.advanceTimersByTimeAsync(5000);
    await done;
    expect(chat.of('update')).toHaveLength(1);
  });

  describe('a message Slack refuses as too long (msg_blocks_too_long) is built smaller and sent again', () => {
    const tooLong = () => platform('msg_blocks_too_long');

    test('the post, then the updates keep the size Slack took', async () => {
      const chat = new FakeChat();
      const messages = setup(chat);
      chat.failures.postMessage.push(tooLong());
      // What the post reports it shows is the smaller message Slack took.
      expect(await messages.post(run('r1', ['STARTED', 'STARTED']))).toEqual({
        ts: '1700000000.000001',
        shownDigest: digestOf('r1 running: STARTED,STARTED [compact]'),
      });
      const done = messages.finished(run('r1', ['PASSED', 'FAILED'], { ts: '1700000000.000001' }));
      await jest.advanceTimersByTimeAsync(10);
      await done;
      expect(chat.calls.map((c) => [c.method, c.text])).toEqual([
        ['postMessage', 'r1 running: STARTED,STARTED'],
        ['postMessage', 'r1 running: STARTED,STARTED [compact]'],
        ['update', 'r1 final: PASSED,FAILED [compact]'],
        ['postMessage', 'reply r1'],
      ]);
    });

    test('the final update, down to the smallest size; never left behind', async () => {
      const chat = new FakeChat();
      const messages = setup(chat);
      await messages.post(run('r1', ['STARTED']));
      chat.failures.update.push(tooLong(), tooLong());
      const done = messages.finished(run('r1', ['PASSED'], { ts: '1700000000.000001' }));
      await jest.advanceTimersByTimeAsync(10);
      await done;
      expect(chat.of('update').map((c) => c.text)).toEqual(['r1 final: PASSED', 'r1 final: PASSED [compact]', 'r1 final: PASSED [minimal]']);
    });

    test('refused at every size: given up, logged, and finished still ends', async () => {
      const chat = new FakeChat();
      const messages = setup(chat);
      await messages.post(run('r1', ['STARTED']));
      chat.failures.update.push(tooLong(), tooLong(), tooLong(), tooLong());
      const done = messages.finished(run('r1', ['PASSED'], { ts: '1700000000.000001' }));
      await jest.advanceTimersByTimeAsync(10);
      await done;
      expect(chat.of('update')).toHaveLength(3);
    });

    test('the thread replies go on, smaller, from the first failed check not yet posted', async () => {
      const chat = new FakeChat();
      // 10 failed checks: 4 to a full reply, 2 to a compact one.
      const perReply = { full: 4, compact: 2, minimal: 1 };
      const messages = setup(chat, {
        renderFailureReplies: (r, { size, skip }) => {
          const replies = [];
          for (let from = skip; from < 10; from += perReply[size]) {
            const to = Math.min(10, from + perReply[size]);
            replies.push({ text: `${r.id} ${size} ${from + 1}-${to}`, blocks: [], listed: to - from });
          }
          return replies;
        },
      });
      await messages.post(run('r1', ['STARTED']));
      // The second reply (checks 5-8) is refused.
      const realPost = chat.client.chat.postMessage.bind(chat.client.chat);
      let replies = 0;
      (chat.client.chat as { postMessage: unknown }).postMessage = async (args: { channel: string; text: string; thread_ts?: string }) => {
        if (args.thread_ts !== undefined && ++replies === 2) chat.failures.postMessage.push(tooLong());
        return realPost(args as never);
      };
      const done = messages.finished(run('r1', ['FAILED'], { ts: '1700000000.000001' }));
      await jest.advanceTimersByTimeAsync(10_000);
      await done;
      expect(
        chat
          .of('postMessage')
          .slice(1)
          .map((c) => c.text),
      ).toEqual(['r1 full 1-4', 'r1 full 5-8', 'r1 compact 5-6', 'r1 compact 7-8', 'r1 compact 9-10']);
    });
  });

  test('posts in one channel keep within its budget; a rate-limited post waits and goes again', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    chat.failures.postMessage.push(rateLimited(2));
    const posts = Array.from({ length: 7 }, (_, i) => messages.post(run(`r${i}`, ['STARTED'])));
    await turns(10); // each post waits a turn of the event loop first, while the clock stands still
    await jest.advanceTimersByTimeAsync(10_000);
    const results = await Promise.all(posts);
    expect(results.every((r) => 'ts' in r)).toBe(true);
    // The first post is turned away (Retry-After 2 s) before the others have had their turn: they all
    // wait for it, and the rate-limited one goes first. Five places in any 5 s, counted from Slack's
    // answers: the 429 at 0 and four at 2 s; one more at 5 s, the last two at 7 s.
    expect(chat.of('postMessage').map((c) => [c.text, c.at])).toEqual([
      ['r0 running: STARTED', 0],
      ['r0 running: STARTED', 2000],
      ['r1 running: STARTED', 2000],
      ['r2 running: STARTED', 2000],
      ['r3 running: STARTED', 2000],
      ['r4 running: STARTED', 5000],
      ['r5 running: STARTED', 7000],
      ['r6 running: STARTED', 7000],
    ]);
  });

  test('a post Slack did not answer in time is unanswered (it may be in the channel), and is not sent again', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    chat.failures.postMessage.push(unanswered());
    await expect(messages.post(run('r1', ['STARTED']))).resolves.toEqual({ unanswered: true });
    expect(chat.of('postMessage')).toHaveLength(1);
  });

  test('a failure reply Slack did not answer in time counts as replied: posting it again could show it twice', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    const ts = '1700000000.000001';
    chat.failures.postMessage.push(unanswered());
    const done = messages.finished(run('r1', ['FAILED'], { ts }));
    await jest.advanceTimersByTimeAsync(1500);
    await expect(done).resolves.toEqual({ shown: true, replied: true, shownDigest: expect.any(String) });
    expect(chat.of('postMessage').map((c) => c.text)).toEqual(['reply r1']);
  });

  test('a channel the bot cannot post in is unreachable', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    chat.failures.postMessage.push(platform('not_in_channel'));
    await expect(messages.post(run('r1', ['STARTED']))).resolves.toEqual({ unreachable: 'not_in_channel' });
  });

  test('rateLimitRetryMs reads the Web API rate-limit error only', () => {
    expect(rateLimitRetryMs(rateLimited(7))).toBe(7000);
    expect(rateLimitRetryMs(platform('ratelimited'))).toBeUndefined();
    expect(rateLimitRetryMs(new Error('x'))).toBeUndefined();
    expect(rateLimitRetryMs(undefined)).toBeUndefined();
  });
});

describe('afterPendingIo', () => {
  test('lets one waiter go per turn of the event loop, after what was already pending', async () => {
    const order: string[] = [];
    const a = afterPendingIo().then(() => order.push('a'));
    const b = afterPendingIo().then(() => order.push('b'));
    const c = afterPendingIo().then(() => order.push('c'));
    setImmediate(() => order.push('pending'));
    await Promise.all([a, b, c]);
    setImmediate(() => order.push('later'));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a', 'pending', 'b', 'c', 'later']);
  });
});

describe('SlackRunMessages lifecycle (issue 9)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0, doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  test('finished says whether the final state went through: an update still failing after its retries is "not shown", a gone message "gone"', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    await messages.post(run('r1', ['STARTED']));
    chat.failures.update.push(...Array.from({ length: 6 }, () => platform('internal_error')));
    const failed = messages.finished(run('r1', ['PASSED'], { ts: '1700000000.000001' }));
    await jest.advanceTimersByTimeAsync(31_010);
    expect(await failed).toEqual({ shown: false, replied: true });
    expect(chat.of('update')).toHaveLength(6);
    await jest.advanceTimersByTimeAsync(1000);
    const again = messages.finished(run('r1', ['PASSED'], { ts: '1700000000.000001' }));
    await jest.advanceTimersByTimeAsync(10);
    expect(await again).toEqual({ shown: true, replied: true, shownDigest: expect.any(String) });

    await messages.post(run('r2', ['STARTED']));
    chat.failures.update.push(platform('message_not_found'));
    const gone = messages.finished(run('r2', ['PASSED'], { ts: '1700000000.000002' }));
    await jest.advanceTimersByTimeAsync(10);
    expect(await gone).toEqual({ shown: 'gone', replied: true });

    // A channel archived while its run went on: Slack answers chat.update with is_inactive there.
    await messages.post(run('r3', ['STARTED']));
    chat.failures.update.push(platform('is_inactive'));
    const archived = messages.finished(run('r3', ['PASSED'], { ts: '1700000000.000003' }));
    await jest.advanceTimersByTimeAsync(10);
    expect(await archived).toEqual({ shown: 'gone', replied: true });
  });

  test('a final update Slack refused twice, then rate-limited, is shown within seconds: one, two, then Retry-After (issue 20)', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    await messages.post(run('r1', ['STARTED']));
    chat.failures.update.push(platform('internal_error'), platform('internal_error'), rateLimited(2));
    const finished = messages.finished(run('r1', ['PASSED'], { ts: '1700000000.000001' }));
    await jest.advanceTimersByTimeAsync(6_000);
    expect(await finished).toEqual({ shown: true, replied: true, shownDigest: expect.any(String) });
    expect(chat.of('update').map((c) => c.at)).toEqual([0, 1000, 3000, 5000]);
  });

  test('a failed thread reply is reported, and not posted again once recorded', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    await messages.post(run('r1', ['STARTED']));
    chat.failures.postMessage.push(platform('internal_error'));
    const first = messages.finished(run('r1', ['FAILED'], { ts: '1700000000.000001' }));
    await jest.advanceTimersByTimeAsync(10);
    expect(await first).toEqual({ shown: true, replied: false, shownDigest: expect.any(String) });
    const recorded = messages.finished(run('r1', ['FAILED'], { ts: '1700000000.000001', repliedAt: 5 }));
    await jest.advanceTimersByTimeAsync(1500);
    expect(await recorded).toEqual({ shown: true, replied: true, shownDigest: expect.any(String) });
    expect(chat.of('postMessage')).toHaveLength(2); // the run message and the one failed reply
  });

  test('stop: a reply it cuts off is left to the next process ("not replied", no warning); screenshots in progress are told to hand over', async () => {
    const chat = new FakeChat();
    const lines: string[] = [];
    const added: Array<{ runId: string; threadTs: string; stopping: AbortSignal }> = [];
    let finishAdding: () => void = () => undefined;
    const messages = new SlackRunMessages({
      ...setupOptions(chat),
      logger: createLogger({ level: 'info', destination: { write: (l: string) => lines.push(l) } }),
      afterFailureReply: (r, threadTs, stopping) => {
        added.push({ runId: r.id, threadTs, stopping });
        return new Promise<'added'>((resolve) => (finishAdding = () => resolve('added')));
      },
    });
    await messages.post(run('r1', ['STARTED']));
    const replied = messages.finished(run('r1', ['FAILED'], { ts: '1700000000.000001' }));
    await jest.advanceTimersByTimeAsync(10);
    expect(await replied).toEqual({ shown: true, replied: true, shownDigest: expect.any(String), added: expect.any(Promise) });
    expect(added.map((a) => [a.runId, a.threadTs, a.stopping.aborted])).toEqual([['r1', '1700000000.000001', false]]);

    // The next reply's post waits for the channel's budget (5 posts in 5 s) when the app stops.
    await messages.post(run('r2', ['STARTED']));
    for (let i = 0; i < 2; i += 1) await messages.post(run(`filler${i}`, []));
    const cut = messages.finished(run('r2', ['FAILED'], { ts: '1700000000.000002' }));
    await jest.advanceTimersByTimeAsync(10);
    const settled = messages.settle(50);
    await jest.advanceTimersByTimeAsync(60);
    await settled;
    messages.stop();
    expect(added[0]!.stopping.aborted).toBe(true);
    expect(await cut).toMatchObject({ replied: false });
    finishAdding();
    expect(lines.filter((l) => JSON.parse(l).level >= 40)).toEqual([]);
    expect(lines.some((l) => l.includes('the failure reply is left to the next process'))).toBe(true);
  });

  test('a run whose screenshots were handed over gets them once from the next process, and no second reply', async () => {
    const chat = new FakeChat();
    const added: string[] = [];
    const messages = setup(chat, {
      afterFailureReply: async (r, threadTs) => {
        added.push(`${r.id} ${threadTs}`);
        return 'added';
      },
    });
    const handedOver = run('r1', ['FAILED'], { ts: '1700000000.000009', repliedAt: 5, screenshotsDue: true });
    const outcome = messages.finished(handedOver);
    await jest.advanceTimersByTimeAsync(10);
    expect(await outcome).toEqual({ shown: true, replied: true, shownDigest: expect.any(String), added: expect.any(Promise) });
    expect(added).toEqual(['r1 1700000000.000009']);
    expect(chat.of('postMessage')).toHaveLength(0);
    // Without the mark, a replied run adds nothing again.
    const done = messages.finished(run('r2', ['FAILED'], { ts: '1700000000.000010', repliedAt: 5 }));
    await jest.advanceTimersByTimeAsync(10);
    await done;
    expect(added).toHaveLength(1);
    messages.stop();
  });

  test('stop answers a final state waiting for its turn "not shown" at once, instead of never', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    await messages.post(run('r1', ['STARTED']));
    messages.changed(run('r1', ['PASSED', 'STARTED'], { ts: '1700000000.000001' }));
    await jest.advanceTimersByTimeAsync(10);
    const waiting = messages.finished(run('r1', ['PASSED', 'PASSED'], { ts: '1700000000.000001' }));
    await jest.advanceTimersByTimeAsync(10); // within the message's interval: it waits
    messages.stop();
    expect(await waiting).toEqual({ shown: false, replied: true });
  });

  test('keeps no state for runs that are over, nor for runs it only posted or saw change', async () => {
    const chat = new FakeChat();
    const messages = setup(chat);
    await messages.post(run('posted-here', ['STARTED'])); // followed by another replica
    await messages.post(run('over', ['STARTED']));
    const done = messages.finished(run('over', ['PASSED'], { ts: '1700000000.000002' }));
    await jest.advanceTimersByTimeAsync(10);
    await done;
    // A parent whose rerun line changes, over already: its state goes once its update is answered.
    messages.changed(run('parent', ['FAILED'], { ts: '1700000000.000003', reruns: [] }));
    await jest.advanceTimersByTimeAsync(10);
    expect(messages.kept).toBe(1);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(messages.kept).toBe(0);
    messages.stop();
  });
});
