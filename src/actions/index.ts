import type { App } from '@slack/bolt';
import { ACTION_CANCEL, ACTION_OPEN, ACTION_RERUN_ALL, ACTION_RERUN_CHECK_PATTERN, ACTION_RERUN_FAILED } from '../blocks/actions';
import { ACTION_FAILURE_DETAILS_PATTERN, ACTION_RUN_DETAILS } from '../blocks/evidence';
import { ACTION_RUN_ALL_LISTED, ACTION_RUN_LISTED_PATTERN } from '../blocks/listing';
import { ACTION_RELOAD, PICKER_INPUT_ACTIONS } from '../blocks/picker';
import type { FindDeps } from '../listener-deps';
import { cancelAction } from './cancel';
import type { ActionDeps } from './deps';
import { detailsAction } from './details';
import { pickerChangeAction } from './picker-change';
import { rerunAction } from './rerun';
import { runListedAction } from './run-listed';

export function registerActions(app: App, deps: ActionDeps): void {
  app.action(ACTION_RERUN_FAILED, rerunAction(deps, 'failed'));
  app.action(ACTION_RERUN_ALL, rerunAction(deps, 'all'));
  app.action(ACTION_RERUN_CHECK_PATTERN, rerunAction(deps, 'check'));
  app.action(ACTION_CANCEL, cancelAction(deps));
  if (deps.details) {
    const details = detailsAction(deps, deps.details);
    app.action(ACTION_FAILURE_DETAILS_PATTERN, details);
    app.action(ACTION_RUN_DETAILS, details);
  }
  // A link button still sends its click; acknowledging it keeps Slack from showing a warning.
  app.action(ACTION_OPEN, async ({ ack }) => {
    await ack();
  });
}

/** The Run buttons of `/checkly checks` and `/checkly failing`, and the picker's inputs changing. */
export function registerFindActions(app: App, deps: FindDeps): void {
  app.action(ACTION_RUN_LISTED_PATTERN, runListedAction(deps));
  app.action(ACTION_RUN_ALL_LISTED, runListedAction(deps));
  for (const actionId of PICKER_INPUT_ACTIONS) app.action(actionId, pickerChangeAction(deps));
  app.action(ACTION_RELOAD, pickerChangeAction(deps, true));
}
