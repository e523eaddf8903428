import { placeQueue } from '../budget/places';
import type { SharedBudgetPlace } from '../budget/redis-window';
import type { PlaceQueue } from '../budget/shared-window-queue';
import { SlidingWindow, type WindowTicket } from '../budget/sliding-window';

export interface PostBudgetOptions {
  /** Posts per channel in any `windowMs`: Slack allows about one a second, with short bursts. */
  limit: number;
  windowMs: number;
  /** Each channel's window in Redis (a sorted set at `key` + channel id), shared by every replica. */
  shared?: SharedBudgetPlace;
  /** Redis did not answer a shared budget (it is asked again a second later). */
  onSharedError?: (err: unknown) => void;
  now?: () => number;
}

interface Channel {
  window: SlidingWindow;
  queue: PlaceQueue;
}

/** Longest a post may stay unanswered, its client's retries included: a shared place counts that long at most. */
const POST_OPEN_MS = 60_000;

/** Channels kept before idle ones are forgotten. */
const PRUNE_ABOVE = 500;

/**
 * `chat.postMessage` per channel, first come first served: a burst of runs started in one channel
 * posts its messages as fast as Slack takes them instead of collecting 429s. A post counts until
 * `windowMs` after Slack answered it (settle the ticket then; cancel it if nothing was sent).
 */
export class PostBudget {
  private readonly channels = new Map<string, Channel>();
  private readonly now: () => number;

  constructor(private readonly options: PostBudgetOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A place for one post; a retry (after a 429) goes before first tries, having waited longest. */
  acquire(channel: string, retry = false): Promise<WindowTicket> {
    return this.channel(channel).queue.acquire(retry ? 0 : 1);
  }

  /** Slack said to come back at `at` for this channel. */
  pause(channel: string, at: number): void {
    this.channel(channel).queue.pauseUntil(at);
  }

  get waiting(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.queue.waiting;
    return n;
  }

  stop(): void {
    for (const c of this.channels.values()) c.queue.stop();
  }

  private channel(id: string): Channel {
    let c = this.channels.get(id);
    if (!c) {
      if (this.channels.size >= PRUNE_ABOVE) this.prune();
      const { limit, windowMs, shared } = this.options;
      const window = new SlidingWindow(limit, windowMs);
      const queue = placeQueue({
        window,
        reserves: [0, 0],
        ...(shared && { shared: { redis: shared.redis, key: `${shared.key}${id}`, openMs: POST_OPEN_MS } }),
        onSharedError: this.options.onSharedError,
        now: this.now,
      });
      c = { window, queue };
      this.channels.set(id, c);
    }
    return c;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, c] of this.channels) {
      // Shared, the window lives in Redis: an idle channel is forgotten once nobody here waits.
      if (c.queue.waiting === 0 && (this.options.shared !== undefined || c.window.used(now) === 0)) this.channels.delete(id);
    }
  }
}
