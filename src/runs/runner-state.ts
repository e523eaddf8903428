/**
 * What the runner's parts share (runner.ts, launch.ts, settlement.ts, reruns.ts): their dependencies,
 * what this process is doing with which run, and the writes and announcements they all make.
 */
import pRetry from 'p-retry';
import type { Logger } from '../shared/log';
import { errorText } from '../shared/error-text';
import type { Dispatcher } from './dispatch';
import type { SessionFollower } from './follower';
import { RunLifecycle } from './lifecycle';
import type { CheckOutcomes } from './outcomes';
import type { CheckStates, RunMessages, SessionStarter } from './ports';
import type { RunStore } from './store';
import type { Run } from './types';

export interface RunnerDeps {
  store: RunStore;
  checkly: SessionStarter;
  messages: RunMessages;
  follower: SessionFollower;
  dispatcher: Dispatcher;
  /** A run still unfinished after this long stops being followed. */
  runTimeoutMs: number;
  /**
   * A trigger unanswered this long (from when its run was created, or its request sent) lost its
   * process: longer than a trigger with all its retries can take.
   */
  triggerTimeoutMs: number;
  /** How often `sweep` runs (it backs off final states Slack refused from this). */
  sweepIntervalMs: number;
  /** This process as the starter of the runs it starts: new at every start. */
  processId: string;
  /**
   * Whether this process is the only one on its store (SQLite): a run another process was starting
   * was then cut off, and is resolved at once. Sharing it (replicas on Redis), such a run is another
   * replica's until that replica's hold on it (`startLeaseMs`, renewed while it lives) runs out.
   */
  alone: boolean;
  /** How long a starter's hold on a run lasts without renewal (default 10 s; renewed every third of it). */
  startLeaseMs?: number;
  now: () => number;
  newId: () => string;
  logger: Logger;
  /**
   * Resolves once the requests waiting for an answer have theirs (shared/foreground.ts): a run whose
   * caller was answered on `onStored` triggers after that. Default: after the I/O already pending.
   */
  afterAnswers?: () => Promise<void>;
  /**
   * What tells a run's new failures from old ones (runs/changes.ts): the checks' states read just
   * before the trigger (waited for at most `waitMs`, default 5 s) and their outcomes in this app's
   * last runs. Without it, runs are not classified.
   */
  changes?: { states: CheckStates; outcomes: CheckOutcomes; waitMs?: number };
}

export class RunnerState {
  /** Where the runner announces what happened to runs (observers register with Runner.observe). */
  readonly lifecycle: RunLifecycle;
  /** Runs this process is starting (posting or triggering): the sweep leaves them alone. */
  readonly starting = new Set<string>();
  /** Runs whose final state this process is showing right now. */
  readonly showing = new Set<string>();
  /** Runs this process follows, each with what ends its follow. */
  readonly following = new Map<string, () => void>();
  /** The timeout of each run followed here. */
  readonly timeouts = new Map<string, NodeJS.Timeout>();
  /** Commands and clicks in flight: `drain` waits for them. */
  readonly inFlight = new Set<Promise<unknown>>();
  /** Final states being shown (update, reply, evidence, screenshots): `settle` waits for them. */
  readonly finalsInFlight = new Set<Promise<unknown>>();
  stopped = false;

  constructor(readonly deps: RunnerDeps) {
    this.lifecycle = new RunLifecycle(deps.logger);
  }

  /** A write that must not be lost to a short store outage: tried a few times over about 3 s. */
  retryStore<T>(write: () => Promise<T>): Promise<T> {
    return pRetry(write, { retries: 4, minTimeout: 200, factor: 2, randomize: false });
  }

  /** Shows a run in progress as it is now, and keeps what its message shows with it. Never rejects. */
  show(run: Run): void {
    const record = (digest: string) => this.recordShown(run.id, digest, 'will show');
    void this.deps.messages.changed(run, { beforeSend: record }).then((shown) => (shown === undefined ? undefined : this.recordShown(run.id, shown, 'shows')));
  }

  /** Keeps the digest of what a run's message shows (or is about to) with the run. Never rejects. */
  async recordShown(runId: string, digest: string, what: 'shows' | 'will show'): Promise<void> {
    await this.deps.store
      .update(runId, (r) => {
        r.shownDigest = digest;
      })
      .catch((err: unknown) => this.deps.logger.warn({ runId, err: errorText(err) }, `could not record what the message ${what}`));
  }

  /** Ends this process's follow of a run: its timer, its sessions at the follower, its waiting `follow`. */
  endFollow(runId: string): void {
    this.forget(runId);
    this.deps.follower.unfollowRun(runId);
    this.following.get(runId)?.();
  }

  forget(runId: string): void {
    clearTimeout(this.timeouts.get(runId));
    this.timeouts.delete(runId);
  }

  async deleteQuietly(runId: string): Promise<void> {
    try {
      await this.deps.store.delete(runId);
    } catch (err) {
      // The sweep resolves the row (nothing was triggered).
      this.deps.logger.warn({ runId, err: errorText(err) }, 'could not delete a run that never started');
    }
  }

  async dispatchQuietly(runId: string): Promise<void> {
    try {
      await this.deps.dispatcher.dispatch(runId);
    } catch (err) {
      this.deps.logger.warn({ runId, err: errorText(err) }, 'could not hand a run to a follower; the sweep tries again');
    }
  }
}

/** Keeps `work` in `set` until it settles. */
export function tracked<T>(set: Set<Promise<unknown>>, work: Promise<T>): Promise<T> {
  set.add(work);
  const done = () => set.delete(work);
  work.then(done, done);
  return work;
}
