import { createHash } from 'node:crypto';
import { webApi } from '@slack/bolt';
import type { Logger } from '../log';
import type { FinishOutcome, RunMessages, Unreachable } from '../runs/ports';
import { isRunOver, needsReply } from '../runs/status';
import type { Run } from '../runs/types';
import { platformError } from './errors';
import { PostBudget } from './post-budget';
import { UpdateBudget, type UpdateBudgetOptions, type UpdateResult } from './update-budget';

type WebClient = webApi.WebClient;

/** A short fingerprint of a message: enough to tell whether it changed. */
function digest(message: SlackMessage): string {
  return createHash('sha1').update(JSON.stringify(message)).digest('base64url');
}

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

export interface RunMessagesOptions {
  /**
   * Best made with `rejectRateLimitedCalls: true`: a 429 then reaches the budgets, which pause,
   * instead of being waited out and retried by the client behind their back.
   */
  client: WebClient;
  render: (run: Run) => SlackMessage;
  renderFailureReply: (run: Run) => SlackMessage;
  /** Least time between two updates of one message. */
  intervalMs: number;
  /** `chat.update` calls per workspace in any 60 s. */
  maxUpdatesPerMinute: number;
  /** How the updates share that budget (defaults in UpdateBudget). */
  updateShares?: Pick<UpdateBudgetOptions, 'finalReserve' | 'burst'>;
  /** `chat.postMessage` calls per channel (default: 5 in any 5 s, Slack's "one a second, short bursts allowed"). */
  postsPerChannel?: { limit: number; windowMs: number };
  now: () => number;
  logger: Logger;
  /**
   * Called with a digest of what a run's message shows after each post or update, to be kept with
   * the run: a process that takes the run over then knows what is on screen and sends no duplicate.
   */
  onShown?: (run: Run, digest: string) => void;
}

interface MessageState {
  latest: Run;
  /** Digest of what the message shows, as last sent. */
  lastSent?: string;
  /** Update requests not answered yet. */
  outstanding: number;
  /** `finished` was called: the state goes once nothing is outstanding. */
  over: boolean;
  /** How the last update went, and Slack's error code when it failed: `finished` reports them. */
  result?: UpdateResult;
  error?: string;
  /** Forgets an idle state: the run's `shown` digest carries what it knew. */
  expiry?: NodeJS.Timeout;
}

/** A message state unused this long is forgotten (runs followed elsewhere, parents of reruns). */
const IDLE_STATE_MS = 60_000;

/** Slack's answers to chat.update that no retry can change. */
const GONE: ReadonlySet<string> = new Set([
  'message_not_found',
  'channel_not_found',
  'is_archived',
  'not_in_channel',
  'cant_update_message',
  'edit_window_closed',
]);

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

  constructor(private readonly options: RunMessagesOptions) {
    this.updates = new UpdateBudget({
      ...options.updateShares,
      maxUpdatesPerMinute: options.maxUpdatesPerMinute,
      intervalMs: options.intervalMs,
      now: options.now,
    });
    this.posts = new PostBudget({ ...(options.postsPerChannel ?? { limit: 5, windowMs: 5_000 }), now: options.now });
  }

  async post(run: Run): Promise<{ ts: string } | { unreachable: Unreachable }> {
    // Posting comes right after a command's acknowledgement; in a burst, the other commands'
    // requests are already waiting. They go first: their acknowledgements are due within 3 s.
    await afterPendingIo();
    const message = this.options.render(run);
    try {
      const result = await this.postMessage(run.channel, () =>
        this.options.client.chat.postMessage({
          channel: run.channel,
          thread_ts: run.threadTs,
          text: message.text,
          blocks: message.blocks as never,
          unfurl_links: false,
          unfurl_media: false,
        }),
      );
      const ts = result.ts as string;
      const shown = digest(message);
      const state: MessageState = { latest: { ...run, ts }, lastSent: shown, outstanding: 0, over: false };
      this.states.set(run.id, state);
      this.idle(run.id, state);
      this.options.onShown?.({ ...run, ts }, shown);
      return { ts };
    } catch (err) {
      const code = platformError(err);
      if (code === 'not_in_channel' || code === 'channel_not_found') return { unreachable: code };
      throw err;
    }
  }

  changed(run: Run): void {
    void this.request(run, isRunOver(run));
  }

  async finished(run: Run): Promise<FinishOutcome> {
    const existing = this.states.get(run.id);
    if (existing) existing.result = existing.error = undefined;
    const state = await this.request(run, true, true);
    if (state.latest === run) this.drop(run.id, state);
    const { result, error } = state;
    const shown =
      !run.ts || (error !== undefined && GONE.has(error))
        ? 'gone'
        : result === 'sent' || result === 'unchanged';
    const replied = needsReply(run) && run.repliedAt === undefined ? await this.replyInThread(run) : true;
    return { shown, replied };
  }

  /** Updates and posts waiting for the budget (for metrics). */
  get waiting(): { updates: number; posts: number } {
    return { updates: this.updates.waiting, posts: this.posts.waiting };
  }

  /**
   * Drops pending updates (their `finished` answer "not shown"): on shutdown, the next process to
   * follow a run renders it afresh, and shows the final states this one could not.
   */
  stop(): void {
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
      state = { latest: run, lastSent: run.shown, outstanding: 0, over: false };
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
        current.error = undefined;
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
    const message = this.options.render(run);
    const shown = digest(message);
    if (shown === state.lastSent) return 'unchanged';
    try {
      await this.options.client.chat.update({ channel: run.channel, ts: run.ts, text: message.text, blocks: message.blocks as never });
      state.lastSent = shown;
      this.options.onShown?.(run, shown);
      return 'sent';
    } catch (err) {
      const retryAfterMs = rateLimitRetryMs(err);
      if (retryAfterMs !== undefined) {
        this.options.logger.warn({ runId: run.id, teamId: run.teamId, retryAfterMs }, 'Slack rate-limited chat.update; pausing the workspace');
        return { retryAfterMs };
      }
      state.error = platformError(err);
      this.options.logger.warn({ runId: run.id, error: platformError(err) ?? String(err) }, 'updating the run message failed');
      return 'failed';
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

  /** Whether the reply went through. */
  private async replyInThread(run: Run): Promise<boolean> {
    const reply = this.options.renderFailureReply(run);
    try {
      await this.postMessage(run.channel, () =>
        this.options.client.chat.postMessage({
          channel: run.channel,
          thread_ts: run.threadTs ?? run.ts,
          text: reply.text,
          blocks: reply.blocks as never,
        }),
      );
      return true;
    } catch (err) {
      const code = platformError(err);
      this.options.logger.warn({ runId: run.id, error: code ?? String(err) }, 'posting the failure reply failed');
      // A channel the bot can no longer post in will not take it later either.
      return code !== undefined && GONE.has(code);
    }
  }
}

const turns: Array<() => void> = [];

/**
 * Resolves after the I/O already pending (requests that arrived, answers that came), one waiter per
 * turn of the event loop, so that a burst of posts never holds up the requests behind it for long.
 */
export function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => {
    turns.push(resolve);
    if (turns.length === 1) setImmediate(nextTurn);
  });
}

function nextTurn(): void {
  turns.shift()?.();
  if (turns.length > 0) setImmediate(nextTurn);
}

/** Milliseconds Slack asked to wait, when `err` is the Web API client's rate-limit error. */
export function rateLimitRetryMs(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; retryAfter?: unknown };
  if (e.code !== webApi.ErrorCode.RateLimitedError || typeof e.retryAfter !== 'number') return undefined;
  return Math.max(0, e.retryAfter) * 1000;
}
