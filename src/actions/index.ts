import type { App } from '@slack/bolt';
import { ACTION_CANCEL, ACTION_OPEN, ACTION_RERUN_ALL, ACTION_RERUN_CHECK_PATTERN, ACTION_RERUN_FAILED } from '../blocks/actions';
import { cancelAction } from './cancel';
import type { ActionDeps } from './deps';
import { rerunAction } from './rerun';

export function registerActions(app: App, deps: ActionDeps): void {
  app.action(ACTION_RERUN_FAILED, rerunAction(deps, 'failed'));
  app.action(ACTION_RERUN_ALL, rerunAction(deps, 'all'));
  app.action(ACTION_RERUN_CHECK_PATTERN, rerunAction(deps, 'check'));
  app.action(ACTION_CANCEL, cancelAction(deps));
  // A link button still sends its click; acknowledging it keeps Slack from showing a warning.
  app.action(ACTION_OPEN, async ({ ack }) => {
    await ack();
  });
}
