/** The Workflow Builder step "Run Checkly checks": its listener, and the completion of its steps when their runs end. */
import type { App } from '@slack/bolt';
import type { GuardDeps } from '../guard';
import type { RunObserver } from '../runs/lifecycle';
import type { Records } from '../runs/records';
import type { RunService } from '../runs/service';
import type { Logger } from '../shared/log';
import { StepBook } from './book';
import { StepCompleter } from './completion';
import { STEP_CALLBACK_ID } from './inputs';
import { slackStepEnds } from './slack-ends';
import { runChecklyChecksStep } from './step';

export interface WorkflowDeps extends GuardDeps {
  runs: RunService;
  /** Where the steps waiting for their run are kept (shared by replicas with Redis). */
  records: Records;
  commandName: string;
  workspaceUrl?: string;
  processId: string;
  newId: () => string;
  now: () => number;
  logger: Logger;
}

export interface WorkflowSteps {
  /** Completes a step when its run ends: for the runner (app.ts registers it). */
  observer: RunObserver;
  /** Completes what the runs' ends did not (see StepCompleter.sweep). Never rejects. */
  sweep(): Promise<void>;
  /** Waits for the completions under way, at most `timeoutMs`. */
  settle(timeoutMs: number): Promise<void>;
}

export function registerWorkflowStep(app: App, deps: WorkflowDeps): WorkflowSteps {
  const book = new StepBook(deps.records, deps.now);
  const completer = new StepCompleter({ ...deps, book, ends: slackStepEnds(app.client, deps.logger) });
  app.function(STEP_CALLBACK_ID, ...runChecklyChecksStep({ ...deps, book, completer }));
  return { observer: completer.observer, sweep: () => completer.sweep(), settle: (ms) => completer.settle(ms) };
}
