/**
 * `/checkly alerts`: what this channel receives; `alerts on <tag expression>` connects it (one
 * Checkly webhook alert channel, a fresh secret, every matching check subscribed); `alerts off`
 * removes it. Only ALERTS_ADMINS may change it; unset, the change is refused naming the variable.
 */
import { randomBytes } from 'node:crypto';
import type { Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { escapeTruncated } from '../blocks/escape';
import { plural } from '../blocks/format';
import { parseCommand } from '../grammar/parse';
import { runErrorOf, type Target } from '../runs/types';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import type { Connection, Connections } from './connections';
import { ALERT_TEMPLATE } from './payload';
import type { AlertChannelsPort, AlertCheckSource } from './ports';
import { ALERTS_PATH } from './webhook';

export interface AlertCommandDeps {
  connections: Connections;
  channels: AlertChannelsPort;
  checks: AlertCheckSource;
  /** ALERTS_ADMINS: user IDs and user group IDs; undefined: nobody may change alerts. */
  admins?: ReadonlySet<string>;
  /** The user groups among `admins` a person is in. */
  groupsOf: (userId: string) => Promise<string[]>;
  /** PUBLIC_URL: where Checkly reaches the app. */
  publicUrl?: string;
  commandName: string;
  now: () => number;
  logger: Logger;
}

type CommandArgs = SlackCommandMiddlewareArgs;

/** Whether the text is an `alerts` subcommand (the command hands it here before its own parser). */
export function isAlertsCommand(text: string): boolean {
  return /^\s*alerts(\s|$)/i.test(text);
}

/** Whether a check with `tags` matches the target: any group whose tags all match (`!tag`: without it). */
export function matches(target: Target, check: { id: string; tags: readonly string[] }): boolean {
  if (target.all) return true;
  if (target.checkIds.includes(check.id)) return true;
  return target.tags.some((group) => group.every((t) => (t.startsWith('!') ? !check.tags.includes(t.slice(1)) : check.tags.includes(t))));
}

export function alertsCommand(deps: AlertCommandDeps): Middleware<CommandArgs> {
  return async ({ command, ack, respond }) => {
    const words = command.text.trim().split(/\s+/u);
    const sub = (words[1] ?? '').toLowerCase();
    const expression = command.text
      .trim()
      .slice((words[0] ?? '').length)
      .trim()
      .slice(sub.length)
      .trim();
    const say = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    if (sub === '') {
      await ack();
      await say(await describe(deps, command.team_id, command.channel_id));
      return;
    }
    if (sub !== 'on' && sub !== 'off') {
      await ack({ response_type: 'ephemeral', text: usage(deps.commandName) });
      return;
    }
    const refusal = await mayChange(deps, command.user_id);
    if (refusal) {
      await ack({ response_type: 'ephemeral', text: refusal });
      return;
    }
    if (sub === 'off') {
      await ack({ response_type: 'ephemeral', text: 'Disconnecting this channel from Checkly’s alerts…' });
      await say(await disconnect(deps, command.team_id, command.channel_id));
      return;
    }
    if (!deps.publicUrl) {
      await ack({
        response_type: 'ephemeral',
        text: 'Alerts need `PUBLIC_URL`, the app’s address Checkly can reach (docs/alerts.md). Ask whoever runs the app to set it.',
      });
      return;
    }
    const parsed = parseCommand(`run ${expression}`, deps.commandName);
    if (expression === '' || parsed.kind !== 'run') {
      await ack({
        response_type: 'ephemeral',
        text: `${parsed.kind === 'error' ? `${escapeTruncated(parsed.problem, 300)}\n` : ''}${usage(deps.commandName)}`,
      });
      return;
    }
    await ack({ response_type: 'ephemeral', text: 'Connecting this channel to Checkly’s alerts…' });
    try {
      await say(await connect(deps, { teamId: command.team_id, channel: command.channel_id, userId: command.user_id, expression, target: parsed.target }));
    } catch (err) {
      deps.logger.warn({ channel: command.channel_id, err: errorText(err) }, 'connecting a channel to alerts failed');
      await say(`Checkly did not take the alert channel: ${escapeTruncated(runErrorOf(err).message, 300)} Nothing changed here; try again.`);
    }
  };
}

function usage(command: string): string {
  return [
    `\`${command} alerts on <tag expression>\` sends the alerts of the matching checks to this channel (as \`${command} run\` matches them)`,
    `\`${command} alerts off\` stops them`,
    `\`${command} alerts\` says what this channel receives`,
  ].join('\n');
}

async function mayChange(deps: AlertCommandDeps, userId: string): Promise<string | undefined> {
  if (deps.admins === undefined) return 'Changing alerts is off: `ALERTS_ADMINS` names nobody. Ask whoever runs the app to set it (docs/alerts.md).';
  if (deps.admins.has(userId)) return undefined;
  if ((await deps.groupsOf(userId)).length > 0) return undefined;
  return 'Only the people in `ALERTS_ADMINS` may change this channel’s alerts.';
}

async function describe(deps: AlertCommandDeps, teamId: string, channel: string): Promise<string> {
  const connection = await deps.connections.get(teamId, channel);
  if (!connection) return `This channel receives no Checkly alerts. \`${deps.commandName} alerts on <tag expression>\` connects it.`;
  return `This channel receives the alerts of ${plural(connection.subscribed.length, 'check')} matching \`${escapeTruncated(connection.expression, 200)}\` (Checkly alert channel ${connection.alertChannelId}).`;
}

async function disconnect(deps: AlertCommandDeps, teamId: string, channel: string): Promise<string> {
  const connection = await deps.connections.get(teamId, channel);
  if (!connection) return 'This channel was not connected to Checkly’s alerts.';
  try {
    await deps.channels.remove(connection.alertChannelId);
  } catch (err) {
    return `Checkly did not delete the alert channel: ${escapeTruncated(runErrorOf(err).message, 300)} This channel still receives its alerts; try again.`;
  }
  await deps.connections.remove(teamId, channel);
  deps.logger.info({ channel, alertChannelId: connection.alertChannelId }, 'channel disconnected from alerts');
  return 'This channel no longer receives Checkly alerts.';
}

interface Connecting {
  teamId: string;
  channel: string;
  userId: string;
  expression: string;
  target: Target;
}

async function connect(deps: AlertCommandDeps, asked: Connecting): Promise<string> {
  const matching = (await deps.checks.checks()).filter((c) => c.activated && matches(asked.target, c));
  const secret = randomBytes(32).toString('hex');
  const spec = {
    name: `Slack ${asked.channel} (checkly-slack)`,
    url: `${(deps.publicUrl ?? '').replace(/\/+$/, '')}${ALERTS_PATH}`,
    template: ALERT_TEMPLATE,
    webhookSecret: secret,
  };
  const existing = await deps.connections.get(asked.teamId, asked.channel);
  const updated = existing ? await deps.channels.update(existing.alertChannelId, spec) : false;
  const id = updated && existing ? existing.alertChannelId : await deps.channels.create(spec);
  // The secret is stored before the subscriptions: an alert they bring is then already recognised.
  const connection: Connection = {
    teamId: asked.teamId,
    channel: asked.channel,
    alertChannelId: id,
    expression: asked.expression,
    subscribed: [],
    webhookSecret: secret,
    by: asked.userId,
    at: deps.now(),
  };
  await deps.connections.save(connection);
  // Checks the channel kept from its last expression but this one does not match stop alerting here.
  const ids = matching.map((c) => c.id);
  if (updated && existing) for (const stale of existing.subscribed.filter((c) => !ids.includes(c))) await deps.channels.subscribe(id, stale, false);
  await subscribeAll(deps, connection, ids);
  deps.logger.info({ channel: asked.channel, userId: asked.userId, alertChannelId: id, checks: ids.length }, 'channel connected to alerts');
  return `This channel now receives the alerts of ${plural(matching.length, 'check')} matching \`${escapeTruncated(asked.expression, 200)}\`: failures, degradations and recoveries, as messages with Rerun, Details and I’m on it.`;
}

/** Subscribes the checks not subscribed yet, and records each. */
async function subscribeAll(deps: AlertCommandDeps, connection: Connection, checkIds: readonly string[]): Promise<void> {
  const subscribed = [...connection.subscribed];
  for (const checkId of checkIds) {
    if (subscribed.includes(checkId)) continue;
    await deps.channels.subscribe(connection.alertChannelId, checkId, true);
    subscribed.push(checkId);
  }
  await deps.connections.save({ ...connection, subscribed });
}

/**
 * Keeps every connection's subscriptions in step with the catalogue: a check created since that
 * matches its expression is subscribed. Run now and then (index.ts).
 */
export async function resubscribe(deps: AlertCommandDeps): Promise<void> {
  const connections = await deps.connections.all();
  if (connections.length === 0) return;
  const checks = await deps.checks.checks();
  for (const connection of connections) {
    const parsed = parseCommand(`run ${connection.expression}`, deps.commandName);
    if (parsed.kind !== 'run') continue;
    const fresh = checks.filter((c) => c.activated && matches(parsed.target, c) && !connection.subscribed.includes(c.id)).map((c) => c.id);
    if (fresh.length === 0) continue;
    try {
      await subscribeAll(deps, connection, fresh);
      deps.logger.info({ channel: connection.channel, checks: fresh.length }, 'subscribed new matching checks to a channel’s alerts');
    } catch (err) {
      deps.logger.warn({ channel: connection.channel, err: errorText(err) }, 'could not subscribe new checks to a channel’s alerts');
    }
  }
}
