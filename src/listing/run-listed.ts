import type { AllMiddlewareArgs, BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { renderRefusal } from '../blocks/refusal';
import { renderNotInChannel, renderStartFailed } from '../blocks/ephemeral';
import { renderCatalogueUnavailable, renderChecksGone, parseRunValue } from '../blocks/listing';
import { renderUnknownRun } from '../blocks/clicks';
import { guarded } from '../guard/slack';
import { auditTarget } from '../ops/audit';
import { runErrorOf, type Target } from '../runs/types';
import { errorText } from '../shared/error-text';
import type { ListingDeps } from './deps';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction>;

/** The checks a Run button names, and where it was clicked (`parse` puts them in the context). */
interface Listed {
  target: Target;
  channel: string;
}

const listedOf = (args: { context: AllMiddlewareArgs['context'] }): Listed => args.context.listed as Listed;

/**
 * A Run button of `/checkly checks` or `/checkly failing`: a run of those checks in the channel, like
 * `/checkly run --check …`. The checks are looked up again first: the list may be minutes old, and a
 * deleted check deserves a clear note rather than a run message that says nothing matched.
 */
export function runListedAction(deps: ListingDeps): Array<Middleware<ButtonArgs>> {
  const note = (args: ButtonArgs & AllMiddlewareArgs, message: object) =>
    args.respond({ response_type: 'ephemeral', replace_original: false, ...deps.secrets.scrub(message) });
  const who = (args: ButtonArgs & AllMiddlewareArgs) => ({
    userId: args.body.user.id,
    teamId: args.body.team?.id ?? '',
    channelId: listedOf(args).channel,
    via: 'button' as const,
  });
  return [
    async (args) => {
      await args.ack();
      const checkIds = parseRunValue(args.action.value);
      const channel = args.body.channel?.id;
      if (!checkIds || !channel) {
        await note(args, renderUnknownRun(deps.commandName));
        return;
      }
      args.context.listed = { target: { tags: [], checkIds, all: false }, channel } satisfies Listed;
      await args.next();
    },
    guarded<ButtonArgs>(
      deps,
      (args) => {
        const { target, channel } = listedOf(args);
        return {
          request: { action: 'run', userId: args.body.user.id, channelId: channel, target },
          audit: { action: 'trigger', ...who(args), target: auditTarget(target) },
        };
      },
      async (args, refusal) => {
        await note(args, renderRefusal(refusal));
      },
    ),
    async (args) => {
      const { target, channel } = listedOf(args);
      let gone: string[];
      try {
        gone = await deps.checks.missing(target.checkIds);
      } catch (err) {
        await note(args, renderCatalogueUnavailable(runErrorOf(err), false));
        return;
      }
      if (gone.length > 0) {
        const names = deps.catalogue.peek()?.value.checks;
        await note(
          args,
          renderChecksGone(
            gone.map((id) => names?.find((c) => c.id === id)?.name ?? id),
            deps.commandName,
          ),
        );
        return;
      }
      const userId = args.body.user.id;
      try {
        const started = await deps.runs.start({
          teamId: who(args).teamId,
          channel,
          requester: userId,
          target,
          refreshCache: false,
          origin: { kind: 'button', userId },
        });
        if ('unreachable' in started) await note(args, renderNotInChannel(deps.commandName, started.unreachable));
      } catch (err) {
        deps.logger.error({ err: errorText(err), channel }, 'starting a run from a list failed');
        await note(args, renderStartFailed());
      }
    },
  ];
}
