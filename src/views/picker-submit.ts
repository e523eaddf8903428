import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { checkAccess } from '../access/check';
import { audit, auditTarget } from '../audit';
import { choiceErrors, choiceFromState, modalError, parseMetadata } from '../blocks/picker';
import { refusalText } from '../blocks/refusal';
import type { FindDeps } from '../listener-deps';
import { readyStatus, within, type PickerStatus } from '../catalogue/picker-status';
import { startUntilPosted } from './start-until-posted';
import { toRunError } from '../checkly/errors';
import type { Unreachable } from '../runs/ports';

type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** Slack closes the modal with an error after 3 s: what the submission may spend before answering. */
const CATALOGUE_WAIT_MS = 1000;
const POST_WAIT_MS = 1500;

/** Why the run could not be posted, in the modal (plain text). */
function unreachableText(why: Unreachable): string {
  switch (why) {
    case 'not_in_channel':
      return 'I can’t post in that channel because I’m not a member of it. Invite me with /invite @Checkly, then try again. Nothing was triggered.';
    case 'channel_not_found':
      return 'I can’t see that conversation: private channels and direct messages need /invite @Checkly first. Nothing was triggered.';
    default:
      return `Slack does not let me post in that conversation (${why}): it may be archived, read-only, or closed to apps. Nothing was triggered.`;
  }
}

/**
 * "Run" in the picker: the same run as `/checkly run` would start, in the channel the modal came from.
 * Anything that stops it (no match, a refusal, a channel the bot cannot post in) is said inside the
 * modal, and nothing is triggered.
 */
export function pickerSubmit(deps: FindDeps) {
  return async ({ ack, view, body }: SubmitArgs): Promise<void> => {
    const meta = parseMetadata(view.private_metadata);
    if (!meta) {
      await ack({ response_action: 'errors', errors: modalError('This form lost track of its channel: close it and type the command again.') });
      return;
    }
    const choice = choiceFromState(view.state.values);
    let status: PickerStatus;
    try {
      const served = deps.catalogue.peek() ?? (await within(deps.catalogue.get(), CATALOGUE_WAIT_MS));
      status = served ? readyStatus(served, choice) : { kind: 'loading' };
    } catch (err) {
      status = { kind: 'unavailable', said: toRunError(err).message };
    }
    const errors = choiceErrors(status);
    if (errors || status.kind !== 'ready' || status.resolved.kind !== 'ok') {
      await ack({ response_action: 'errors', errors: errors ?? modalError('Nothing to run.') });
      return;
    }
    const { target } = status.resolved;
    const who = { userId: body.user.id, teamId: body.team?.id ?? view.team_id, channelId: meta.channel, via: 'modal' as const };
    const decision = await checkAccess(deps.access, { action: 'run', userId: who.userId, channelId: meta.channel, target });
    if (!decision.allowed) {
      deps.metrics.refused(decision.rule);
      audit(deps.logger, { action: 'trigger', ...who, target: auditTarget(target), sessions: [], outcome: 'refused', reason: decision.rule });
      // The reason is mrkdwn for a message; a modal error is plain text.
      await ack({ response_action: 'errors', errors: modalError(refusalText(decision).replace(/[*_`]/g, '')) });
      return;
    }

    // The run posts its message before triggering: wait for that much, so that a channel the bot
    // cannot post in is said here, while the modal is still open.
    const request = {
      teamId: who.teamId,
      channel: meta.channel,
      requester: who.userId,
      target,
      refreshCache: choice.refreshCache,
      origin: { kind: 'modal' as const, userId: who.userId },
    };
    const { posting, done } = await startUntilPosted(deps, request, who, target, POST_WAIT_MS);
    if (posting.kind === 'unreachable') {
      await ack({ response_action: 'errors', errors: modalError(unreachableText(posting.why)) });
      return;
    }
    if (posting.kind === 'failed') {
      await ack({ response_action: 'errors', errors: modalError('Something went wrong while starting this run; nothing was triggered. Try again in a minute.') });
      return;
    }
    await ack();
    if (posting.kind === 'pending') {
      // Slack was slow to take the post: the modal is closed, and an unreachable channel can only be logged.
      void done.then((result) => {
        if (result && 'unreachable' in result) {
          deps.logger.warn({ channel: meta.channel, why: result.unreachable }, 'a run from the picker could not be posted after the modal closed; nothing was triggered');
        }
      });
    }
  };
}
