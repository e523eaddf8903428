/**
 * How a workflow step ends, from its run: the outputs a workflow branches on when the run has a
 * verdict (`functions.completeSuccess`), or the reason in words when it has none
 * (`functions.completeError`). Pure; the outputs are those manifest.yml declares.
 */
import { channelUnreachableText } from '../blocks/refusal';
import { runErrorSummary } from '../blocks/run-error';
import { runSummaryLine } from '../blocks/run';
import { isFailing, runOutcome } from '../runs/status';
import type { Run } from '../runs/types';

/** The verdict: the run API's words for a final run; `error` for a run the app stopped following without one. */
export type StepStatus = 'passed' | 'failed' | 'degraded' | 'cancelled' | 'error';

export interface StepOutputs {
  status: StepStatus;
  /** The run message's link. */
  permalink: string;
  /** Checks that passed. */
  passed: number;
  /** Checks that failed or timed out (degraded ones count in neither). */
  failed: number;
  /** The run in one line, as its message's fallback text says it. */
  summary: string;
  [name: string]: unknown;
}

export type StepEnd = { outputs: StepOutputs } | { error: string };

/** The step's end for a run that is over. */
export function stepEnd(run: Run, permalink: string | undefined): StepEnd {
  const see = permalink !== undefined ? ` See ${permalink}` : '';
  if (run.phase === 'error') {
    const cutOff = run.error?.kind === 'interrupted' || run.error?.kind === 'not_started' || run.error?.kind === 'not_posted';
    const why = runErrorSummary(run.error, run.target);
    return { error: `${cutOff ? 'This run was cut off while starting' : 'Checkly could not start this run'}: ${why}.${see}` };
  }
  if (permalink === undefined) return { error: 'The run’s message could not be linked.' };
  const outcome = runOutcome(run);
  return {
    outputs: {
      status: outcome === 'abandoned' || outcome === 'error' ? 'error' : outcome,
      permalink,
      passed: run.sessions.filter((s) => s.status === 'PASSED').length,
      failed: run.sessions.filter((s) => isFailing(s.status) && s.status !== 'DEGRADED').length,
      summary: runSummaryLine(run),
    },
  };
}

/** A step whose run is still going when Slack's token for it is about to expire: no verdict can be given. */
export function stillRunning(waitedMs: number, permalink: string | undefined): StepEnd {
  const minutes = Math.round(waitedMs / 60_000);
  const see = permalink !== undefined ? ` Its results will be at ${permalink}` : '';
  return { error: `The run was still going after ${minutes} minutes, the longest a workflow step can wait for it.${see}` };
}

/** A step whose run was never stored: the app stopped before starting it. */
export const NOT_STARTED: StepEnd = { error: 'The app restarted before it started this run: nothing was triggered. Run the workflow again.' };

/** A step whose start failed in this process for a reason of the app's own (logged). */
export const START_FAILED: StepEnd = { error: 'The Checkly app could not start this run. Try again later.' };

/** A step whose run Slack would not post in its channel (Slack's reason): nothing was triggered. */
export function notPosted(channel: string, why: string): StepEnd {
  return { error: channelUnreachableText(channel, why) };
}
