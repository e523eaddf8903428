import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { SlackMessage } from '../blocks/message';
import type { MessageSize } from '../blocks/size';
import type { Logger } from '../shared/log';
import type { ChangeOptions, FinishOutcome, PostOptions, Posted, RunMessages, Unanswered, Unreachable } from '../runs/ports';
import { isRunOver, needsReply } from '../runs/status';
import type { Run } from '../runs/types';
import { errorText } from '../shared/error-text';
import { afterPendingIo } from '../shared/turns';
import { GONE, Poster, SLACK_TROUBLE, rateLimitRetryMs, sharedPlace, smallerWhenTooLong, type ChatClient, type SharedSlackBudgets } from './chat-rules';
import { channelRefusal, isUnanswered, platformError } from './errors';
import { FailureReply, type FailureReplyDeps } from './failure-reply';
import { UpdateBudget, type UpdateBudgetOptions, type UpdateResult } from './update-budget';

export type { ChatClient, ChatMessage } from './chat-rules';
export { rateLimitRetryMs } from './chat-rules';

/** A short fingerprint of a message: enough to tell whether it changed. */
function digest(message: SlackMessage): string {
  return createHash('sha1').update(JSON.stringify(message)).digest('base64url');
}

export interface RunMessagesDeps extends Omit<FailureReplyDeps, 'poster'> {
  /**
   * One that rejects a 429 (a `WebClient` with `rejectRateLimitedCalls: true`): it then reaches the
   * budgets, which pause, instead of being waited out and retried behind their back.
   */
  client: ChatClient;
  /** The run message at `size`: 'full' first, smaller when Slack refuses it as too long. */
  render: (run: Run, size: MessageSize) => SlackMessage;
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
  sharedBudgets?: SharedSlackBudgets;
  now: () => number;
  logger: Logger;
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
  /** The latest request's hook, told what an update of a run in progress will show before it goes. */
  beforeSend?: ChangeOptions['beforeSend'];
  /** Forgets an idle state: the run's `shownDigest` carries what it knew. */
  expiry?: NodeJS.Timeout;
  /** The size Slack last took for this message; it stays there (a run only grows). */
  size: MessageSize;
}

/** A message state unused this long is forgotten (runs followed elsewhere, parents of reruns). */
const IDLE_STATE_MS = 60_000;

/**
 * The run message in Slack. Every update goes through the workspace's UpdateBudget: only when what
 * the message shows has changed, with the latest state only, final states first, at most once per
 * interval per message. Posts (the run message, the thread reply) go through a per-channel budget.
 * It writes nothing of a run: what it showed is in its answers, for the runner to keep.
 */
export class SlackRunMessages implements RunMessages {
  private readonly states = new Map<string, MessageState>();
  private readonly updates: UpdateBudget;
  private readonly poster: Poster;
  private readonly failureReply: FailureReply;
  /** Aborted by `stop`: work cut off by it is left to the next process, quietly. */
  private readonly stopping = new AbortController();

  constructor(private readonly deps: RunMessagesDeps) {
    this.updates = new UpdateBudget({
      ...deps.updateShares,
      maxUpdatesPerMinute: deps.maxUpdatesPerMinute,
      intervalMs: deps.intervalMs,
      now: deps.now,
      ...sharedPlace(deps.sharedBudgets, 'slack-updates:', deps.logger),
    });
    // One listener per reply's evidence and per screenshot in flight, each removed when it settles: not a leak.
    setMaxListeners(0, this.stopping.signal);
    this.poster = new Poster(deps);
    this.failureReply = new FailureReply({ ...deps, poster: this.poster }, this.stopping.signal);
  }

  async post(run: Run, options: PostOptions = {}): Promise<Posted | { unreachable: Unreachable } | Unanswered> {
    // Posting comes right after a command's acknowledgement; in a burst, the other commands'
    // requests are already waiting. They go first: their acknowledgements are due within 3 s.
    // A post whose caller answers only once it is out (the HTTP API) is that acknowledgement.
    if (!options.answerWaits) await afterPendingIo();
    try {
      const { result, size } = await smallerWhenTooLong(this.deps.logger, run.id, 'full', async (size) => {
        const message = this.deps.render(run, size);
        const posted = await this.poster.post(run.channel, message, run.threadTs);
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

  async changed(run: Run, options: ChangeOptions = {}): Promise<string | undefined> {
    const { sent } = await this.request(run, isRunOver(run), false, options.beforeSend);
    return sent;
  }

  async finished(run: Run): Promise<FinishOutcome> {
    const existing = this.states.get(run.id);
    if (existing) existing.result = undefined;
    const { state, sent } = await this.request(run, true, true);
    if (state.latest === run) this.drop(run.id, state);
    const { result } = state;
    const shown = !run.ts || result === 'gone' ? 'gone' : result === 'sent' || result === 'unchanged';
    const reply = needsReply(run) && run.repliedAt === undefined ? await this.failureReply.post(run) : { replied: true };
    const threadTs = run.threadTs ?? run.ts;
    const again = run.screenshotsDue && run.repliedAt !== undefined && threadTs !== undefined ? this.failureReply.addAfter(run, threadTs) : {};
    return { shown, replied: reply.replied, ...(sent !== undefined && { shownDigest: sent }), ...optionalAdded(reply.added ?? again.added) };
  }

  /** Updates and posts waiting for the budget (for metrics). */
  get waiting(): { updates: number; posts: number } {
    return { updates: this.updates.waiting, posts: this.poster.waiting };
  }

  /**
   * Waits at most `timeoutMs` for what goes into threads after their reply (the screenshots): before
   * `stop`, which calls off the rest (each hands itself over).
   */
  settle(timeoutMs: number): Promise<void> {
    return this.failureReply.settle(timeoutMs);
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
    this.poster.stop();
    for (const state of this.states.values()) clearTimeout(state.expiry);
    this.states.clear();
  }

  /** Message states kept (for tests: none stays for a run that is over). */
  get kept(): number {
    return this.states.size;
  }

  /**
   * Asks the budget to show `run`; resolves, with the message's state, once an update after this
   * request was answered, and with the digest sent when the update that went out was this request's.
   */
  private async request(
    run: Run,
    final: boolean,
    finishing: boolean,
    beforeSend?: ChangeOptions['beforeSend'],
  ): Promise<{ state: MessageState; sent?: string }> {
    let state = this.states.get(run.id);
    if (!state) {
      // A run resumed after a restart, or followed by another process before: nothing sent from here yet.
      state = { latest: run, lastSent: run.shownDigest, outstanding: 0, over: false, size: 'full' };
      this.states.set(run.id, state);
    }
    const current = state;
    clearTimeout(current.expiry);
    current.latest = run;
    current.beforeSend = beforeSend;
    if (finishing) current.over = true;
    current.outstanding += 1;
    let sent: string | undefined;
    await this.updates.request(run.teamId, run.id, {
      final,
      send: async () => {
        current.result = await this.send(current);
        if (current.result === 'sent') sent = current.lastSent;
        return current.result;
      },
    });
    current.outstanding -= 1;
    if (current.outstanding === 0) {
      if (current.over || isRunOver(current.latest)) this.drop(run.id, current);
      else this.idle(run.id, current);
    }
    return { state: current, sent };
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
    const first = this.deps.render(run, state.size);
    const intended = digest(first);
    if (intended === state.lastSent) return 'unchanged';
    // What the store says is on screen: another process may have shown this state since this one
    // last sent (a replica that followed the run, then died, and this one posted it or followed it before).
    if (intended === run.shownDigest) {
      state.lastSent = intended;
      return 'unchanged';
    }
    if (!isRunOver(run)) await state.beforeSend?.(intended);
    try {
      const { result: message, size } = await smallerWhenTooLong(this.deps.logger, run.id, state.size, async (size) => {
        const message = size === state.size ? first : this.deps.render(run, size);
        await this.deps.client.chat.update({ channel: run.channel, ts, text: message.text, blocks: message.blocks });
        return message;
      });
      state.size = size;
      state.lastSent = digest(message);
      return 'sent';
    } catch (err) {
      const retryAfterMs = rateLimitRetryMs(err);
      if (retryAfterMs !== undefined) {
        this.deps.logger.warn({ runId: run.id, teamId: run.teamId, retryAfterMs }, 'Slack rate-limited chat.update; pausing the workspace');
        return { retryAfterMs };
      }
      const code = platformError(err);
      this.deps.logger.warn({ runId: run.id, error: code ?? errorText(err) }, 'updating the run message failed');
      if (code !== undefined && GONE.has(code)) return 'gone';
      return code === undefined || SLACK_TROUBLE.has(code) ? 'failed' : 'refused';
    }
  }
}

/** `added` only when something is being added. */
function optionalAdded(added: FinishOutcome['added']): Pick<FinishOutcome, 'added'> {
  return added ? { added } : {};
}
