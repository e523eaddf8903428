import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { checkAccess } from '../access/check';
import { renderRefusal } from '../blocks/refusal';
import { audit, auditTarget } from '../ops/audit';
import { parseButtonValue } from '../blocks/actions';
import { renderCancelled, renderClickFailed, renderRunNotRunning, renderUnknownRun } from '../blocks/clicks';
import type { ActionDeps } from './deps';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Cancel (confirmed in Slack's dialog): cancels every session that is not final yet. */
export function cancelAction(deps: ActionDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const value = parseButtonValue(action.value);
    const run = value ? await deps.runs.read(value.run) : undefined;
    const channelId = body.channel?.id ?? run?.channel ?? '';
    const who = { userId: body.user.id, teamId: body.team?.id ?? run?.teamId ?? '', channelId, runId: run?.id, target: run ? auditTarget(run.target) : '', via: 'button' as const };
    const decision = await checkAccess(deps.access, { action: 'cancel', userId: body.user.id, channelId });
    if (!decision.allowed) {
      deps.metrics.refused(decision.rule);
      audit(deps.logger, { action: 'cancel', ...who, sessions: [], outcome: 'refused', reason: decision.rule });
      await respond({ response_type: 'ephemeral', replace_original: false, ...renderRefusal(decision) });
      return;
    }
    const result = run ? await deps.runs.cancel(run) : ({ kind: 'unknown' } as const);
    audit(deps.logger, { action: 'cancel', ...who, sessions: result.kind === 'cancelled' || result.kind === 'failed' ? result.pending : [], outcome: result.kind });
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
