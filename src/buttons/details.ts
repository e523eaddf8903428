import type { AllMiddlewareArgs, BlockAction, BlockButtonAction, BlockStaticSelectAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { View } from '@slack/types';
import { checkAccess } from '../access/check';
import { encodeButtonValue, parseButtonValue } from '../blocks/actions';
import { refusalText } from '../blocks/refusal';
import { MODAL_LOCATIONS, renderDetailsModal, renderDetailsProblem, renderDetailsRefusal, renderLoadingModal, type LocationDetail } from '../blocks/details-modal';
import { NotFoundError, toRunError } from '../checkly/errors';
import { resultDetail } from '../checkly/evidence';
import type { CheckResult } from '../checkly/types';
import type { LocationResult } from '../runs/types';
import { platformError } from '../slack/errors';
import type { ActionDeps } from './deps';

type DetailsArgs = SlackActionMiddlewareArgs<BlockAction<BlockButtonAction['actions'][number] | BlockStaticSelectAction['actions'][number]>> &
  AllMiddlewareArgs;

export interface DetailsDeps {
  /** GET /v1/check-results/{checkId}/{checkResultId}; a person waits, so it goes at error-line priority. */
  getCheckResult(checkId: string, checkResultId: string): Promise<CheckResult>;
  /**
   * Where a session's results are, asked of Checkly for a session the run does not know them for (a
   * run from before the app kept them).
   */
  getSessionResults(sessionId: string): Promise<LocationResult[]>;
  /** Removes the app's secrets from what is about to be shown. */
  scrub<T>(value: T): T;
}

/**
 * Details (a thread reply's button, or the run message's menu): Slack's trigger_id lives 3 s, so a
 * "loading" modal opens first, before any lookup; the whole result follows with views.update.
 */
export function detailsAction(deps: ActionDeps, details: DetailsDeps) {
  return async ({ ack, action, body, client }: DetailsArgs): Promise<void> => {
    await ack();
    const raw = action.type === 'static_select' ? action.selected_option?.value : action.type === 'button' ? action.value : undefined;
    const value = parseButtonValue(raw);
    const metadata = value ? encodeButtonValue(value) : '';
    let viewId: string | undefined;
    let hash: string | undefined;
    try {
      const opened = await client.views.open({ trigger_id: body.trigger_id, view: renderLoadingModal(metadata) });
      viewId = opened.view?.id;
      hash = opened.view?.hash;
    } catch (err) {
      deps.logger.warn({ error: platformError(err) ?? String(err) }, 'could not open the Details modal');
      return;
    }
    if (viewId === undefined) return;
    const view = details.scrub(await detailsView(deps, details, value, body, metadata));
    try {
      await client.views.update({ view_id: viewId, ...(hash !== undefined ? { hash } : {}), view });
    } catch (err) {
      deps.logger.warn({ error: platformError(err) ?? String(err) }, 'could not show the result in the Details modal');
    }
  };
}

async function detailsView(
  deps: ActionDeps,
  details: DetailsDeps,
  value: ReturnType<typeof parseButtonValue>,
  body: DetailsArgs['body'],
  metadata: string,
): Promise<View> {
  if (!value?.check) return renderDetailsProblem('This button is not one of ours, or it is too old to say which check it means.', metadata);
  const run = await deps.runs.read(value.run);
  if (!run) return renderDetailsProblem('This app no longer knows that run (it may be older than the retention period): see Checkly.', metadata);
  const channelId = body.channel?.id ?? run.channel;
  // Details only read, like /checkly status: the channel rule applies.
  const decision = await checkAccess(deps.access, { action: 'status', userId: body.user.id, channelId });
  if (!decision.allowed) {
    deps.metrics.refused(decision.rule);
    return renderDetailsRefusal(refusalText(decision), metadata);
  }
  const session = run.sessions.find((s) => s.checkId === value.check);
  if (!session) return renderDetailsProblem('That check is not part of this run.', metadata);
  let all = session.results;
  if (all === undefined) {
    try {
      all = await details.getSessionResults(session.sessionId);
    } catch (err) {
      deps.logger.warn({ runId: run.id, sessionId: session.sessionId, err: String(err) }, 'could not fetch the session for the Details modal');
      return renderDetailsProblem(`Checkly did not give this check's results: ${toRunError(err).message}`, metadata);
    }
  }
  const results = all.slice(0, MODAL_LOCATIONS);
  const locations = await Promise.all(
    results.map(async (result): Promise<LocationDetail> => {
      try {
        return { result, detail: resultDetail(await details.getCheckResult(session.checkId, result.resultId)) };
      } catch (err) {
        deps.logger.warn({ runId: run.id, checkId: session.checkId, err: String(err) }, 'could not fetch a result for the Details modal');
        const problem =
          err instanceof NotFoundError
            ? 'Checkly no longer has this result (404): it may have been deleted or be past its retention.'
            : `Checkly did not give this result: ${toRunError(err).message}`;
        return { result, problem };
      }
    }),
  );
  // Locations Checkly was not asked about are still counted in the modal.
  const rest = all.slice(MODAL_LOCATIONS).map((result): LocationDetail => ({ result }));
  return renderDetailsModal(session, [...locations, ...rest], metadata);
}
