import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from '../log';
import type { Dispatcher, FollowRun } from './dispatch';
import type { RunStore } from './store';

export interface BullDispatcherOptions {
  redis: Redis;
  prefix: string;
  store: RunStore;
  logger: Logger;
  /**
   * How long a replica's claim on a run lasts without renewal. A replica that dies loses its runs
   * after at most lockMs + lockMs (the stalled check's interval): 20 s with the default.
   */
  lockMs?: number;
  /** Runs one replica follows at once. */
  concurrency?: number;
}

interface FollowJob {
  runId: string;
}

const QUEUE = 'follow';

/**
 * Several replicas on one Redis: each run to follow is a BullMQ job whose id is the run's id, so a
 * run is queued once and held by exactly one worker at a time. The worker's lock is renewed while
 * it follows the run; when a replica dies, BullMQ's stalled-job check gives its runs to another.
 */
export class BullDispatcher implements Dispatcher {
  private readonly queue: Queue<FollowJob>;
  private worker?: Worker<FollowJob>;
  private readonly shutdown = new AbortController();

  constructor(private readonly options: BullDispatcherOptions) {
    this.queue = new Queue<FollowJob>(QUEUE, { connection: options.redis, prefix: trimColon(options.prefix) });
  }

  async start(follow: FollowRun): Promise<void> {
    const { redis, prefix, logger } = this.options;
    const lockMs = this.options.lockMs ?? 10_000;
    this.worker = new Worker<FollowJob>(QUEUE, (job, token) => this.process(job, token, follow), {
      // Workers block on Redis: they need a connection of their own, which BullMQ makes from this one.
      connection: redis.duplicate({ maxRetriesPerRequest: null }),
      prefix: trimColon(prefix),
      concurrency: this.options.concurrency ?? 500,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // A run may outlive several replicas: never give up on it for having stalled.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      autorun: true,
    });
    this.worker.on('error', (err) => logger.warn({ err: err.message }, 'follow worker error'));
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

  private async process(job: Job<FollowJob>, token: string | undefined, follow: FollowRun): Promise<void> {
    await follow(job.data.runId, this.shutdown.signal);
    if (this.shutdown.signal.aborted) {
      // Not over, but this replica is stopping: put the run back for whoever comes next, at once.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
  }

  async stop(): Promise<void> {
    this.shutdown.abort();
    await this.worker?.close();
    await this.queue.close();
  }
}

function trimColon(prefix: string): string {
  return prefix.replace(/:+$/, '');
}
