/**
 * How the run messages call Slack's chat methods: which answers mean the message is gone or that the
 * trouble is Slack's own, how long a 429 asks to wait, posts within each channel's budget (tried again
 * after Retry-After), and a message rebuilt smaller when Slack finds it too long.
 */
import { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { SlackMessage } from '../blocks/message';
import { smallerSize, type MessageSize } from '../blocks/size';
import type { Logger } from '../shared/log';
import { errorText } from '../shared/error-text';
import { platformError } from './errors';
import { PostBudget } from './post-budget';

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

/** Slack's answers to chat.update (and a reply's post) that no retry can change. */
export const GONE: ReadonlySet<string> = new Set([
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
export const SLACK_TROUBLE: ReadonlySet<string> = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Tries of one post that Slack answers 429. */
const POST_ATTEMPTS = 4;

/** Milliseconds Slack asked to wait, when `err` is the Web API client's rate-limit error. */
export function rateLimitRetryMs(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; retryAfter?: unknown };
  if (e.code !== webApi.ErrorCode.RateLimitedError || typeof e.retryAfter !== 'number') return undefined;
  return Math.max(0, e.retryAfter) * 1000;
}

/** With several replicas: the budgets live in this Redis, under keys starting with `prefix`. */
export interface SharedSlackBudgets {
  redis: Redis;
  prefix: string;
}

/** The shared window options of one budget (`what`: its key's middle part), when the budgets are shared. */
export function sharedPlace(
  shared: SharedSlackBudgets | undefined,
  what: string,
  logger: Pick<Logger, 'warn'>,
): { shared?: { redis: Redis; key: string }; onSharedError?: (err: unknown) => void } {
  if (!shared) return {};
  return {
    shared: { redis: shared.redis, key: `${shared.prefix}budget:${what}` },
    onSharedError: (err: unknown) => logger.warn({ err: errorText(err) }, 'a shared Slack budget in Redis did not answer; waiting'),
  };
}

export interface PosterDeps {
  client: ChatClient;
  /** `chat.postMessage` calls per channel (default: 5 in any 5 s, Slack's "one a second, short bursts allowed"). */
  postsPerChannel?: { limit: number; windowMs: number };
  sharedBudgets?: SharedSlackBudgets;
  now: () => number;
  logger: Logger;
}

/** Posts to channels, each within its budget; a post Slack answers 429 waits its Retry-After and goes again. */
export class Poster {
  private readonly budget: PostBudget;

  constructor(private readonly deps: PosterDeps) {
    this.budget = new PostBudget({
      ...(deps.postsPerChannel ?? { limit: 5, windowMs: 5_000 }),
      now: deps.now,
      ...sharedPlace(deps.sharedBudgets, 'slack-posts:', deps.logger),
    });
  }

  /** Posts `message` in `channel` (in the thread `threadTs`), links unfurled never. */
  post(channel: string, message: SlackMessage, threadTs?: string): Promise<{ ts?: string }> {
    return this.withinBudget(channel, () =>
      this.deps.client.chat.postMessage({ channel, thread_ts: threadTs, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false }),
    );
  }

  get waiting(): number {
    return this.budget.waiting;
  }

  stop(): void {
    this.budget.stop();
  }

  private async withinBudget<T>(channel: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const ticket = await this.budget.acquire(channel, attempt > 1);
      try {
        const result = await call();
        ticket.settle(this.deps.now());
        return result;
      } catch (err) {
        ticket.settle(this.deps.now());
        const retryAfterMs = rateLimitRetryMs(err);
        if (retryAfterMs === undefined || attempt >= POST_ATTEMPTS) throw err;
        this.deps.logger.warn({ channel, retryAfterMs }, 'Slack rate-limited chat.postMessage; waiting');
        this.budget.pause(channel, this.deps.now() + retryAfterMs);
      }
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
export async function smallerWhenTooLong<T>(
  logger: Pick<Logger, 'warn'>,
  runId: string,
  size: MessageSize,
  attempt: (size: MessageSize) => Promise<T>,
): Promise<{ result: T; size: MessageSize }> {
  for (let current = size; ; ) {
    try {
      return { result: await attempt(current), size: current };
    } catch (err) {
      const next = platformError(err) === 'msg_blocks_too_long' ? smallerSize(current) : undefined;
      if (next === undefined) throw err;
      logger.warn({ runId, size: current, next }, 'Slack refused the run message as too long; building it smaller');
      current = next;
    }
  }
}
