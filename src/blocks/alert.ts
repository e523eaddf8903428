/**
 * An incident's message (product.md section 12): one per check and channel, from its first alert to
 * its recovery; and the recovery's thread reply. Everything from Checkly is escaped: a check named
 * `<!channel>` shows as text and pings nobody.
 */
import type { Button, KnownBlock } from '@slack/types';
import { codeSpan, escapeTruncated, link, mentionUser, oneLine } from './escape';
import { checkTypeLabel, formatDuration, plural, slackDate } from './format';
import { LIMITS, actions, context, fallback, section, type SlackMessage } from './message';

export const ACTION_ALERT_RERUN = 'alert_rerun';
export const ACTION_ALERT_DETAILS = 'alert_details';
export const ACTION_ALERT_OWN = 'alert_own';

/** What an incident's message shows (alerts/incident.ts's Incident has these fields). */
export interface IncidentView {
  id: string;
  checkId: string;
  checkName: string;
  checkType: string;
  groupName: string;
  state: 'failing' | 'degraded' | 'recovered';
  failed: boolean;
  startedAt: number;
  recoveredAt?: number;
  alerts: number;
  locations: readonly string[];
  error: string;
  statusCode?: number;
  resultId: string;
  resultLink: string;
  owners: readonly string[];
  /** Posts of this message tried: over one, an earlier post may be in the channel, its ts lost (a process killed, Slack silent). */
  posts?: number;
}

/** A button names the incident and its check: the app looks the incident up. */
export interface AlertButtonValue {
  incident: string;
  check: string;
}

export function parseAlertButtonValue(raw: string | undefined): AlertButtonValue | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { incident, check } = parsed as Record<string, unknown>;
    return typeof incident === 'string' && incident !== '' && typeof check === 'string' && check !== '' ? { incident, check } : undefined;
  } catch {
    return undefined;
  }
}

const NAME_MAX = 150;
const LOCATIONS_SHOWN = 8;
const ERROR_MAX = 1_500;
const OWNERS_SHOWN = 10;
/** Under a message posted again (`what` it is): the app cannot read the channel to find the first one. */
export function earlierPostNote(what: string): string {
  return `If an earlier ${what} is above, it is out of date: the app lost track of it (a restart, or Slack did not answer). This one is kept up to date.`;
}
export const EARLIER_POST = earlierPostNote('message about this incident');

function name(view: Pick<IncidentView, 'checkName' | 'checkId'>): string {
  return escapeTruncated(oneLine(view.checkName) || view.checkId, NAME_MAX);
}

function glyph(view: IncidentView): string {
  if (view.state === 'recovered') return '✅';
  return view.failed ? '🔴' : '🟡';
}

/** "recovered after 14 min · 3 alerts" */
export function recoveredLine(view: IncidentView): string {
  const lasted = formatDuration(Math.max(0, (view.recoveredAt ?? view.startedAt) - view.startedAt));
  return `recovered after ${lasted} · ${plural(view.alerts, 'alert')}`;
}

function headline(view: IncidentView): string {
  if (view.state === 'recovered') return `${glyph(view)} *${name(view)}* ${recoveredLine(view)}`;
  const what = view.state === 'failing' ? 'is failing' : 'is degraded';
  const count = view.alerts > 1 ? ` · ${plural(view.alerts, 'alert')}` : '';
  return `${glyph(view)} *${name(view)}* ${what}${count}`;
}

function facts(view: IncidentView): string {
  const parts: string[] = [];
  if (view.checkType !== '') parts.push(escapeTruncated(checkTypeLabel(view.checkType), 40));
  if (view.groupName !== '') parts.push(escapeTruncated(oneLine(view.groupName), 100));
  if (view.locations.length > 0) {
    const shown = view.locations.slice(0, LOCATIONS_SHOWN).map((l) => escapeTruncated(oneLine(l), 60));
    const more = view.locations.length - shown.length;
    parts.push(`📍 ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  parts.push(`since ${slackDate(view.startedAt)}`);
  if (view.resultLink !== '') parts.push(link(view.resultLink, 'Result in Checkly'));
  return parts.join(' · ');
}

function errorLine(view: IncidentView): string | undefined {
  const status = view.statusCode === undefined ? '' : `HTTP ${view.statusCode} `;
  if (view.error === '' && status === '') return undefined;
  return `${status}${view.error === '' ? '' : codeSpan(view.error, ERROR_MAX)}`.trim();
}

function button(actionId: string, text: string, value: AlertButtonValue, style?: 'primary'): Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value: JSON.stringify(value), ...(style && { style }) };
}

export function ownersLine(owners: readonly string[]): string {
  const shown = owners.slice(0, OWNERS_SHOWN).map(mentionUser);
  const more = owners.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

export function renderIncident(view: IncidentView): SlackMessage {
  const blocks: KnownBlock[] = [section(headline(view)), context([facts(view)])];
  const error = errorLine(view);
  if (error !== undefined && view.state !== 'recovered') blocks.push(section(error));
  if (view.owners.length > 0) blocks.push(context([`👀 On it: ${ownersLine(view.owners)}`]));
  if ((view.posts ?? 0) > 1) blocks.push(context([EARLIER_POST]));
  const value = { incident: view.id, check: view.checkId };
  const buttons = [button(ACTION_ALERT_RERUN, 'Rerun', value, 'primary'), button(ACTION_ALERT_DETAILS, 'Details', value)];
  if (view.state !== 'recovered') buttons.push(button(ACTION_ALERT_OWN, 'I’m on it', value));
  blocks.push(actions(`alert:${view.id}`.slice(0, LIMITS.id), buttons));
  const plain =
    view.state === 'recovered'
      ? `${oneLine(view.checkName)} ${recoveredLine(view)}`
      : `${oneLine(view.checkName)} ${view.state === 'failing' ? 'is failing' : 'is degraded'}`;
  return { text: fallback(escapeTruncated(plain, NAME_MAX + 60)), blocks };
}

/** The recovery's reply in the incident's thread, mentioning whoever was on it. */
export function renderRecoveryReply(view: IncidentView): SlackMessage {
  const who = view.owners.length > 0 ? ` ${ownersLine(view.owners)}` : '';
  const text = `✅ *${name(view)}* ${recoveredLine(view)}.${who}`;
  return { text: fallback(`${escapeTruncated(oneLine(view.checkName), NAME_MAX)} ${recoveredLine(view)}`), blocks: [section(text)] };
}
