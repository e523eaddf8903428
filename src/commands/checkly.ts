import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { renderHelp, renderNotInChannel, renderParseError, renderStatus, renderTriggering, renderStartFailed, renderRunNotPosted } from '../blocks/ephemeral';
import { checkAccess, type Access } from '../access/check';
import { renderRefusal } from '../blocks/refusal';
import { audit, auditStart, auditTarget } from '../audit';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { RunService } from '../runs/service';
import { errorText } from '../shared/error-text';
import type { FindDeps } from '../listener-deps';
import { listFailing, listMatches } from './listing';
import { parseCommand } from '../grammar/parse';
import { openPicker } from './pick';

export interface CommandDeps {
  runs: RunService;
  commandName: string;
  logger: Logger;
  now: () => number;
  access: Access;
  metrics: Pick<Metrics, 'refused'>;
  /** The picker modal and the listings (`/checkly`, `checks`, `failing`). */
  find: FindDeps;
}

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** `/checkly`: answers at once (Slack allows 3 s), then does the slow work after the acknowledgement. */
export function checklyCommand(deps: CommandDeps) {
  return async ({ command, ack, respond, client }: CommandArgs): Promise<void> => {
    const parsed = parseCommand(unescapeSlackText(command.text ?? ''), deps.commandName);
    if (parsed.kind === 'error') {
      await ack({ response_type: 'ephemeral', ...renderParseError(parsed.problem, parsed.usage, deps.commandName) });
      return;
    }
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...renderHelp(deps.commandName) });
      return;
    }
    // Listings only read; the picker leads to a run, so it is refused up front to whoever may not run.
    const reads = parsed.kind === 'status' || parsed.kind === 'checks' || parsed.kind === 'failing';
    const decision = await checkAccess(deps.access, {
      action: reads ? 'status' : 'run',
      userId: command.user_id,
      channelId: command.channel_id,
      target: parsed.kind === 'run' ? parsed.target : undefined,
    });
    const who = { userId: command.user_id, teamId: command.team_id, channelId: command.channel_id, via: 'command' as const };
    if (!decision.allowed) {
      await ack({ response_type: 'ephemeral', ...renderRefusal(decision) });
      deps.metrics.refused(decision.rule);
      if (parsed.kind === 'run') {
        audit(deps.logger, { action: 'trigger', ...who, target: auditTarget(parsed.target), sessions: [], outcome: 'refused', reason: decision.rule });
      }
      return;
    }
    if (parsed.kind === 'pick') {
      // Slack's 3 s for the trigger_id run from the command's arrival: answer first, open at once.
      await ack();
      const note = await openPicker(deps.find, client, command.trigger_id, { channel: command.channel_id });
      if (note) await respond({ response_type: 'ephemeral', ...note });
      return;
    }
    if (parsed.kind === 'checks' || parsed.kind === 'failing') {
      await ack();
      const answer = parsed.kind === 'checks' ? await listMatches(deps.find, parsed.words) : await listFailing(deps.find);
      await respond({ response_type: 'ephemeral', ...deps.find.redact(answer) });
      return;
    }
    if (parsed.kind === 'status') {
      await ack();
      const { runs, permalinks } = await deps.runs.status(command.team_id, command.channel_id);
      await respond({ response_type: 'ephemeral', ...renderStatus(runs, deps.now(), permalinks) });
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
      });
      auditStart(deps.logger, who, parsed.target, started);
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
