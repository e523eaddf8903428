/**
 * Completing workflow steps when their run ends. The runner tells of every run it ends (an observer,
 * runs/lifecycle.ts), in whichever process or replica ends it; a sweep finds what that missed (a
 * process that died between the run's end and the step's completion, a run never stored, a run still
 * going when the step's token is about to expire). Each step is claimed before it is completed
 * (book.ts), so it is completed once.
 */
import type { RunObserver } from '../runs/lifecycle';
import { tracked } from '../runs/runner-state';
import { isRunOver } from '../runs/status';
import type { Run } from '../runs/types';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import { settledWithin } from '../shared/settled';
import { messageLink } from '../shared/urls';
import { STEP_TOKEN_LIFETIME_MS, type StepBook } from './book';
import { NOT_STARTED, type StepEnd, stepEnd, stillRunning } from './outcome';
import type { StepEnds } from './ports';

/** A run still going this long after its step started gets no verdict: the step's token expires at 15 minutes. */
const STEP_DEADLINE_MS = STEP_TOKEN_LIFETIME_MS - 60_000;
/** A step whose run is still not stored this long after it started lost its process before the run began. */
const START_GRACE_MS = 2 * 60_000;

export interface StepCompleterDeps {
  book: StepBook;
  ends: StepEnds;
  runs: { read(runId: string): Promise<Run | undefined> };
  /** For the run message's link (messageLink); undefined when auth.test gave none. */
  workspaceUrl?: string;
  /** This process, as the holder of the steps it is completing. */
  processId: string;
  now: () => number;
  logger: Pick<Logger, 'info' | 'warn'>;
}

export class StepCompleter {
  private readonly inFlight = new Set<Promise<unknown>>();
  private sweeping = false;

  constructor(private readonly deps: StepCompleterDeps) {}

  /** Hears of every run that ends; a run a step started completes the step. */
  get observer(): RunObserver {
    return {
      over: (run) => {
        if (run.origin?.kind === 'workflow') void tracked(this.inFlight, this.end(run.origin.executionId, stepEnd(run, this.link(run))));
      },
    };
  }

  /**
   * Ends a step as `end` says, unless it was ended before or another process is ending it now. A
   * failure to reach Slack lets go of the step, for the sweep to try again. Never rejects.
   */
  async end(executionId: string, end: StepEnd): Promise<void> {
    const { book, ends, processId, logger } = this.deps;
    try {
      const entry = await book.claim(executionId, processId);
      if (entry?.token === undefined) return;
      let answer: 'ended' | 'gone';
      try {
        answer = await ends.end(executionId, entry.token, end);
      } catch (err) {
        logger.warn({ executionId, runId: entry.runId, err: errorText(err) }, 'could not complete a workflow step; the sweep tries again');
        await book.release(executionId, processId);
        return;
      }
      await book.ended(executionId);
      logger.info({ executionId, runId: entry.runId, outcome: 'error' in end ? 'error' : end.outputs.status, answer }, 'workflow step completed');
    } catch (err) {
      logger.warn({ executionId, err: errorText(err) }, 'could not record a workflow step; the sweep tries again');
    }
  }

  /** Finishes what the runs' ends did not: steps whose run ended unseen, was never stored, or outlasts the step's token. Never rejects. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    const { book, runs, now, logger } = this.deps;
    try {
      for (const [executionId, entry] of await book.waiting()) {
        const run = await runs.read(entry.runId);
        const waited = now() - entry.startedAt;
        if (run !== undefined && isRunOver(run)) await this.end(executionId, stepEnd(run, this.link(run)));
        else if (run === undefined && waited >= START_GRACE_MS) await this.end(executionId, NOT_STARTED);
        else if (waited >= STEP_DEADLINE_MS) await this.end(executionId, stillRunning(waited, run && this.link(run)));
      }
    } catch (err) {
      logger.warn({ err: errorText(err) }, 'the sweep could not look at the workflow steps waiting');
    } finally {
      this.sweeping = false;
    }
  }

  /** Waits, at most `timeoutMs`, for the completions under way (shutdown). */
  settle(timeoutMs: number): Promise<void> {
    return settledWithin(this.inFlight, timeoutMs);
  }

  private link(run: Run): string | undefined {
    return run.ts === undefined ? undefined : messageLink(this.deps.workspaceUrl, { channel: run.channel, ts: run.ts, threadTs: run.threadTs });
  }
}
