/**
 * GET /api/v1/runs/{id}?wait=N: the answer waits until the run is over, woken by RunEvents rather
 * than by polling; the run is read again only when woken, and every WAIT_RECHECK_MS in case a
 * notification was lost (a Redis subscriber reconnecting): a safety net, not the way answers come.
 */
import type { ServerResponse } from 'node:http';
import { isRunOver } from '../runs/status';
import type { Run } from '../runs/types';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import type { RunEvents } from './run-events';

export const WAIT_RECHECK_MS = 5_000;

export interface LongPollDeps {
  /** The run as the store has it now. */
  read(runId: string): Promise<Run | undefined>;
  events: RunEvents;
  logger: Logger;
}

export class LongPolls {
  /** The long polls open now, each with what answers it at once. */
  private readonly waiting = new Set<() => void>();
  private stopping = false;

  constructor(private readonly deps: LongPollDeps) {}

  /** Whether the app is stopping: answers go out at once, and the connections close. */
  get stopped(): boolean {
    return this.stopping;
  }

  /**
   * Shutdown: every open long poll is answered now with its run's current state, and the later ones
   * at once. Nothing of a run depends on its waiters: they ask again, elsewhere.
   */
  stop(): void {
    this.stopping = true;
    for (const answerNow of [...this.waiting]) answerNow();
  }

  /** Resolves with the run once it is over, or with the latest state when `ms` pass or the client goes. */
  waitForEnd(id: string, ms: number, res: ServerResponse): Promise<Run | undefined> {
    const { read, events, logger } = this.deps;
    return new Promise((resolve) => {
      let latest: Run | undefined;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        stop();
        clearTimeout(timer);
        clearInterval(recheck);
        res.off('close', finish);
        this.waiting.delete(answerNow);
        resolve(latest);
      };
      const answerNow = () => void look().finally(finish);
      const look = async () => {
        try {
          const run = await read(id);
          if (run) latest = run;
          if (!run || isRunOver(run)) finish();
        } catch (err) {
          logger.warn({ runId: id, err: errorText(err) }, 'reading a waited-for run failed');
        }
      };
      // Listen first, then look: an end between the two is then heard, never missed.
      const stop = events.onOver(id, () => void look());
      const timer = setTimeout(finish, ms);
      const recheck = setInterval(() => void look(), WAIT_RECHECK_MS);
      res.on('close', finish);
      this.waiting.add(answerNow);
      void look();
    });
  }
}
