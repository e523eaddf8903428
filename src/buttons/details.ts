import type { AllMiddlewareArgs, BlockAction, BlockButtonAction, BlockStaticSelectAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { View } from '@slack/types';
import { encodeButtonValue, parseButtonValue } from '../blocks/actions';
import { refusalText } from '../blocks/refusal';
import {
  MODAL_LOCATIONS,
  renderDetailsModal,
  renderDetailsProblem,
  renderDetailsRefusal,
  renderLoadingModal,
  type LocationDetail,
} from '../blocks/details-modal';
import { guarded } from '../guard/slack';
import { ResultGone, runErrorOf, type Run } from '../runs/types';
import { errorText } from '../shared/error-text';
import { platformError } from '../slack/errors';
import type { ButtonDeps, DetailsDeps } from './deps';

type DetailsArgs = SlackActionMiddlewareArgs<BlockAction<BlockButtonAction['actions'][number] | BlockStaticSelectAction['actions'][number]>>;

/** The modal opened for a Details click, and the run and check it is about (`open` puts it in the context). */
interface Opened {
  viewId: string;
  hash?: string;
  metadata: string;
  run: Run;
  checkId: string;
}

const openedOf = (args: { context: AllMiddlewareArgs['context'] }): Opened => args.context.details as Opened;

/**
 * Details (a thread reply's button, or the run message's menu): Slack's trigger_id lives 3 s, so a
 * "loading" modal opens first, before any lookup; the whole result follows with views.update.
 */
export function detailsAction(deps: ButtonDeps, details: DetailsDeps): Array<Middleware<DetailsArgs>> {
  const show = async (args: DetailsArgs & AllMiddlewareArgs, opened: Pick<Opened, 'viewId' | 'hash'>, view: View): Promise<void> => {
    try {
      await args.client.views.update({
        view_id: opened.viewId,
        ...(opened.hash !== undefined ? { hash: opened.hash } : {}),
        view: details.secrets.scrub(view),
      });
    } catch (err) {
      deps.logger.warn({ error: platformError(err) ?? errorText(err) }, 'could not show the result in the Details modal');
    }
  };
  return [
    open(deps, show),
    // Details only read, like /checkly status: the channel rule applies.
    guarded<DetailsArgs>(
      deps,
      (args) => ({ request: { action: 'status', userId: args.body.user.id, channelId: args.body.channel?.id ?? openedOf(args).run.channel } }),
      (args, refusal) => show(args, openedOf(args), renderDetailsRefusal(refusalText(refusal), openedOf(args).metadata)),
    ),
    async (args) => {
      const opened = openedOf(args);
      await show(args, opened, await detailsView(deps, details, opened));
    },
  ];
}

/** Acknowledges, opens the loading modal, and reads the run; a click that names no run or check of ours is told so in the modal. */
function open(
  deps: ButtonDeps,
  show: (args: DetailsArgs & AllMiddlewareArgs, opened: Pick<Opened, 'viewId' | 'hash'>, view: View) => Promise<void>,
): Middleware<DetailsArgs> {
  return async (args) => {
    const { ack, action, body, client } = args;
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
      deps.logger.warn({ error: platformError(err) ?? errorText(err) }, 'could not open the Details modal');
      return;
    }
    if (viewId === undefined) return;
    if (!value?.check) {
      await show(args, { viewId, hash }, renderDetailsProblem('This button is not one of ours, or it is too old to say which check it means.', metadata));
      return;
    }
    const run = await deps.runs.read(value.run);
    if (!run) {
      await show(
        args,
        { viewId, hash },
        renderDetailsProblem('This app no longer knows that run (it may be older than the retention period): see Checkly.', metadata),
      );
      return;
    }
    args.context.details = { viewId, hash, metadata, run, checkId: value.check } satisfies Opened;
    await args.next();
  };
}

async function detailsView(deps: ButtonDeps, details: DetailsDeps, opened: Opened): Promise<View> {
  const { run, checkId, metadata } = opened;
  const session = run.sessions.find((s) => s.checkId === checkId);
  if (!session) return renderDetailsProblem('That check is not part of this run.', metadata);
  let all = session.results;
  if (all === undefined) {
    try {
      all = await details.results.sessionResults(session.sessionId);
    } catch (err) {
      deps.logger.warn({ runId: run.id, sessionId: session.sessionId, err: errorText(err) }, 'could not fetch the session for the Details modal');
      return renderDetailsProblem(`Checkly did not give this check's results: ${runErrorOf(err).message}`, metadata);
    }
  }
  const results = all.slice(0, MODAL_LOCATIONS);
  const locations = await Promise.all(
    results.map(async (result): Promise<LocationDetail> => {
      try {
        return { result, detail: await details.results.resultDetail(session.checkId, result.resultId) };
      } catch (err) {
        deps.logger.warn({ runId: run.id, checkId: session.checkId, err: errorText(err) }, 'could not fetch a result for the Details modal');
        const problem =
          err instanceof ResultGone
            ? 'Checkly no longer has this result (404): it may have been deleted or be past its retention.'
            : `Checkly did not give this result: ${runErrorOf(err).message}`;
        return { result, problem };
      }
    }),
  );
  // Locations Checkly was not asked about are still counted in the modal.
  const rest = all.slice(MODAL_LOCATIONS).map((result): LocationDetail => ({ result }));
  return renderDetailsModal(session, [...locations, ...rest], metadata);
}
