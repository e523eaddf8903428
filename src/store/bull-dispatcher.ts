import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from '../shared/log';
import type { Dispatcher, FollowRun } from '../runs/dispatch';
import type { RunStore } from '../runs/store';

export interface BullDispatcherDeps {
  redis: Redis;
  prefix: string;
  store: RunStore;
  logger: Logger;
  /**
   * How long a replica's claim on a run lasts without renewal. A replica that dies loses its runs
   * after at most lockMs + lockMs (the stalled check's interval): 20 s with the default.
   */
  lockMs?: number;
  /**
   * Runs one replica follows at once; more wait in the queue (never dropped) until a place frees
   * or another replica takes them. Following is cheap (the follower polls), so this is generous.
   */
  concurrency?: number;
}

interface FollowJob {
  runId: string;
}

const QUEUE = 'follow';
/** A run handed back on stop is due this long after: picked up by another replica, not this one. */
const HAND_BACK_DELAY_MS = 1000;

/**
 * Several replicas on one Redis: each run to follow is a BullMQ job whose id is the run's id, so a
 * run is queued once and held by exactly one worker at a time. The worker's lock is renewed while
 * it follows the run; when a replica dies, BullMQ's stalled-job check gives its runs to another.
 */
export class BullDispatcher implements Dispatcher {
  private readonly queue: Queue<FollowJob>;
  private worker?: Worker<FollowJob>;
  private stopping = false;
  private active = 0;
  private readonly processing = new Set<Promise<void>>();
  private connection?: Redis;
  private stopped?: Promise<void>;

  constructor(private readonly options: BullDispatcherDeps) {
    this.queue = new Queue<FollowJob>(QUEUE, { connection: options.redis, prefix: trimColon(options.prefix) });
  }

  private get concurrency(): number {
    return this.options.concurrency ?? 500;
  }

  async start(follow: FollowRun): Promise<void> {
    const { redis, prefix, logger } = this.options;
    const lockMs = this.options.lockMs ?? 10_000;
    const concurrency = this.concurrency;
    // Workers block on Redis: they need a connection of their own, which BullMQ makes from this one.
    this.connection = redis.duplicate({ maxRetriesPerRequest: null });
    // The processor takes the job's own signal (three parameters): aborted when this replica lost
    // the job's lock (another one follows it now) or is stopping.
    this.worker = new Worker<FollowJob>(QUEUE, (job, token, signal) => this.handing(this.process(job, token, signal, follow)), {
      connection: this.connection,
      prefix: trimColon(prefix),
      concurrency,
      lockDuration: lockMs,
      // BullMQ moves a job back only at the second check that finds its lock gone: with a check every
      // half lock, a dead replica's runs are taken over within about two locks (20 s), not three.
      stalledInterval: Math.max(1, Math.floor(lockMs / 2)),
      // A run may outlive several replicas: never give up on it for having stalled.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      autorun: true,
    });
    const worker = this.worker;
    worker.on('error', (err) => logger.warn({ err: err.message }, 'follow worker error'));
    // A lock not renewed (Redis away too long) means another replica may follow the run now: stop at once.
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const id of jobIds) worker.cancelJob(id, 'lock lost');
      logger.warn({ runs: jobIds.length }, 'lost the lock of runs followed here; another replica takes them');
    });

    await this.worker.waitUntilReady();
    // Runs whose starter died between trigger and dispatch have no job yet: queue them (ids dedupe).
    for (const run of await this.options.store.listUnfinished()) await this.dispatch(run.id);
  }

  async dispatch(runId: string): Promise<void> {
    await this.queue.add(
      'follow',
      { runId },
      { jobId: runId, removeOnComplete: true, removeOnFail: true, attempts: 1_000_000, backoff: { type: 'fixed', delay: 1000 } },
    );
  }

  private async process(job: Job<FollowJob>, token: string | undefined, signal: AbortSignal | undefined, follow: FollowRun): Promise<void> {
    const own = signal ?? new AbortController().signal;
    this.active += 1;
    // Runs beyond the concurrency wait in the queue, never dropped: say so, the operator may want more replicas.
    if (this.active === this.concurrency) {
      this.options.logger.warn({ concurrency: this.concurrency }, 'following as many runs as allowed; more wait in the queue');
    }
    try {
      // A job fetched while this replica stops is handed back without being followed.
      if (!this.stopping) await follow(job.data.runId, own);
    } finally {
      this.active -= 1;
    }
    if (this.stopping) {
      // Not over, but this replica is stopping: put the run back for whoever comes next. Due in a
      // moment rather than now: due now, this worker's own fetch in flight would take it again.
      await job.moveToDelayed(Date.now() + HAND_BACK_DELAY_MS, token);
      throw new DelayedError();
    }
    // Lock lost: another replica holds the job now; this attempt just ends.
    if (own.aborted) throw new Error('lock lost: the run is followed elsewhere');
  }

  /** Keeps the runs being processed, so that stop can wait for them to be handed back. */
  private handing(work: Promise<void>): Promise<void> {
    this.processing.add(work);
    const done = () => this.processing.delete(work);
    work.then(done, done);
    return work;
  }

  stop(): Promise<void> {
    this.stopped ??= this.close();
    return this.stopped;
  }

  private async close(): Promise<void> {
    this.stopping = true;
    // Paused first: a run handed back must not be fetched again by this very worker.
    await this.worker?.pause(true);
    this.worker?.cancelAllJobs('stopping');
    // Every run handed back to the queue before the worker closes: closing first can leave the
    // hand-back waiting on a connection that is going away, and the close waiting on it.
    await Promise.allSettled([...this.processing]);
    // Nothing is left to wait for: a graceful close would also wait for the blocking fetch of the
    // next job, which can outlast the shutdown deadline.
    await this.worker?.close(true);
    await this.queue.close();
    // Made here, so closed here (a worker leaves a connection it was given open).
    await this.connection?.quit().catch(() => undefined);
  }
}

function trimColon(prefix: string): string {
  return prefix.replace(/:+$/, '');
}
