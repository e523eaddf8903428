/**
 * The way back: what happened to a run, told by the runner (its one writer) to whoever listens.
 * app.ts registers the listeners: the metrics (ops/run-metrics.ts), the audit trail
 * (ops/run-audit.ts) and the run API's waiters (api/run-events.ts). A listener only listens: it
 * cannot change the run, and its failure is its own.
 */
import type { Logger } from '../shared/log';
import { errorText } from '../shared/error-text';
import type { Unreachable } from './ports';
import type { Run } from './types';

export interface RunObserver {
  /** The run's message went up: its first post, or a final state posted where there was none. */
  posted?(run: Run): void;
  /**
   * A run asked for (Runner.start; a rerun's outcome is its own answer) came as far as it goes at
   * once: its sessions triggered, or ended without (Checkly's error, a post Slack did not answer).
   */
  started?(run: Run): void;
  /** A run asked for could not be posted in its channel (Slack's reason): nothing was triggered or kept. */
  unreachable?(run: Run, why: Unreachable): void;
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

  started(run: Run): void {
    this.tell('started', run);
  }

  unreachable(run: Run, why: Unreachable): void {
    this.tell('unreachable', run, why);
  }

  changed(run: Run): void {
    this.tell('changed', run);
  }

  over(run: Run): void {
    this.tell('over', run);
  }

  private tell(event: keyof RunObserver, run: Run, why: Unreachable = ''): void {
    for (const observer of this.observers) {
      try {
        observer[event]?.(run, why);
      } catch (err) {
        this.logger.warn({ runId: run.id, event, err: errorText(err) }, 'a run observer failed');
      }
    }
  }
}
