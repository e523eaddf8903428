/** The ephemeral answer to a refused command or click: why, where the app does run checks, and whom to ask. */
import type { Refusal } from '../access/policy';
import { escapeMrkdwn } from './escape';
import { fallback, section, type SlackMessage } from './message';

const CHANNELS_SHOWN = 5;

export function renderRefusal(refusal: Refusal): SlackMessage {
  const reason = refusalText(refusal);
  return { text: fallback(reason), blocks: [section(reason)] };
}

/** The refusal as one mrkdwn paragraph. */
export function refusalText(refusal: Refusal): string {
  return ['⛔', ...whyRefused(refusal).filter((s) => s !== ''), askLine(refusal.contact)].join(' ');
}

function whyRefused(refusal: Refusal): string[] {
  switch (refusal.rule) {
    case 'channel':
      return ['The Checkly app does not run checks in this conversation, so nothing was done.', whereAllowed(refusal.channels ?? [])];
    case 'user': {
      const verb = refusal.action === 'cancel' ? 'cancel Checkly runs' : 'run Checkly checks';
      return [`You are not on the list of people who may ${verb} from Slack, so nothing was done.`];
    }
    case 'all':
      return [
        'Running every check at once (`--all`) is turned off in this workspace, so nothing was triggered.',
        'Run the checks you need by tag, or with `--check &lt;uuid&gt;`.',
      ];
  }
}

/**
 * A refusal that names what it is about, for where "this conversation" and "you" mean nothing: a
 * workflow step's error (the person it runs for is `user`; none named, when only listed people may
 * run checks) and the Home tab. `channel` and `user` are IDs already checked to be IDs.
 */
export function namedRefusalText(refusal: Refusal, channel: string, user: string | undefined): string {
  const why = (() => {
    switch (refusal.rule) {
      case 'channel':
        return [`The Checkly app does not run checks in <#${channel}>, so nothing was done.`, whereAllowed(refusal.channels ?? [])];
      case 'user':
        return user !== undefined
          ? [`<@${user}> is not on the list of people who may run Checkly checks, so nothing was done.`]
          : ['Only the people on the app’s list may run Checkly checks: set the step’s “On behalf of” to one of them. Nothing was done.'];
      case 'all':
        return whyRefused(refusal);
    }
  })();
  return [...why.filter((s) => s !== ''), askLine(refusal.contact)].join(' ');
}

/** `<#C…>` renders as the channel's name for those who may see it; ids are validated at start-up. */
function whereAllowed(channels: readonly string[]): string {
  const ids = channels.filter((id) => /^[CG][A-Z0-9]+$/.test(id));
  if (ids.length === 0) return '';
  const shown = ids
    .slice(0, CHANNELS_SHOWN)
    .map((id) => `<#${id}>`)
    .join(', ');
  const more = ids.length > CHANNELS_SHOWN ? ` and ${ids.length - CHANNELS_SHOWN} more` : '';
  return `It runs checks in ${shown}${more}.`;
}

function askLine(contact: string | undefined): string {
  return contact !== undefined ? `To change this, ask ${escapeMrkdwn(contact)}.` : 'To change this, ask whoever runs the Checkly app for your workspace.';
}

/** Slack would not post in `channel` (Slack's reason, an Unreachable): why, and what fixes it. Nothing was triggered. */
export function channelUnreachableText(channel: string, why: string): string {
  if (why === 'not_in_channel') return `The Checkly app is not a member of <#${channel}>: invite it there with /invite @Checkly. Nothing was triggered.`;
  if (why === 'channel_not_found')
    return `The Checkly app cannot see <#${channel}>: a private channel needs an invite (/invite @Checkly). Nothing was triggered.`;
  return `Slack does not let the Checkly app post in <#${channel}> (${escapeMrkdwn(why)}): it may be archived, read-only, or closed to apps. Nothing was triggered.`;
}
