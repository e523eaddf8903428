import type { AllMiddlewareArgs, Middleware, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { guarded } from '../guard/slack';
import { auditTarget } from '../ops/audit';
import { choiceErrors, choiceFromState, modalError, parseMetadata, renderPickerNote, renderPickerPending } from '../blocks/picker';
import { refusalText } from '../blocks/refusal';
import type { PickerDeps } from './deps';
import { readyStatus, within, type PickerStatus } from './status';
import { type Posting, startUntilPosted } from './start-until-posted';
import { errorText } from '../shared/error-text';
import type { Unreachable } from '../runs/ports';
import { runErrorOf, type Target } from '../runs/types';

type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction>;

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

/** The choice made in the modal, resolved to a target, and where it runs (`resolve` puts it in the context). */
interface Chosen {
  target: Target;
  refreshCache: boolean;
  channel: string;
  who: { userId: string; teamId: string; channelId: string; via: 'modal' };
}

const chosenOf = (args: { context: AllMiddlewareArgs['context'] }): Chosen => args.context.chosen as Chosen;

/**
 * "Run" in the picker: the same run as `/checkly run` would start, in the channel the modal came from.
 * Anything that stops it (no match, a refusal, a channel the bot cannot post in) is said inside the
 * modal, and nothing is triggered.
 */
export function pickerSubmit(deps: PickerDeps): Array<Middleware<SubmitArgs>> {
  return [
    resolve(deps),
    guarded<SubmitArgs>(
      deps,
      (args) => {
        const { target, channel, who } = chosenOf(args);
        return {
          request: { action: 'run', userId: who.userId, channelId: channel, target },
          audit: { action: 'trigger', ...who, target: auditTarget(target) },
        };
      },
      async ({ ack }, refusal) => {
        // The reason is mrkdwn for a message; a modal error is plain text.
        await ack({ response_action: 'errors', errors: modalError(refusalText(refusal).replace(/[*_`]/g, '')) });
      },
    ),
    start(deps),
  ];
}

/** The choice resolved against the catalogue; anything that leaves nothing to run is said in the modal. */
function resolve(deps: PickerDeps): Middleware<SubmitArgs> {
  return async ({ ack, view, body, context, next }) => {
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
      status = { kind: 'unavailable', said: runErrorOf(err).message };
    }
    const errors = choiceErrors(status);
    if (errors || status.kind !== 'ready' || status.resolved.kind !== 'ok') {
      await ack({ response_action: 'errors', errors: errors ?? modalError('Nothing to run.') });
      return;
    }
    const who = { userId: body.user.id, teamId: body.team?.id ?? view.team_id, channelId: meta.channel, via: 'modal' as const };
    context.chosen = { target: status.resolved.target, refreshCache: choice.refreshCache, channel: meta.channel, who } satisfies Chosen;
    await next();
  };
}

function start(deps: PickerDeps): Middleware<SubmitArgs> {
  return async (args) => {
    const { ack } = args;
    const { target, refreshCache, who } = chosenOf(args);
    // The run posts its message before triggering: wait for that much, so that a channel the bot
    // cannot post in is said here, while the modal is still open.
    const request = {
      teamId: who.teamId,
      channel: who.channelId,
      requester: who.userId,
      target,
      refreshCache,
      origin: { kind: 'modal' as const, userId: who.userId },
    };
    const { posting, settled } = await startUntilPosted(deps, request, POST_WAIT_MS);
    if (posting.kind === 'unreachable') {
      await ack({ response_action: 'errors', errors: modalError(unreachableText(posting.why)) });
      return;
    }
    if (posting.kind === 'failed') {
      await ack({ response_action: 'errors', errors: modalError(FAILED_TEXT) });
      return;
    }
    if (posting.kind === 'posted') {
      await ack();
      return;
    }
    // Slack is slow to take the post: the form stays open, says so, and then says how it went.
    await ack({ response_action: 'update', view: renderPickerPending(who.channelId) });
    const viewId = args.body.view.id;
    void settled.then(async (outcome) => {
      try {
        await args.client.views.update({ view_id: viewId, view: renderPickerNote(settledText(outcome, who.channelId)) });
      } catch (err) {
        // The person closed the form meanwhile: the channel has the run, or nothing was triggered.
        deps.logger.info({ channel: who.channelId, outcome: outcome.kind, err: errorText(err) }, 'could not tell the picker form how its run went');
      }
    });
  };
}

const FAILED_TEXT = 'Something went wrong while starting this run; nothing was triggered. Try again in a minute.';

/** How a run submitted while Slack was slow went, for the form (mrkdwn). */
function settledText(outcome: Posting, channel: string): string {
  switch (outcome.kind) {
    case 'posted':
      return `✅ The run is posted in <#${channel}>.`;
    case 'unreachable':
      return `⚠️ ${unreachableText(outcome.why)}`;
    default:
      return `⚠️ ${FAILED_TEXT}`;
  }
}
