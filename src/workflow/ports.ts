import type { StepEnd } from './outcome';

/**
 * What the workflow step needs of Slack: ending a step with its own token (implemented in
 * slack/step-ends.ts over `functions.completeSuccess` and `functions.completeError`).
 */
export interface StepEnds {
  /**
   * Ends the step. 'ended': Slack took it. 'gone': Slack will never take it (completed already, its
   * token expired or revoked, its outputs refused), so there is nothing more to try. Rejects when
   * Slack could not be reached or failed: a later try may go through.
   */
  end(executionId: string, token: string, end: StepEnd): Promise<'ended' | 'gone'>;
}
