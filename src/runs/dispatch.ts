import type { Logger } from '../shared/log';
import type { RunStore } from './store';
import { errorText } from '../shared/error-text';

/** Follows one run until it is over, or until `signal` asks to hand it over. */
export type FollowRun = (runId: string, signal: AbortSignal) => Promise<void>;

/**
 * Decides which process follows which run: exactly one at a time, and another one takes a run over
 * when its follower stops or dies.
 */
export interface Dispatcher {
  /** Makes sure some process follows the run until it is over. */
  dispatch(runId: string): Promise<void>;
  /** Starts following runs, including the unfinished ones already in the store. */
  start(follow: FollowRun): Promise<void>;
  /** Stops following and hands every run over (to the next start, or to another replica). */
  stop(): Promise<void>;
}

/** One process: it follows every run itself, and on start picks up the unfinished runs in the store. */
export class LocalDispatcher implements Dispatcher {
  private follow?: FollowRun;
  private stopped = false;
  private readonly active = new Map<string, { abort: AbortController; done: Promise<void> }>();

  constructor(
    private readonly store: RunStore,
    private readonly logger: Logger,
  ) {}

  async start(follow: FollowRun): Promise<void> {
    this.follow = follow;
    const unfinished = await this.store.listUnfinished();
    if (unfinished.length > 0) this.logger.info({ runs: unfinished.length }, 'resuming unfinished runs');
    for (const run of unfinished) await this.dispatch(run.id);
  }

  async dispatch(runId: string): Promise<void> {
    if (!this.follow) throw new Error('dispatcher not started');
    // Stopping: the next process follows it.
    if (this.stopped || this.active.has(runId)) return;
    const abort = new AbortController();
    const done = this.follow(runId, abort.signal)
      .catch((err: unknown) => {
        this.logger.error({ runId, err: errorText(err) }, 'following a run failed');
      })
      .finally(() => this.active.delete(runId));
    this.active.set(runId, { abort, done });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const following = [...this.active.values()];
    for (const { abort } of following) abort.abort();
    await Promise.all(following.map((f) => f.done));
  }
}
