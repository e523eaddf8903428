import type { Middleware } from '@slack/bolt';
import type { SlackMessage } from '../blocks/message';
import { renderClickFailed, renderNothingToRerun, renderRerunInProgress, renderRerunNotPosted, renderUnknownRun } from '../blocks/clicks';
import { renderRefusal } from '../blocks/refusal';
import { guarded } from '../guard/slack';
import { audit, auditTarget } from '../ops/audit';
import type { RerunOutcome } from '../runs/service';
import type { RerunKind } from '../runs/types';
import { answer, channelOf, clickedOf, loadRun, type ButtonArgs } from './click';
import type { ButtonDeps } from './deps';

/** Rerun failed / Rerun all / a row's Rerun: acknowledged at once, then a new run in the thread. */
export function rerunAction(deps: ButtonDeps, kind: RerunKind): Array<Middleware<ButtonArgs>> {
  return [
    loadRun(
      deps,
      (value) => value !== undefined && (kind !== 'check' || value.check !== undefined),
      (args) => answer(args, renderUnknownRun(deps.commandName)),
    ),
    guarded<ButtonArgs>(
      deps,
      (args) => {
        const { run: parent } = clickedOf(args);
        return {
          request: {
            action: 'rerun',
            userId: args.body.user.id,
            channelId: channelOf(args, parent),
            // Only Rerun all can repeat an --all run; the others name check IDs.
            target: kind === 'all' ? parent?.target : undefined,
          },
          audit: { action: 'rerun', ...who(args), target: parent ? auditTarget(parent.target) : '' },
        };
      },
      (args, refusal) => answer(args, renderRefusal(refusal)).then(() => undefined),
    ),
    async (args) => {
      const { value, run: parent } = clickedOf(args);
      const result = parent ? await deps.runs.rerun({ parent, kind, checkId: value?.check, requester: args.body.user.id }) : ({ kind: 'unknown' } as const);
      audit(deps.logger, {
        action: 'rerun',
        ...who(args),
        target: result.kind === 'started' ? auditTarget(result.run.target) : parent ? auditTarget(parent.target) : '',
        runId: result.kind === 'started' ? result.run.id : undefined,
        sessions: result.kind === 'started' ? result.run.sessions.map((s) => s.sessionId) : [],
        outcome: result.kind,
        reason: result.kind === 'failed' ? result.error.kind : undefined,
      });
      if (result.kind === 'failed') {
        deps.logger.warn({ runId: value?.run, error: result.error.kind, status: result.error.status }, 'rerun failed to start');
      }
      const reply = rerunReply(result, deps.commandName);
      if (reply) await answer(args, reply);
    },
  ];
}

/** Who reran which run, as the audit line names them. */
function who(args: ButtonArgs & Parameters<typeof clickedOf>[0]) {
  const { value, run: parent } = clickedOf(args);
  return {
    userId: args.body.user.id,
    teamId: args.body.team?.id ?? parent?.teamId ?? '',
    channelId: channelOf(args, parent),
    fromRunId: value?.run,
    via: 'button' as const,
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
