/**
 * Every listener on the Bolt app: the slash command, buttons, the picker form, its type-ahead, the
 * Workflow Builder step, the Home tab; and who may use them.
 */
import type { App } from '@slack/bolt';
import type { Alerts, alertsEntrance } from '../alerts';
import type { ChatClient, SharedSlackBudgets } from '../slack/chat-rules';
import { alertCheckSource, alertChannelsPort, registerAlerts } from './alerts';
import { UsergroupMembership } from '../slack/usergroups';
import { registerButtons } from '../buttons';
import { CatalogueCache } from '../catalogue/cache';
import { listCheckAlerts, listCheckGroups, listCheckStatuses, listChecks, missingChecks } from '../checkly/catalogue';
import type { ChecklyClient } from '../checkly/client';
import { asRunFailure } from '../checkly/errors';
import { resultReader, type ResultReadings } from '../checkly/result-detail';
import { locationResults } from '../checkly/results';
import { registerCommands } from '../commands';
import type { Config } from '../config';
import { registerHome, type HomeTabs } from '../home';
import type { GuardDeps } from '../guard';
import { registerListing } from '../listing';
import type { ListingDeps } from '../listing/deps';
import type { Metrics } from '../ops/metrics';
import { registerPicker } from '../picker';
import type { PickerDeps } from '../picker/deps';
import type { Records } from '../runs/records';
import type { RunService } from '../runs/service';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import type { Secrets } from '../shared/secrets';
import { registerWorkflowStep, type WorkflowSteps } from '../workflow';

export interface ListenerDeps {
  config: Config;
  secrets: Secrets;
  checkly: ChecklyClient;
  /** Final results read once, shared with the runs' error lines and evidence. */
  results: ResultReadings;
  runs: RunService;
  metrics: Metrics;
  /** A person's Home, the workflow steps waiting for their run. */
  records: Records;
  /** The workspace's URL (auth.test), for links to run messages. */
  workspaceUrl?: string;
  /** This process, as the holder of the workflow steps it completes. */
  processId: string;
  /** The alerts' route, bound here; their messages' client (429s to the budgets), workspace and shared budgets. */
  alerts: ReturnType<typeof alertsEntrance>;
  chat: ChatClient;
  teamId?: string;
  sharedBudgets?: SharedSlackBudgets;
  now: () => number;
  newId: () => string;
  logger: Logger;
}

/** The entrances whose way back is the runner's observers (app.ts registers them). */
export interface Entrances {
  workflowSteps: WorkflowSteps;
  homeTabs: HomeTabs;
  alerts: Alerts;
}

export function registerListeners(app: App, deps: ListenerDeps): Entrances {
  const { config, secrets, checkly, runs, metrics, records, workspaceUrl, now, newId, logger } = deps;
  const groups = config.access.allowedUsergroups;
  const guard: GuardDeps = {
    access: {
      policy: config.access,
      usergroups: groups && groups.size > 0 ? new UsergroupMembership({ client: app.client, groups: [...groups], logger }) : undefined,
    },
    metrics,
    logger,
  };
  // The find features see Checkly's failures as the run core does: as the domain's RunFailure.
  const catalogue = new CatalogueCache({
    source: {
      listChecks: () => asRunFailure(listChecks(checkly)),
      listCheckGroups: () => asRunFailure(listCheckGroups(checkly)),
      listCheckStatuses: () => asRunFailure(listCheckStatuses(checkly)),
      listCheckAlerts: () => asRunFailure(listCheckAlerts(checkly)),
    },
    ttlMs: config.checkly.catalogueTtlMs,
    now,
    onBackgroundError: (what, err) =>
      what === 'alerts'
        ? logger.warn({ err: errorText(err) }, 'reading the check alerts failed; failing checks are listed without since when')
        : logger.warn({ what, err: errorText(err) }, 'refreshing the check catalogue failed; serving the last one'),
  });
  const commandName = config.slack.command;
  const picker: PickerDeps = { ...guard, catalogue, runs, commandName, logger, secrets };
  const listing: ListingDeps = { ...guard, catalogue, checks: { missing: (ids) => missingChecks(checkly, ids) }, runs, commandName, logger, now, secrets };
  const results = resultReader(
    {
      getCheckResult: (checkId, resultId, operation) => checkly.getCheckResult(checkId, resultId, operation),
      sessionResults: async (sessionId) => locationResults((await checkly.getSession(sessionId)).results ?? []),
    },
    deps.results,
  );
  const usergroups = new UsergroupMembership({ client: app.client, groups: [...(config.alerts.admins ?? [])].filter((id) => id.startsWith('S')), logger });
  const alerts = registerAlerts(
    app,
    deps.alerts,
    { config, chat: deps.chat, teamId: deps.teamId, sharedBudgets: deps.sharedBudgets },
    {
      ...guard,
      records,
      runs,
      results,
      channels: alertChannelsPort(checkly),
      checks: alertCheckSource(catalogue),
      groupsOf: (userId) => usergroups.groupsOf(userId),
      commandName,
      secrets,
      now,
      newId,
      logger,
    },
  );
  registerCommands(app, { ...guard, runs, commandName, logger, now, picker, listing, alerts: alerts.command });
  registerButtons(app, { ...guard, runs, commandName, logger, details: { results, secrets } });
  registerPicker(app, picker);
  registerListing(app, listing);
  const workflowSteps = registerWorkflowStep(app, { ...guard, runs, records, commandName, workspaceUrl, processId: deps.processId, newId, now, logger });
  const homeTabs = registerHome(app, { ...guard, runs, records, catalogue, commandName, workspaceUrl, secrets, now, newId, logger });
  app.error(async (error) => {
    logger.error({ err: error.message, code: error.code }, 'unhandled error in a listener');
  });
  return { workflowSteps, homeTabs, alerts };
}
