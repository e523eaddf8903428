import type { Middleware } from '@slack/bolt';
import { renderCancelled, renderClickFailed, renderRunNotRunning, renderUnknownRun } from '../blocks/clicks';
import { renderRefusal } from '../blocks/refusal';
import { guarded } from '../guard/slack';
import { audit, auditTarget } from '../ops/audit';
import { answer, channelOf, clickedOf, loadRun, type ButtonArgs } from './click';
import type { ButtonDeps } from './deps';

/** Cancel (confirmed in Slack's dialog): cancels every session that is not final yet. */
export function cancelAction(deps: ButtonDeps): Array<Middleware<ButtonArgs>> {
  return [
    loadRun(
      deps,
      () => true,
      async () => undefined,
    ),
    guarded<ButtonArgs>(
      deps,
      (args) => {
        const { run } = clickedOf(args);
        const channelId = channelOf(args, run);
        return {
          request: { action: 'cancel', userId: args.body.user.id, channelId },
          audit: { action: 'cancel', ...who(args), channelId },
        };
      },
      (args, refusal) => answer(args, renderRefusal(refusal)).then(() => undefined),
    ),
    async (args) => {
      const { run } = clickedOf(args);
      const result = run ? await deps.runs.cancel(run) : ({ kind: 'unknown' } as const);
      audit(deps.logger, {
        action: 'cancel',
        ...who(args),
        sessions: result.kind === 'cancelled' || result.kind === 'failed' ? result.pending : [],
        outcome: result.kind,
      });
      const reply =
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
      await answer(args, reply);
    },
  ];
}

/** Who cancelled which run, as the audit line names them. */
function who(args: ButtonArgs & Parameters<typeof clickedOf>[0]) {
  const { run } = clickedOf(args);
  return {
    userId: args.body.user.id,
    teamId: args.body.team?.id ?? run?.teamId ?? '',
    channelId: channelOf(args, run),
    runId: run?.id,
    target: run ? auditTarget(run.target) : '',
    via: 'button' as const,
  };
}
