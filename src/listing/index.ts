/** `/checkly checks` and `/checkly failing` (the command answers with list.ts): their Run buttons. */
import type { App } from '@slack/bolt';
import { ACTION_RUN_ALL_LISTED, ACTION_RUN_LISTED_PATTERN } from '../blocks/listing';
import type { ListingDeps } from './deps';
import { runListedAction } from './run-listed';

export function registerListing(app: App, deps: ListingDeps): void {
  app.action(ACTION_RUN_LISTED_PATTERN, ...runListedAction(deps));
  app.action(ACTION_RUN_ALL_LISTED, ...runListedAction(deps));
}
