import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { checkAccess } from '../access/check';
import { renderRefusal } from '../blocks/refusal';
import { audit, auditTarget } from '../audit';
import { parseButtonValue } from '../blocks/actions';
import { renderClickFailed, renderNothingToRerun, renderRerunInProgress, renderRerunNotPosted, renderUnknownRun } from '../blocks/clicks';
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
    const parent = await deps.runner.get(value.run);
    const channelId = body.channel?.id ?? parent?.channel ?? '';
    const who = { userId: body.user.id, teamId: body.team?.id ?? parent?.teamId ?? '', channelId, fromRunId: value.run };
    const decision = await checkAccess(deps.access, {
      action: 'rerun',
      userId: body.user.id,
      channelId,
      // Only Rerun all can repeat an --all run; the others name check IDs.
      target: kind === 'all' ? parent?.target : undefined,
    });
    if (!decision.allowed) {
      deps.metrics.refused(decision.rule);
      audit(deps.logger, { action: 'rerun', ...who, target: parent ? auditTarget(parent.target) : '', sessions: [], outcome: 'refused', reason: decision.rule });
      await respond({ response_type: 'ephemeral', replace_original: false, ...renderRefusal(decision.reason) });
      return;
    }
    const result = await deps.runner.rerun(value.run, kind, body.user.id, value.check);
    audit(deps.logger, {
      action: 'rerun',
      ...who,
      target: result.kind === 'started' ? auditTarget(result.run.target) : parent ? auditTarget(parent.target) : '',
      runId: result.kind === 'started' ? result.run.id : undefined,
      sessions: result.kind === 'started' ? result.run.sessions.map((s) => s.sessionId) : [],
      outcome: result.kind,
      reason: result.kind === 'failed' ? result.error.kind : undefined,
    });
    if (result.kind === 'unknown') {
      await respond({ response_type: 'ephemeral', replace_original: false, ...renderUnknownRun(deps.commandName) });
    } else if (result.kind === 'not_posted') {
      await respond({ response_type: 'ephemeral', replace_original: false, ...renderRerunNotPosted() });
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
