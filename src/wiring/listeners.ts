/** Every listener on the Bolt app: the slash command, buttons, the picker form, its type-ahead; and who may use them. */
import type { App } from '@slack/bolt';
import { UsergroupMembership } from '../slack/usergroups';
import { registerButtons } from '../buttons';
import { CatalogueCache } from '../catalogue/cache';
import type { FindDeps } from '../picker/deps';
import { listCheckAlerts, listCheckGroups, listCheckStatuses, listChecks } from '../checkly/catalogue';
import type { ChecklyClient } from '../checkly/client';
import { locationResults } from '../checkly/results';
import { registerCommands } from '../commands';
import type { Config } from '../config';
import type { Logger } from '../shared/log';
import type { Metrics } from '../ops/metrics';
import { registerListing } from '../listing';
import { registerPicker } from '../picker';
import type { RunService } from '../runs/service';
import { redactSecrets } from '../shared/secrets';
import { errorText } from '../shared/error-text';

export interface ListenerWiring {
  config: Config;
  secrets: string[];
  checkly: ChecklyClient;
  runs: RunService;
  metrics: Metrics;
  now: () => number;
  logger: Logger;
}

export function registerListeners(app: App, w: ListenerWiring): void {
  const { config, secrets, checkly, runs, metrics, now, logger } = w;
  const groups = config.access.allowedUsergroups;
  const access = {
    policy: config.access,
    usergroups: groups && groups.size > 0 ? new UsergroupMembership({ client: app.client, groups: [...groups], logger }) : undefined,
  };
  const catalogue = new CatalogueCache({
    source: {
      listChecks: () => listChecks(checkly),
      listCheckGroups: () => listCheckGroups(checkly),
      listCheckStatuses: () => listCheckStatuses(checkly),
      listCheckAlerts: () => listCheckAlerts(checkly),
    },
    ttlMs: config.checkly.catalogueTtlMs,
    now,
    onBackgroundError: (what, err) =>
      what === 'alerts'
        ? logger.warn({ err: errorText(err) }, 'reading the check alerts failed; failing checks are listed without since when')
        : logger.warn({ what, err: errorText(err) }, 'refreshing the check catalogue failed; serving the last one'),
  });
  const find: FindDeps = {
    catalogue,
    checkly,
    runs,
    access,
    commandName: config.slack.command,
    logger,
    now,
    metrics,
    redact: (value) => redactSecrets(value, secrets),
  };
  registerCommands(app, { runs, commandName: config.slack.command, logger, now, access, metrics, find });
  registerButtons(app, {
    runs,
    commandName: config.slack.command,
    logger,
    access,
    metrics,
    details: {
      getCheckResult: (checkId, resultId) => checkly.getCheckResult(checkId, resultId, 'result'),
      getSessionResults: async (sessionId) => locationResults((await checkly.getSession(sessionId)).results ?? []),
      scrub: (value) => redactSecrets(value, secrets),
    },
  });
  registerPicker(app, find);
  registerListing(app, find);
  app.error(async (error) => {
    logger.error({ err: error.message, code: error.code }, 'unhandled error in a listener');
  });
}
