/** The buttons on a run's message and its thread: Rerun, Cancel, Details (and the link button). */
import type { App } from '@slack/bolt';
import { ACTION_CANCEL, ACTION_OPEN, ACTION_RERUN_ALL, ACTION_RERUN_CHECK_PATTERN, ACTION_RERUN_FAILED } from '../blocks/actions';
import { ACTION_FAILURE_DETAILS_PATTERN, ACTION_RUN_DETAILS } from '../blocks/evidence';
import { cancelAction } from './cancel';
import type { ButtonDeps } from './deps';
import { detailsAction } from './details';
import { rerunAction } from './rerun';

export function registerButtons(app: App, deps: ButtonDeps): void {
  app.action(ACTION_RERUN_FAILED, ...rerunAction(deps, 'failed'));
  app.action(ACTION_RERUN_ALL, ...rerunAction(deps, 'all'));
  app.action(ACTION_RERUN_CHECK_PATTERN, ...rerunAction(deps, 'check'));
  app.action(ACTION_CANCEL, ...cancelAction(deps));
  if (deps.details) {
    const details = detailsAction(deps, deps.details);
    app.action(ACTION_FAILURE_DETAILS_PATTERN, ...details);
    app.action(ACTION_RUN_DETAILS, ...details);
  }
  // A link button still sends its click; acknowledging it keeps Slack from showing a warning.
  app.action(ACTION_OPEN, async ({ ack }) => {
    await ack();
  });
}
