/**
 * "This run is over", told to whoever waits for it (GET /api/v1/runs/{id}?wait=N), without polling
 * the store: the runner says so in this process (RunEvents observes it, runs/lifecycle.ts), and with
 * Redis every replica publishes it on one channel, so that a replica that did not follow the run
 * answers too.
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/log';
import { isRunOver } from '../runs/status';
import type { RunObserver } from '../runs/lifecycle';
import type { Run } from '../runs/types';
import { errorText } from '../shared/error-text';

/** Another way to hear of runs that end on other replicas. */
export interface RunOverBus {
  publish(runId: string): void;
  /** Starts hearing; `heard` is called with each run id published by any replica. */
  listen(heard: (runId: string) => void): Promise<void>;
  close(): Promise<void>;
}

export class RunEvents implements RunObserver {
  private readonly emitter = new EventEmitter();

  constructor(private readonly bus?: RunOverBus) {
    // One listener per waiting request: a hundred waiting clients are normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    await this.bus?.listen((runId) => this.emitter.emit(runId));
  }

  /** The runner recorded a run over in this process: it is announced here and to the other replicas. */
  over(run: Run): void {
    if (!isRunOver(run)) return;
    this.emitter.emit(run.id);
    this.bus?.publish(run.id);
  }

  /** Calls `listener` when the run may be over; returns what stops listening. */
  onOver(runId: string, listener: () => void): () => void {
    this.emitter.on(runId, listener);
    return () => this.emitter.off(runId, listener);
  }

  /** Listeners waiting, for tests and metrics. */
  get waiting(): number {
    return this.emitter.eventNames().reduce((sum, name) => sum + this.emitter.listenerCount(name), 0);
  }

  close(): Promise<void> {
    this.emitter.removeAllListeners();
    return this.bus?.close() ?? Promise.resolve();
  }
}

/** Redis pub/sub on `<prefix>runs:over`, with a connection of its own (a subscribed one can do nothing else). */
export class RedisRunOverBus implements RunOverBus {
  private subscriber?: Redis;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  private get channel(): string {
    return `${this.prefix}runs:over`;
  }

  publish(runId: string): void {
    this.redis.publish(this.channel, runId).catch((err: unknown) => {
      // A waiter elsewhere then answers at its next look at the store (see WAIT_RECHECK_MS).
      this.logger.warn({ runId, err: errorText(err) }, 'could not publish the end of a run');
    });
  }

  async listen(heard: (runId: string) => void): Promise<void> {
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'redis subscriber connection error'));
    subscriber.on('message', (channel: string, runId: string) => {
      if (channel === this.channel) heard(runId);
    });
    await subscriber.subscribe(this.channel);
  }

  async close(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }
}
