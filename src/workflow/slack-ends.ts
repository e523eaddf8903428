/**
 * Workflow steps ended over Slack (`StepEnds`): `functions.completeSuccess` with
 * the step's outputs, or `functions.completeError` with its reason, each with the step's own
 * just-in-time token, never the bot token (Slack takes only that one for a step).
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from '../shared/log';
import type { StepEnds } from './ports';
import { platformError } from '../slack/errors';

/**
 * Slack's answers that say the step can never be completed now: completed already (a second
 * completion), no longer running, its token expired or revoked, not this token's step, or outputs
 * it refuses (a defect of ours, logged as such).
 */
const NEVER: ReadonlySet<string> = new Set([
  'function_execution_not_found',
  'execution_not_in_running_state',
  'token_expired',
  'token_revoked',
  'invalid_auth',
  'access_denied',
  'parameter_validation_failed',
]);

export function slackStepEnds(client: Pick<webApi.WebClient, 'functions'>, logger: Pick<Logger, 'warn' | 'error'>): StepEnds {
  return {
    async end(executionId, token, end) {
      try {
        if ('error' in end) await client.functions.completeError({ token, function_execution_id: executionId, error: end.error });
        else await client.functions.completeSuccess({ token, function_execution_id: executionId, outputs: end.outputs });
        return 'ended';
      } catch (err) {
        const code = platformError(err);
        if (code === undefined || !NEVER.has(code)) throw err;
        if (code === 'parameter_validation_failed') logger.error({ executionId, code }, 'Slack refused a workflow step’s outputs');
        else logger.warn({ executionId, code }, 'Slack will not take this workflow step’s completion');
        return 'gone';
      }
    },
  };
}
