import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { parseButtonValue } from '../blocks/actions';
import { renderCancelled, renderClickFailed, renderRunNotRunning, renderUnknownRun } from '../blocks/clicks';
import type { ActionDeps } from './deps';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Cancel (confirmed in Slack's dialog): cancels every session that is not final yet. */
export function cancelAction(deps: ActionDeps) {
  return async ({ ack, action, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const value = parseButtonValue(action.value);
    const result = value ? await deps.runner.cancel(value.run) : ({ kind: 'unknown' } as const);
    const answer =
      result.kind === 'unknown'
        ? renderUnknownRun(deps.commandName)
        : result.kind === 'not_running'
          ? renderRunNotRunning()
          : result.kind === 'failed'
            ? renderClickFailed('cancel', result.error, result.run.target)
            : renderCancelled(result.count);
    if (result.kind === 'failed') {
      deps.logger.warn({ runId: result.run.id, error: result.error.kind, cancelled: result.cancelled }, 'cancel failed');
    }
    await respond({ response_type: 'ephemeral', replace_original: false, ...answer });
  };
}
