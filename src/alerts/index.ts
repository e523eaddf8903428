/**
 * Alerts in, actions out (product.md section 12): Checkly's alert deliveries on POST /alerts/checkly
 * become one message per incident, with Rerun, Details and I'm on it; `/checkly alerts` connects a
 * channel. The route exists before the app does (the receiver serves it), so it is bound late.
 */
import type { App, CustomRoute, Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { ACTION_ALERT_DETAILS, ACTION_ALERT_OWN, ACTION_ALERT_RERUN } from '../blocks/alert';
import type { GuardDeps } from '../guard';
import type { ResultReader } from '../runs/ports';
import type { Records } from '../runs/records';
import type { RunService } from '../runs/service';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import type { Secrets } from '../shared/secrets';
import { incidentDetails, ownIncident, rerunIncident } from './actions';
import { type AlertChat, IncidentDesk } from './desk';
import { type AlertCommandDeps, alertsCommand, isAlertsCommand, resubscribe } from './command';
import { Connections } from './connections';
import type { AlertChannelsPort, AlertCheckSource } from './ports';
import { Rollups } from './rollup';
import { type AlertReceiver, alertRoutes } from './webhook';

export { signAlert } from './connections';
export { ALERT_TEMPLATE } from './payload';
export type { AlertChannelsPort, AlertCheckSource } from './ports';

export interface AlertsDeps extends GuardDeps {
  records: Records;
  chat: AlertChat & { stop(): void };
  runs: RunService;
  results: ResultReader;
  channels: AlertChannelsPort;
  checks: AlertCheckSource;
  admins?: ReadonlySet<string>;
  groupsOf: (userId: string) => Promise<string[]>;
  publicUrl?: string;
  /** ALERTS_WEBHOOK_SECRET, and the workspace its deliveries are for. */
  byHand?: { secret: string; teamId: () => string };
  commandName: string;
  /** How often new matching checks are subscribed (the catalogue's time to live). */
  resubscribeEveryMs: number;
  /** How often incidents whose message is behind are shown again (RUN_SWEEP_INTERVAL_MS). */
  sweepEveryMs: number;
  secrets: Secrets;
  now: () => number;
  newId: () => string;
  logger: Logger;
}

export interface Alerts {
  /** The `alerts` subcommand, for the slash command to hand over. */
  command: { handles(text: string): boolean; middleware: Middleware<SlackCommandMiddlewareArgs> };
  /** Waits for the messages being shown, then stops (shutdown). */
  stop(timeoutMs: number): Promise<void>;
}

/** The route first (for the receiver); `register` binds it once the app exists. */
export function alertsEntrance(): { routes: CustomRoute[]; register(app: App, deps: AlertsDeps): Alerts } {
  let receiver: AlertReceiver | undefined;
  return {
    routes: alertRoutes(() => receiver),
    register(app, deps) {
      const connections = new Connections(deps.records);
      const rollups = new Rollups({ records: deps.records, chat: deps.chat, now: deps.now, newId: deps.newId, logger: deps.logger });
      const desk = new IncidentDesk({ records: deps.records, chat: deps.chat, rollups, now: deps.now, newId: deps.newId, logger: deps.logger });
      const actions = { ...deps, desk };
      app.action(ACTION_ALERT_RERUN, ...rerunIncident(actions));
      app.action(ACTION_ALERT_DETAILS, ...incidentDetails(actions));
      app.action(ACTION_ALERT_OWN, ...ownIncident(actions));
      const commandDeps: AlertCommandDeps = { ...deps, connections };
      const timer = setInterval(() => {
        resubscribe(commandDeps).catch((err: unknown) => deps.logger.warn({ err: errorText(err) }, 'keeping alert subscriptions in step failed'));
      }, deps.resubscribeEveryMs);
      timer.unref();
      const sweeper = setInterval(() => {
        desk.sweep().catch((err: unknown) => deps.logger.warn({ err: errorText(err) }, 'the incident sweep failed'));
      }, deps.sweepEveryMs);
      sweeper.unref();
      receiver = { connections, desk, now: deps.now, logger: deps.logger, ...(deps.byHand && { byHand: deps.byHand }) };
      return {
        command: { handles: isAlertsCommand, middleware: alertsCommand(commandDeps) },
        async stop(timeoutMs) {
          clearInterval(timer);
          clearInterval(sweeper);
          await desk.settle(timeoutMs);
          deps.chat.stop();
        },
      };
    },
  };
}
