/** The alerts room's ports over the Checkly client and the catalogue, and its messages over Slack's budgets. */
import type { App } from '@slack/bolt';
import type { Alerts, AlertsDeps, alertsEntrance } from '../alerts';
import { SlackAlertChat } from '../alerts/chat';
import type { AlertChannelsPort, AlertCheckSource } from '../alerts/ports';
import type { CatalogueCache } from '../catalogue/cache';
import { createWebhookChannel, deleteAlertChannel, subscribeCheck, updateWebhookChannel } from '../checkly/alert-channels';
import type { ChecklyClient } from '../checkly/client';
import { NotFoundError, asRunFailure } from '../checkly/errors';
import type { Config } from '../config';
import type { ChatClient, SharedSlackBudgets } from '../slack/chat-rules';

export function alertChannelsPort(checkly: ChecklyClient): AlertChannelsPort {
  return {
    create: (channel) => asRunFailure(createWebhookChannel(checkly, channel)),
    update: (id, channel) =>
      asRunFailure(
        updateWebhookChannel(checkly, id, channel).then(
          () => true,
          (err: unknown) => {
            if (err instanceof NotFoundError) return false;
            throw err;
          },
        ),
      ),
    subscribe: (id, checkId, activated) => asRunFailure(subscribeCheck(checkly, id, checkId, activated)),
    remove: (id) => asRunFailure(deleteAlertChannel(checkly, id)),
  };
}

export function alertCheckSource(catalogue: Pick<CatalogueCache, 'reload'>): AlertCheckSource {
  return {
    // Connecting asks Checkly afresh: a check created a minute ago is subscribed too.
    checks: async () => (await catalogue.reload()).value.checks,
  };
}

export interface AlertWiring {
  config: Config;
  chat: ChatClient;
  teamId?: string;
  sharedBudgets?: SharedSlackBudgets;
}

export function registerAlerts(
  app: App,
  entrance: ReturnType<typeof alertsEntrance>,
  wiring: AlertWiring,
  deps: Omit<AlertsDeps, 'chat' | 'admins' | 'publicUrl' | 'resubscribeEveryMs' | 'sweepEveryMs'>,
): Alerts {
  const { config } = wiring;
  const chat = new SlackAlertChat({
    client: wiring.chat,
    teamId: () => wiring.teamId ?? '',
    maxUpdatesPerMinute: config.slack.maxUpdatesPerMinute,
    updateIntervalMs: config.slack.updateIntervalMs,
    sharedBudgets: wiring.sharedBudgets,
    secrets: deps.secrets,
    now: deps.now,
    logger: deps.logger,
  });
  return entrance.register(app, {
    ...deps,
    chat,
    ...(config.alerts.admins && { admins: config.alerts.admins }),
    ...(config.alerts.publicUrl && { publicUrl: config.alerts.publicUrl }),
    ...(config.alerts.webhookSecret && { byHand: { secret: config.alerts.webhookSecret, teamId: () => wiring.teamId ?? '' } }),
    resubscribeEveryMs: config.checkly.catalogueTtlMs,
    sweepEveryMs: config.runs.sweepIntervalMs,
  });
}

/** The alerts' route, made before the receiver (app.ts gives it to registerListeners). */
export { alertsEntrance } from '../alerts';
