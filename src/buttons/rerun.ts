import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { checkAccess } from '../access/check';
import { renderRefusal } from '../blocks/refusal';
import { audit, auditTarget } from '../ops/audit';
import { parseButtonValue } from '../blocks/actions';
import type { SlackMessage } from '../blocks/message';
import { renderClickFailed, renderNothingToRerun, renderRerunInProgress, renderRerunNotPosted, renderUnknownRun } from '../blocks/clicks';
import type { RerunOutcome } from '../runs/service';
import type { RerunKind } from '../runs/types';
import type { ActionDeps } from './deps';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Rerun failed / Rerun all / a row's Rerun: acknowledged at once, then a new run in the thread. */
export function rerunAction(deps: ActionDeps, kind: RerunKind) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const answer = (message: object) => respond({ response_type: 'ephemeral', replace_original: false, ...message });
    const value = parseButtonValue(action.value);
    if (!value || (kind === 'check' && !value.check)) {
      await answer(renderUnknownRun(deps.commandName));
      return;
    }
    const parent = await deps.runs.read(value.run);
    const channelId = body.channel?.id ?? parent?.channel ?? '';
    const who = { userId: body.user.id, teamId: body.team?.id ?? parent?.teamId ?? '', channelId, fromRunId: value.run, via: 'button' as const };
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
      await answer(renderRefusal(decision));
      return;
    }
    const result = parent ? await deps.runs.rerun({ parent, kind, checkId: value.check, requester: body.user.id }) : ({ kind: 'unknown' } as const);
    audit(deps.logger, {
      action: 'rerun',
      ...who,
      target: result.kind === 'started' ? auditTarget(result.run.target) : parent ? auditTarget(parent.target) : '',
      runId: result.kind === 'started' ? result.run.id : undefined,
      sessions: result.kind === 'started' ? result.run.sessions.map((s) => s.sessionId) : [],
      outcome: result.kind,
      reason: result.kind === 'failed' ? result.error.kind : undefined,
    });
    if (result.kind === 'failed') {
      deps.logger.warn({ runId: value.run, error: result.error.kind, status: result.error.status }, 'rerun failed to start');
    }
    const reply = rerunReply(result, deps.commandName);
    if (reply) await answer(reply);
  };
}

/** What the clicker is told; a rerun that started says so in its own message, in the thread. */
function rerunReply(result: RerunOutcome | { kind: 'unknown' }, commandName: string): SlackMessage | undefined {
  switch (result.kind) {
    case 'unknown':
      return renderUnknownRun(commandName);
    case 'not_posted':
      return renderRerunNotPosted();
    case 'nothing_to_rerun':
      return renderNothingToRerun();
    case 'in_progress':
      return renderRerunInProgress(result.rerun, result.permalink);
    case 'failed':
      return renderClickFailed('rerun', result.error, result.parent.target);
    case 'started':
      return undefined;
  }
}
