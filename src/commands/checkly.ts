import type { AllMiddlewareArgs, Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { renderHelp, renderNotInChannel, renderParseError, renderStatus, renderTriggering, renderStartFailed, renderRunNotPosted } from '../blocks/ephemeral';
import { renderRefusal } from '../blocks/refusal';
import { auditTarget } from '../ops/audit';
import type { Logger } from '../shared/log';
import type { RunService } from '../runs/service';
import { errorText } from '../shared/error-text';
import type { GuardDeps } from '../guard';
import { guarded } from '../guard/slack';
import type { ListingDeps } from '../listing/deps';
import { listFailing, listMatches } from '../listing/list';
import type { PickerDeps } from '../picker/deps';
import { openPicker } from '../picker/open';
import { parseCommand, type Command } from '../grammar/parse';
import { describeTarget } from '../grammar/describe';
import { renderHistory } from '../blocks/history';
import { historyGrid } from '../runs/history';

export interface CommandDeps extends GuardDeps {
  runs: RunService;
  commandName: string;
  logger: Logger;
  now: () => number;
  /** The picker modal (`/checkly` alone). */
  picker: PickerDeps;
  /** `/checkly checks` and `/checkly failing`. */
  listing: ListingDeps;
  /** `/checkly alerts …`: handed over whole, before the parser (src/alerts). */
  alerts?: { handles(text: string): boolean; middleware: Middleware<SlackCommandMiddlewareArgs> };
}

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
/** What the parser made of a command that asks for something (help and bad input are answered before). */
type Asking = Exclude<Command, { kind: 'error' } | { kind: 'help' }>;

const parsedOf = (args: CommandArgs): Asking => args.context.parsed as Asking;

/**
 * `/checkly`: answers at once (Slack allows 3 s), then does the slow work after the acknowledgement.
 * Parsed, guarded, then answered: a chain of Bolt middleware.
 */
export function checklyCommand(deps: CommandDeps): Array<Middleware<SlackCommandMiddlewareArgs>> {
  return [parse(deps), guard(deps), answer(deps)];
}

/** Help and bad input are the acknowledgement itself; anything else goes on, parsed, in the context. */
function parse(deps: CommandDeps): Middleware<SlackCommandMiddlewareArgs> {
  return async (args) => {
    const { command, ack, context, next } = args;
    if (deps.alerts?.handles(command.text ?? '')) {
      await deps.alerts.middleware(args);
      return;
    }
    const parsed = parseCommand(unescapeSlackText(command.text ?? ''), deps.commandName);
    if (parsed.kind === 'error') {
      await ack({ response_type: 'ephemeral', ...renderParseError(parsed.problem, parsed.usage, deps.commandName) });
      return;
    }
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...renderHelp(deps.commandName) });
      return;
    }
    context.parsed = parsed;
    await next();
  };
}

/** Listings only read; the picker leads to a run, so it is refused up front to whoever may not run. */
function guard(deps: CommandDeps): Middleware<SlackCommandMiddlewareArgs> {
  return guarded<SlackCommandMiddlewareArgs>(
    deps,
    (args) => {
      const parsed = parsedOf(args);
      const { command } = args;
      const reads = parsed.kind === 'status' || parsed.kind === 'checks' || parsed.kind === 'failing' || parsed.kind === 'history';
      return {
        request: {
          action: reads ? 'status' : 'run',
          userId: command.user_id,
          channelId: command.channel_id,
          target: parsed.kind === 'run' ? parsed.target : undefined,
        },
        ...(parsed.kind === 'run' && {
          audit: {
            action: 'trigger',
            userId: command.user_id,
            teamId: command.team_id,
            channelId: command.channel_id,
            via: 'command',
            target: auditTarget(parsed.target),
          },
        }),
      };
    },
    async ({ ack }, refusal) => {
      await ack({ response_type: 'ephemeral', ...renderRefusal(refusal) });
    },
  );
}

function answer(deps: CommandDeps): Middleware<SlackCommandMiddlewareArgs> {
  return async (args) => {
    const { command, ack, respond, client } = args;
    const parsed = parsedOf(args);
    if (parsed.kind === 'pick') {
      // Slack's 3 s for the trigger_id run from the command's arrival: answer first, open at once.
      await ack();
      const note = await openPicker(deps.picker, client, command.trigger_id, { channel: command.channel_id });
      if (note) await respond({ response_type: 'ephemeral', ...note });
      return;
    }
    if (parsed.kind === 'checks' || parsed.kind === 'failing') {
      await ack();
      const answer = parsed.kind === 'checks' ? await listMatches(deps.listing, parsed.words) : await listFailing(deps.listing);
      await respond({ response_type: 'ephemeral', ...deps.listing.secrets.scrub(answer) });
      return;
    }
    if (parsed.kind === 'status') {
      await ack();
      const { runs, permalinks } = await deps.runs.status(command.team_id, command.channel_id);
      await respond({ response_type: 'ephemeral', ...renderStatus(runs, deps.now(), permalinks) });
      return;
    }
    if (parsed.kind === 'history') {
      await ack();
      const { runs, permalinks } = await deps.runs.history(command.team_id, command.channel_id, parsed.target);
      const answer = renderHistory(historyGrid(runs), { target: describeTarget(parsed.target), permalinks, commandName: deps.commandName });
      await respond({ response_type: 'ephemeral', ...deps.listing.secrets.scrub(answer) });
      return;
    }
    await ack({ response_type: 'ephemeral', ...renderTriggering(parsed.target) });
    try {
      const started = await deps.runs.start({
        teamId: command.team_id,
        channel: command.channel_id,
        requester: command.user_id,
        target: parsed.target,
        refreshCache: parsed.refreshCache,
        origin: { kind: 'command', userId: command.user_id },
        // The run message is in the channel now: "Triggering checks…" (only the requester sees it) goes.
        onPosted: (posted) => {
          if (!('ts' in posted)) return;
          respond({ delete_original: true }).catch((err: unknown) =>
            deps.logger.debug({ err: errorText(err), channel: command.channel_id }, 'could not delete the "Triggering checks…" note'),
          );
        },
      });
      if ('unreachable' in started) {
        await respond({ response_type: 'ephemeral', replace_original: false, ...renderNotInChannel(deps.commandName, started.unreachable) });
      } else if (started.run.error?.kind === 'not_posted') {
        await respond({ response_type: 'ephemeral', replace_original: false, ...renderRunNotPosted() });
      }
    } catch (err) {
      deps.logger.error({ err: errorText(err), channel: command.channel_id }, 'starting a run failed');
      await respond({ response_type: 'ephemeral', replace_original: false, ...renderStartFailed() });
    }
  };
}

/** Slack sends `&`, `<` and `>` in a command's text as HTML entities; the parser wants what was typed. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
