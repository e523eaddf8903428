import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { parseButtonValue } from '../blocks/actions';
import { renderClickFailed, renderNothingToRerun, renderRerunInProgress, renderUnknownRun } from '../blocks/clicks';
import type { RerunKind } from '../runs/types';
import type { ActionDeps } from './deps';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Rerun failed / Rerun all / a row's Rerun: acknowledged at once, then a new run in the thread. */
export function rerunAction(deps: ActionDeps, kind: RerunKind) {
  return async ({ ack, action, body, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const value = parseButtonValue(action.value);
    if (!value || (kind === 'check' && !value.check)) {
      await respond({ response_type: 'ephemeral', replace_original: false, ...renderUnknownRun(deps.commandName) });
      return;
    }
    const result = await deps.runner.rerun(value.run, kind, body.user.id, value.check);
    if (result.kind === 'unknown') {
      await respond({ response_type: 'ephemeral', replace_original: false, ...renderUnknownRun(deps.commandName) });
    } else if (result.kind === 'nothing_to_rerun') {
      await respond({ response_type: 'ephemeral', replace_original: false, ...renderNothingToRerun() });
    } else if (result.kind === 'in_progress') {
      const rerun = await deps.runner.get(result.rerun.runId);
      const permalink = rerun?.ts
        ? await client.chat
            .getPermalink({ channel: rerun.channel, message_ts: rerun.ts })
            .then((r) => r.permalink)
            .catch(() => undefined)
        : undefined;
      await respond({ response_type: 'ephemeral', replace_original: false, ...renderRerunInProgress(result.rerun, permalink) });
    } else if (result.kind === 'failed') {
      deps.logger.warn({ runId: value.run, error: result.error.kind, status: result.error.status }, 'rerun failed to start');
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        ...renderClickFailed('rerun', result.error, result.parent.target),
      });
    }
  };
}
