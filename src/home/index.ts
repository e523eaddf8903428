/** The Home tab: published when opened, its buttons and form, the run message's "…" menu; refreshed as runs end. */
import type { App } from '@slack/bolt';
import { ACTION_RUN_MORE } from '../blocks/actions';
import { ACTION_PIN, ACTION_RUN_AGAIN_PATTERN, ACTION_RUN_PIN_PATTERN, ACTION_UNPIN_PATTERN } from '../blocks/home';
import type { CatalogueCache } from '../catalogue/cache';
import type { GuardDeps } from '../guard';
import type { RunObserver } from '../runs/lifecycle';
import type { Records } from '../runs/records';
import type { RunService } from '../runs/service';
import type { Logger } from '../shared/log';
import type { Secrets } from '../shared/secrets';
import { pinFromMessage, pinTyped, runAgain, runPin, unpin } from './actions';
import { HomeBook } from './book';
import type { HomeDeps } from './deps';
import { HomeTab } from './tab';

export interface HomeTabsDeps extends GuardDeps {
  runs: RunService;
  /** Where each person's pins and runs are kept (shared by replicas with Redis). */
  records: Records;
  catalogue: Pick<CatalogueCache, 'get' | 'conditions'>;
  commandName: string;
  workspaceUrl?: string;
  secrets: Secrets;
  now: () => number;
  newId: () => string;
  logger: Logger;
}

export interface HomeTabs {
  /** Notes a person's runs and refreshes their tab when one ends: for the runner (app.ts registers it). */
  observer: RunObserver;
  /** Drops the refreshes still waiting (shutdown). */
  stop(): void;
}

export function registerHome(app: App, deps: HomeTabsDeps): HomeTabs {
  const book = new HomeBook(deps.records, deps.now, deps.newId);
  const tab = new HomeTab({
    ...deps,
    book,
    views: {
      publish: async (userId, view) => {
        await app.client.views.publish({ user_id: userId, view });
      },
    },
  });
  const home: HomeDeps = { ...deps, book, tab };
  // Opening the tab, pinning and unpinning run nothing: the guard is asked when a run starts from it.
  app.event('app_home_opened', async ({ event, body }) => {
    if (event.tab !== 'home') return;
    const person = { teamId: body.team_id, userId: event.user };
    await book.opened(person);
    await tab.publish(person);
  });
  app.action(ACTION_RUN_PIN_PATTERN, ...runPin(home));
  app.action(ACTION_RUN_AGAIN_PATTERN, ...runAgain(home));
  app.action(ACTION_PIN, pinTyped(home));
  app.action(ACTION_UNPIN_PATTERN, unpin(home));
  app.action(ACTION_RUN_MORE, pinFromMessage(home));
  return { observer: tab.observer, stop: () => tab.stop() };
}
