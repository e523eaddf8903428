import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { checkAccess } from '../access/check';
import { renderRefusal } from '../blocks/refusal';
import { audit, auditStart, auditTarget } from '../ops/audit';
import { renderNotInChannel, renderStartFailed } from '../blocks/ephemeral';
import { renderCatalogueUnavailable, renderChecksGone, parseRunValue } from '../blocks/listing';
import { renderUnknownRun } from '../blocks/clicks';
import type { FindDeps } from '../picker/deps';
import { getCheck } from '../checkly/catalogue';
import { NotFoundError, toRunError } from '../checkly/errors';
import type { Target } from '../runs/types';
import { errorText } from '../shared/error-text';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/**
 * A Run button of `/checkly checks` or `/checkly failing`: a run of those checks in the channel, like
 * `/checkly run --check …`. The checks are looked up again first: the list may be minutes old, and a
 * deleted check deserves a clear note rather than a run message that says nothing matched.
 */
export function runListedAction(deps: FindDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const note = (message: object) => respond({ response_type: 'ephemeral', replace_original: false, ...deps.redact(message) });
    const checkIds = parseRunValue(action.value);
    const channel = body.channel?.id;
    if (!checkIds || !channel) {
      await note(renderUnknownRun(deps.commandName));
      return;
    }
    const target: Target = { tags: [], checkIds, all: false };
    const who = { userId: body.user.id, teamId: body.team?.id ?? '', channelId: channel, via: 'button' as const };
    const decision = await checkAccess(deps.access, { action: 'run', userId: body.user.id, channelId: channel, target });
    if (!decision.allowed) {
      deps.metrics.refused(decision.rule);
      audit(deps.logger, { action: 'trigger', ...who, target: auditTarget(target), sessions: [], outcome: 'refused', reason: decision.rule });
      await note(renderRefusal(decision));
      return;
    }
    const looked = await Promise.allSettled(checkIds.map((id) => getCheck(deps.checkly, id)));
    const gone = checkIds.filter((_, i) => {
      const r = looked[i]!;
      return r.status === 'rejected' && r.reason instanceof NotFoundError;
    });
    if (gone.length > 0) {
      const names = deps.catalogue.peek()?.value.checks;
      await note(renderChecksGone(gone.map((id) => names?.find((c) => c.id === id)?.name ?? id), deps.commandName));
      return;
    }
    const failed = looked.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await note(renderCatalogueUnavailable(toRunError(failed.reason), false));
      return;
    }
    try {
      const started = await deps.runs.start({ teamId: who.teamId, channel, requester: body.user.id, target, refreshCache: false, origin: { kind: 'button', userId: body.user.id } });
      auditStart(deps.logger, who, target, started);
      if ('unreachable' in started) await note(renderNotInChannel(deps.commandName, started.unreachable));
    } catch (err) {
      deps.logger.error({ err: errorText(err), channel }, 'starting a run from a list failed');
      await note(renderStartFailed());
    }
  };
}
