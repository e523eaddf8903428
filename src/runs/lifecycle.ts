/**
 * The way back: what happened to a run, told by the runner (its one writer) to whoever listens.
 * app.ts registers the listeners: the metrics (ops/run-metrics.ts) and the run API's waiters
 * (api/run-events.ts). A listener only listens: it cannot change the run, and its failure is its own.
 */
import type { Logger } from '../shared/log';
import { errorText } from '../shared/error-text';
import type { Run } from './types';

export interface RunObserver {
  /** The run's message went up: its first post, or a final state posted where there was none. */
  posted?(run: Run): void;
  /** The runner recorded a new state of a run in progress (its sessions, a result, a rerun's line). */
  changed?(run: Run): void;
  /** The runner recorded the run over: once, by the process that ended it. */
  over?(run: Run): void;
}

export class RunLifecycle {
  private readonly observers: RunObserver[] = [];

  constructor(private readonly logger: Pick<Logger, 'warn'>) {}

  observe(observer: RunObserver): void {
    this.observers.push(observer);
  }

  posted(run: Run): void {
    this.tell('posted', run);
  }

  changed(run: Run): void {
    this.tell('changed', run);
  }

  over(run: Run): void {
    this.tell('over', run);
  }

  private tell(event: keyof RunObserver, run: Run): void {
    for (const observer of this.observers) {
      try {
        observer[event]?.(run);
      } catch (err) {
        this.logger.warn({ runId: run.id, event, err: errorText(err) }, 'a run observer failed');
      }
    }
  }
}
