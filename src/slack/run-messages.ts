import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { SlackMessage } from '../blocks/message';
import { smallerSize, type MessageSize } from '../blocks/size';
import type { Logger } from '../log';
import type { FinishOutcome, PostOptions, Posted, RunMessages, Unanswered, Unreachable } from '../runs/ports';
import { isRunOver, needsReply } from '../runs/status';
import type { Run } from '../runs/types';
import { settledWithin } from '../shared/settled';
import { afterPendingIo } from '../shared/turns';
import { channelRefusal, isUnanswered, platformError } from './errors';
import { PostBudget } from './post-budget';
import { UpdateBudget, type UpdateBudgetOptions, type UpdateResult } from './update-budget';

/** A short fingerprint of a message: enough to tell whether it changed. */
function digest(message: SlackMessage): string {
  return createHash('sha1').update(JSON.stringify(message)).digest('base64url');
}

export interface ChatMessage {
  channel: string;
  /** The fallback text (notifications, screen readers); Slack wants it with blocks. */
  text: string;
  blocks?: readonly unknown[];
}

/** What the run messages need of a Slack client: a `WebClient` is one. */
export interface ChatClient {
  chat: {
    postMessage(args: ChatMessage & { thread_ts?: string; unfurl_links?: boolean; unfurl_media?: boolean }): Promise<{ ts?: string }>;
    update(args: ChatMessage & { ts: string }): Promise<unknown>;
  };
}

export interface RunMessagesOptions {
  /**
   * One that rejects a 429 (a `WebClient` with `rejectRateLimitedCalls: true`): it then reaches the
   * budgets, which pause, instead of being waited out and retried behind their back.
   */
  client: ChatClient;
  /** The run message at `size`: 'full' first, smaller when Slack refuses it as too long. */
  render: (run: Run, size: MessageSize) => SlackMessage;
  /** The thread replies listing the failed checks from `skip` on, each within `size`'s budget. */
  renderFailureReplies: (run: Run, opts: { size: MessageSize; skip: number }) => Array<SlackMessage & { listed: number }>;
  /**
   * The failure evidence of the first failed checks (details, assertions, links), as the first
   * replies of the thread (the first one mentions whom the run notifies), and how many failed checks
   * they cover; the replies listing the rest follow them. Without it, the list alone is the reply.
   */
  failureReplies?: (run: Run, stopping: AbortSignal) => Promise<{ replies: SlackMessage[]; listed: number }>;
  /**
   * After the reply is posted: what else goes into the thread (the failure screenshots); again for a
   * run whose `screenshotsDue` says a stopped process handed them over. `stopping` aborts when this
   * process stops: what is not in the thread by then is to be handed over, not dropped.
   */
  afterFailureReply?: (run: Run, threadTs: string, stopping: AbortSignal) => Promise<void>;
  /** Least time between two updates of one message. */
  intervalMs: number;
  /** `chat.update` calls per workspace in any 60 s. */
  maxUpdatesPerMinute: number;
  /** How the updates share that budget (defaults in UpdateBudget). */
  updateShares?: Pick<UpdateBudgetOptions, 'finalReserve' | 'burst'>;
  /** `chat.postMessage` calls per channel (default: 5 in any 5 s, Slack's "one a second, short bursts allowed"). */
  postsPerChannel?: { limit: number; windowMs: number };
  /**
   * With several replicas: the update budgets (per workspace) and post budgets (per channel) are kept
   * in this Redis, under keys starting with `prefix`, and shared by every replica.
   */
  sharedBudgets?: { redis: Redis; prefix: string };
  now: () => number;
  logger: Logger;
  /**
   * Called with a digest of what a run's message shows after each update, to be kept with the run: a
   * process that takes the run over then knows what is on screen and sends no duplicate. (A post
   * returns its digest instead, for the caller to keep with the message's ts.)
   */
  onShown?: (run: Run, digest: string) => void;
  /**
   * Keeps, before an update of a run still in progress is sent, the digest it will show: a process
   * killed between Slack taking the update and `onShown` leaves the next follower nothing to resend.
   * Should Slack not take it, the run's next state (its final state at the latest) is sent anyway.
   */
  beforeShow?: (run: Run, digest: string) => Promise<void>;
}

interface MessageState {
  latest: Run;
  /** Digest of what the message shows, as last sent. */
  lastSent?: string;
  /** Update requests not answered yet. */
  outstanding: number;
  /** `finished` was called: the state goes once nothing is outstanding. */
  over: boolean;
  /** How the last update went: `finished` reports it. */
  result?: UpdateResult;
  /** Forgets an idle state: the run's `shown` digest carries what it knew. */
  expiry?: NodeJS.Timeout;
  /** The size Slack last took for this message; it stays there (a run only grows). */
  size: MessageSize;
}

/** The shared window options of one budget, when the budgets are shared. */
function sharedPlace(options: RunMessagesOptions, what: string): Pick<UpdateBudgetOptions, 'shared' | 'onSharedError'> {
  const shared = options.sharedBudgets;
  if (!shared) return {};
  return {
    shared: { redis: shared.redis, key: `${shared.prefix}budget:${what}` },
    onSharedError: (err: unknown) => options.logger.warn({ err: String(err) }, 'a shared Slack budget in Redis did not answer; waiting'),
  };
}

/** A message state unused this long is forgotten (runs followed elsewhere, parents of reruns). */
const IDLE_STATE_MS = 60_000;

/** Slack's answers to chat.update that no retry can change. */
const GONE: ReadonlySet<string> = new Set([
  'message_not_found',
  'channel_not_found',
  'is_archived',
  // What chat.update answers in an archived (or frozen, or deleted) channel.
  'is_inactive',
  'not_in_channel',
  'cant_update_message',
  'edit_window_closed',
]);

/** Slack's answers that say the trouble is Slack's own: the same call may go through a moment later. */
const SLACK_TROUBLE: ReadonlySet<string> = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Tries of one post that Slack answers 429. */
const POST_ATTEMPTS = 4;

/**
 * The run message in Slack. Every update goes through the workspace's UpdateBudget: only when what
 * the message shows has changed, with the latest state only, final states first, at most once per
 * interval per message. Posts (the run message, the thread reply) go through a per-channel budget.
 */
export class SlackRunMessages implements RunMessages {
  private readonly states = new Map<string, MessageState>();
  private readonly updates: UpdateBudget;
  private readonly posts: PostBudget;
  /** Aborted by `stop`: work cut off by it is left to the next process, quietly. */
  private readonly stopping = new AbortController();
  /** What goes into threads after their reply (afterFailureReply), in progress, by run id. */
  private readonly afterReplies = new Map<string, Promise<void>>();

  constructor(private readonly options: RunMessagesOptions) {
    this.updates = new UpdateBudget({
      ...options.updateShares,
      maxUpdatesPerMinute: options.maxUpdatesPerMinute,
      intervalMs: options.intervalMs,
      now: options.now,
      ...sharedPlace(options, 'slack-updates:'),
    });
    // One listener per reply's evidence and per screenshot in flight, each removed when it settles: not a leak.
    setMaxListeners(0, this.stopping.signal);
    this.posts = new PostBudget({
      ...(options.postsPerChannel ?? { limit: 5, windowMs: 5_000 }),
      now: options.now,
      ...sharedPlace(options, 'slack-posts:'),
    });
  }

  async post(run: Run, options: PostOptions = {}): Promise<Posted | { unreachable: Unreachable } | Unanswered> {
    // Posting comes right after a command's acknowledgement; in a burst, the other commands'
    // requests are already waiting. They go first: their acknowledgements are due within 3 s.
    // A post whose caller answers only once it is out (the HTTP API) is that acknowledgement.
    if (!options.answerWaits) await afterPendingIo();
    try {
      const { result, size } = await this.smallerWhenTooLong(run, 'full', async (size) => {
        const message = this.options.render(run, size);
        const posted = await this.postMessage(run.channel, () =>
          this.options.client.chat.postMessage({
            channel: run.channel,
            thread_ts: run.threadTs,
            text: message.text,
            blocks: message.blocks,
            unfurl_links: false,
            unfurl_media: false,
          }),
        );
        return { message, ts: posted.ts as string };
      });
      const { ts } = result;
      const shown = digest(result.message);
      const state: MessageState = { latest: { ...run, ts }, lastSent: shown, outstanding: 0, over: false, size };
      this.states.set(run.id, state);
      this.idle(run.id, state);
      return { ts, shownDigest: shown };
    } catch (err) {
      const refused = channelRefusal(err);
      if (refused !== undefined) return { unreachable: refused };
      if (isUnanswered(err)) return { unanswered: true };
      throw err;
    }
  }

  changed(run: Run): void {
    void this.request(run, isRunOver(run));
  }

  async finished(run: Run): Promise<FinishOutcome> {
    const existing = this.states.get(run.id);
    if (existing) existing.result = undefined;
    const state = await this.request(run, true, true);
    if (state.latest === run) this.drop(run.id, state);
    const { result } = state;
    const shown = !run.ts || result === 'gone' ? 'gone' : result === 'sent' || result === 'unchanged';
    const replied = needsReply(run) && run.repliedAt === undefined ? await this.replyInThread(run) : true;
    const threadTs = run.threadTs ?? run.ts;
    if (run.screenshotsDue && run.repliedAt !== undefined && threadTs !== undefined) this.afterReply(run, threadTs);
    return { shown, replied };
  }

  /** Updates and posts waiting for the budget (for metrics). */
  get waiting(): { updates: number; posts: number } {
    return { updates: this.updates.waiting, posts: this.posts.waiting };
  }

  /**
   * Waits at most `timeoutMs` for what goes into threads after their reply (the screenshots): before
   * `stop`, which calls off the rest (each hands itself over).
   */
  settle(timeoutMs: number): Promise<void> {
    return settledWithin(this.afterReplies.values(), timeoutMs);
  }

  /**
   * Drops pending updates (their `finished` answer "not shown"): on shutdown, the next process to
   * follow a run renders it afresh, and shows the final states this one could not. A reply cut off
   * is posted by that process too (the run is not recorded as replied), and screenshots cut off are
   * handed over (afterFailureReply's `stopping`).
   */
  stop(): void {
    this.stopping.abort();
    this.updates.stop();
    this.posts.stop();
    for (const state of this.states.values()) clearTimeout(state.expiry);
    this.states.clear();
  }

  /** Message states kept (for tests: none stays for a run that is over). */
  get kept(): number {
    return this.states.size;
  }

  /** Asks the budget to show `run`; resolves, with the message's state, once an update after this request was answered. */
  private async request(run: Run, final: boolean, finishing = false): Promise<MessageState> {
    let state = this.states.get(run.id);
    if (!state) {
      // A run resumed after a restart, or followed by another process before: nothing sent from here yet.
      state = { latest: run, lastSent: run.shownDigest, outstanding: 0, over: false, size: 'full' };
      this.states.set(run.id, state);
    }
    const current = state;
    clearTimeout(current.expiry);
    current.latest = run;
    if (finishing) current.over = true;
    current.outstanding += 1;
    await this.updates.request(run.teamId, run.id, {
      final,
      send: async () => {
        current.result = await this.send(current);
        return current.result;
      },
    });
    current.outstanding -= 1;
    if (current.outstanding === 0) {
      if (current.over || isRunOver(current.latest)) this.drop(run.id, current);
      else this.idle(run.id, current);
    }
    return current;
  }

  private drop(runId: string, state: MessageState): void {
    clearTimeout(state.expiry);
    if (this.states.get(runId) === state) this.states.delete(runId);
  }

  /** A state nothing waits on goes after a while: this process may never hear of its run again. */
  private idle(runId: string, state: MessageState): void {
    clearTimeout(state.expiry);
    state.expiry = setTimeout(() => {
      if (state.outstanding === 0) this.drop(runId, state);
    }, IDLE_STATE_MS);
    state.expiry.unref();
  }

  private async send(state: MessageState): Promise<UpdateResult> {
    const run = state.latest;
    if (!run.ts) return 'unchanged';
    const ts = run.ts;
    const first = this.options.render(run, state.size);
    const intended = digest(first);
    if (intended === state.lastSent) return 'unchanged';
    // What the store says is on screen: another process may have shown this state since this one
    // last sent (a replica that followed the run, then died, and this one posted it or followed it before).
    if (intended === run.shownDigest) {
      state.lastSent = intended;
      return 'unchanged';
    }
    if (!isRunOver(run)) await this.options.beforeShow?.(run, intended);
    try {
      const { result: message, size } = await this.smallerWhenTooLong(run, state.size, async (size) => {
        const message = size === state.size ? first : this.options.render(run, size);
        await this.options.client.chat.update({ channel: run.channel, ts, text: message.text, blocks: message.blocks });
        return message;
      });
      const shown = digest(message);
      state.size = size;
      state.lastSent = shown;
      this.options.onShown?.(run, shown);
      return 'sent';
    } catch (err) {
      const retryAfterMs = rateLimitRetryMs(err);
      if (retryAfterMs !== undefined) {
        this.options.logger.warn({ runId: run.id, teamId: run.teamId, retryAfterMs }, 'Slack rate-limited chat.update; pausing the workspace');
        return { retryAfterMs };
      }
      const code = platformError(err);
      this.options.logger.warn({ runId: run.id, error: code ?? String(err) }, 'updating the run message failed');
      if (code !== undefined && GONE.has(code)) return 'gone';
      return code === undefined || SLACK_TROUBLE.has(code) ? 'failed' : 'refused';
    }
  }

  /** One post within the channel's budget, tried again after Retry-After when Slack says 429. */
  private async postMessage<T>(channel: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const ticket = await this.posts.acquire(channel, attempt > 1);
      try {
        const result = await call();
        ticket.settle(this.options.now());
        return result;
      } catch (err) {
        ticket.settle(this.options.now());
        const retryAfterMs = rateLimitRetryMs(err);
        if (retryAfterMs === undefined || attempt >= POST_ATTEMPTS) throw err;
        this.options.logger.warn({ channel, retryAfterMs }, 'Slack rate-limited chat.postMessage; waiting');
        this.posts.pause(channel, this.options.now() + retryAfterMs);
      }
    }
  }

  /**
   * Calls `attempt` at `size`, and again one size smaller each time Slack answers `msg_blocks_too_long`
   * (its count of a message's text is not ours): a run message is never left behind for being long.
   * Resolves with the result and the size Slack took; rejects with any other error, or when even the
   * smallest size is refused. An update's extra tries share its one place in the update budget: they
   * are rare (the renderers keep well under Slack's count) and at most two.
   */
  private async smallerWhenTooLong<T>(run: Run, size: MessageSize, attempt: (size: MessageSize) => Promise<T>): Promise<{ result: T; size: MessageSize }> {
    for (let current = size; ; ) {
      try {
        return { result: await attempt(current), size: current };
      } catch (err) {
        const next = platformError(err) === 'msg_blocks_too_long' ? smallerSize(current) : undefined;
        if (next === undefined) throw err;
        this.options.logger.warn({ runId: run.id, size: current, next }, 'Slack refused the run message as too long; building it smaller');
        current = next;
      }
    }
  }

  /**
   * The failure evidence first (when there is any), then every failed check it did not cover, over as
   * many replies as it takes, smaller when Slack refuses one as too long. Whether the reply went
   * through (or never will: the channel is gone); a reply that did not is tried again by the sweep.
   */
  private async replyInThread(run: Run): Promise<boolean> {
    const threadTs = run.threadTs ?? run.ts;
    const post = (reply: SlackMessage) =>
      this.postMessage(run.channel, () =>
        this.options.client.chat.postMessage({
          channel: run.channel,
          thread_ts: threadTs,
          text: reply.text,
          blocks: reply.blocks,
          unfurl_links: false,
          unfurl_media: false,
        }),
      );
    let listed = 0;
    let size: MessageSize | undefined = 'full';
    try {
      const evidence = await this.failureReplies(run);
      for (const [i, reply] of evidence.replies.entries()) {
        try {
          await post(reply);
          if (i === 0) listed = evidence.listed;
        } catch (err) {
          // The evidence is extra: a part Slack finds too long is left out, and without its first
          // part (the mention) the list below says everything.
          if (platformError(err) !== 'msg_blocks_too_long') throw err;
          this.options.logger.warn({ runId: run.id, part: i }, 'Slack refused failure evidence as too long; leaving it out');
          if (i === 0) break;
        }
      }
      while (size !== undefined) {
        const [reply] = this.options.renderFailureReplies(run, { size, skip: listed });
        if (reply === undefined || (listed > 0 && reply.listed === 0)) break;
        try {
          await post(reply);
        } catch (err) {
          if (platformError(err) !== 'msg_blocks_too_long') throw err;
          this.options.logger.warn({ runId: run.id, size }, 'Slack refused a failure reply as too long; building it smaller');
          size = smallerSize(size);
          continue;
        }
        if (reply.listed === 0) break;
        listed += reply.listed;
      }
      if (size === undefined) throw new Error('Slack refused the failure reply as too long at every size');
    } catch (err) {
      if (isUnanswered(err)) {
        // Slack may have posted it: posting it again could show it twice.
        this.options.logger.warn({ runId: run.id, listed }, 'Slack did not answer a failure reply in time (it may have taken it); not posting it again');
        return true;
      }
      const code = platformError(err);
      if (this.stopping.signal.aborted) {
        this.options.logger.info({ runId: run.id, listed }, 'stopping: the failure reply is left to the next process');
        return false;
      }
      this.options.logger.warn({ runId: run.id, listed, error: code ?? String(err) }, 'posting the failure reply failed');
      // A channel the bot can no longer post in will not take it later either.
      return code !== undefined && GONE.has(code);
    }
    if (threadTs !== undefined) this.afterReply(run, threadTs);
    return true;
  }

  /** Screenshots come when they come: the run is over and its reply is out, nothing waits for them but `settle`. */
  private afterReply(run: Run, threadTs: string): void {
    const add = this.options.afterFailureReply;
    if (!add || this.afterReplies.has(run.id)) return;
    const work = add(run, threadTs, this.stopping.signal)
      .catch((err: unknown) => {
        this.options.logger.warn({ runId: run.id, err: String(err) }, 'adding to the failure reply failed');
      })
      .finally(() => this.afterReplies.delete(run.id));
    this.afterReplies.set(run.id, work);
  }

  /** The failure evidence; none when gathering it fails (the list of failed checks says the rest). */
  private async failureReplies(run: Run): Promise<{ replies: SlackMessage[]; listed: number }> {
    if (this.options.failureReplies) {
      try {
        return await this.options.failureReplies(run, this.stopping.signal);
      } catch (err) {
        this.options.logger.warn({ runId: run.id, err: String(err) }, 'rendering the failure evidence failed; replying without it');
      }
    }
    return { replies: [], listed: 0 };
  }
}

/** Milliseconds Slack asked to wait, when `err` is the Web API client's rate-limit error. */
export function rateLimitRetryMs(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; retryAfter?: unknown };
  if (e.code !== webApi.ErrorCode.RateLimitedError || typeof e.retryAfter !== 'number') return undefined;
  return Math.max(0, e.retryAfter) * 1000;
}
