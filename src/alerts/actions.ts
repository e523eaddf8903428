/**
 * The incident message's buttons: Rerun (that check by ID, the run posted in the incident's thread
 * through the run service like any run), Details (section 10's modal, for the alert's result) and
 * I'm on it (the person joins the message). Each reads the incident the button names; an older
 * incident's message, or one the store no longer knows, is told so.
 */
import type { AllMiddlewareArgs, BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { type AlertButtonValue, parseAlertButtonValue } from '../blocks/alert';
import { renderDetailsModal, renderDetailsProblem, renderLoadingModal } from '../blocks/details-modal';
import { renderRefusal } from '../blocks/refusal';
import { renderRunNotPosted, renderStartFailed } from '../blocks/ephemeral';
import type { GuardDeps } from '../guard';
import { guarded } from '../guard/slack';
import { audit, auditTarget } from '../ops/audit';
import type { ResultReader } from '../runs/ports';
import type { RunService } from '../runs/service';
import { ResultGone, runErrorOf, type Session } from '../runs/types';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import type { Secrets } from '../shared/secrets';
import type { IncidentDesk } from './desk';
import type { Incident } from './incident';

export type AlertButtonArgs = SlackActionMiddlewareArgs<BlockAction>;
type BlockAction = import('@slack/bolt').BlockAction<BlockButtonAction['actions'][number]>;

export interface AlertActionDeps extends GuardDeps {
  desk: IncidentDesk;
  runs: RunService;
  results: ResultReader;
  secrets: Secrets;
  logger: Logger;
}

interface Clicked {
  value: AlertButtonValue;
  incident: Incident;
}

const clickedOf = (args: { context: AllMiddlewareArgs['context'] }): Clicked => args.context.alert as Clicked;

function ephemeral(args: AlertButtonArgs, text: string): Promise<unknown> {
  return args.respond({ response_type: 'ephemeral', replace_original: false, text });
}

const GONE = 'This app no longer knows that incident, or a newer one of the same check has its own message.';

/** Reads the incident the button names into the context; `acked` says whether the click was acknowledged already. */
function loadIncident(deps: AlertActionDeps, ack = true): Middleware<AlertButtonArgs> {
  return async (args) => {
    if (ack) await args.ack();
    const value = parseAlertButtonValue(args.action.value);
    const channel = args.body.channel?.id;
    const teamId = args.body.team?.id ?? args.body.user.team_id ?? '';
    const incident = value && channel ? await deps.desk.read(teamId, channel, value.check) : undefined;
    const found = value && incident && incident.id === value.incident ? ({ value, incident } satisfies Clicked) : undefined;
    // Details answers in its modal; the other buttons beside the message.
    if (!found && ack) {
      await ephemeral(args, GONE);
      return;
    }
    args.context.alert = found;
    await args.next();
  };
}

export function rerunIncident(deps: AlertActionDeps): Array<Middleware<AlertButtonArgs>> {
  return [
    loadIncident(deps),
    guarded<AlertButtonArgs>(
      deps,
      (args) => {
        const { incident } = clickedOf(args);
        const target = { tags: [], checkIds: [incident.checkId], all: false };
        return {
          request: { action: 'rerun', userId: args.body.user.id, channelId: incident.channel, target },
          audit: {
            action: 'rerun',
            userId: args.body.user.id,
            teamId: incident.teamId,
            channelId: incident.channel,
            target: auditTarget(target),
            via: 'button',
          },
        };
      },
      (args, refusal) => args.respond({ response_type: 'ephemeral', replace_original: false, ...renderRefusal(refusal) }).then(() => undefined),
    ),
    async (args) => {
      const { incident } = clickedOf(args);
      const userId = args.body.user.id;
      const target = { tags: [], checkIds: [incident.checkId], all: false };
      try {
        const started = await deps.runs.start({
          teamId: incident.teamId,
          channel: incident.channel,
          requester: userId,
          target,
          refreshCache: false,
          ...(incident.ts !== undefined && { threadTs: incident.ts }),
          origin: { kind: 'button', userId },
        });
        const run = 'run' in started ? started.run : undefined;
        audit(deps.logger, {
          action: 'rerun',
          userId,
          teamId: incident.teamId,
          channelId: incident.channel,
          target: auditTarget(target),
          runId: run?.id,
          sessions: run?.sessions.map((s) => s.sessionId) ?? [],
          outcome: run ? 'started' : 'unreachable',
          via: 'button',
        });
        if (run?.error?.kind === 'not_posted') await args.respond({ response_type: 'ephemeral', replace_original: false, ...renderRunNotPosted() });
      } catch (err) {
        deps.logger.error({ err: errorText(err), channel: incident.channel }, 'rerunning an incident’s check failed');
        await args.respond({ response_type: 'ephemeral', replace_original: false, ...renderStartFailed() });
      }
    },
  ];
}

export function ownIncident(deps: AlertActionDeps): Array<Middleware<AlertButtonArgs>> {
  return [
    loadIncident(deps),
    guarded<AlertButtonArgs>(
      deps,
      (args) => ({ request: { action: 'status', userId: args.body.user.id, channelId: clickedOf(args).incident.channel } }),
      (args, refusal) => args.respond({ response_type: 'ephemeral', replace_original: false, ...renderRefusal(refusal) }).then(() => undefined),
    ),
    async (args) => {
      const { incident } = clickedOf(args);
      const after = await deps.desk.own(incident.teamId, incident.channel, incident.checkId, incident.id, args.body.user.id);
      if (!after) await ephemeral(args, GONE);
      else if (after.state === 'recovered') await ephemeral(args, 'That check has recovered already.');
    },
  ];
}

/** Details: a loading modal at once (the trigger_id lives 3 s), then the alert's result from Checkly. */
export function incidentDetails(deps: AlertActionDeps): Array<Middleware<AlertButtonArgs>> {
  return [
    async (args) => {
      await args.ack();
      const metadata = '';
      let viewId: string | undefined;
      try {
        const opened = await args.client.views.open({ trigger_id: args.body.trigger_id, view: renderLoadingModal(metadata) });
        viewId = opened.view?.id;
      } catch (err) {
        deps.logger.warn({ err: errorText(err) }, 'could not open the Details modal');
        return;
      }
      if (viewId === undefined) return;
      args.context.viewId = viewId;
      await args.next();
    },
    loadIncident(deps, false),
    async (args) => {
      const viewId = args.context.viewId as string;
      const clicked = args.context.alert as Clicked | undefined;
      const view = clicked ? await detailsView(deps, clicked.incident) : renderDetailsProblem(GONE, '');
      try {
        await args.client.views.update({ view_id: viewId, view: deps.secrets.scrub(view) });
      } catch (err) {
        deps.logger.warn({ err: errorText(err) }, 'could not show the result in the Details modal');
      }
    },
  ];
}

async function detailsView(deps: AlertActionDeps, incident: Incident) {
  const result = { resultId: incident.resultId, location: incident.location, link: incident.resultLink, failing: incident.state !== 'recovered' };
  const session: Session = {
    sessionId: '',
    checkId: incident.checkId,
    name: incident.checkName,
    checkType: (incident.checkType || 'API') as Session['checkType'],
    link: incident.resultLink,
    status: incident.state === 'recovered' ? 'PASSED' : incident.state === 'degraded' ? 'DEGRADED' : 'FAILED',
    locations: incident.locations,
    failedLocations: incident.state === 'recovered' ? [] : incident.locations,
    ...(incident.error !== '' && { error: incident.error }),
    results: [result],
  };
  if (incident.resultId === '') return renderDetailsModal(session, [{ result, problem: 'The alert named no result.' }], '');
  try {
    return renderDetailsModal(session, [{ result, detail: await deps.results.resultDetail(incident.checkId, incident.resultId) }], '');
  } catch (err) {
    deps.logger.warn({ checkId: incident.checkId, err: errorText(err) }, 'could not fetch an alert’s result for the Details modal');
    const problem =
      err instanceof ResultGone
        ? 'Checkly no longer has this result (404): it may have been deleted or be past its retention.'
        : `Checkly did not give this result: ${runErrorOf(err).message}`;
    return renderDetailsModal(session, [{ result, problem }], '');
  }
}
