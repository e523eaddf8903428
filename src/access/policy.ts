/**
 * Who may do what, where: a pure decision from the configured allow-lists. Unset lists allow
 * everyone, so an app with nothing configured works for every person in every channel it is in;
 * `--all` is the exception and stays off until allowed, since one click would run every check.
 */
import { escapeMrkdwn } from '../blocks/escape';
import type { Target } from '../runs/types';

export interface AccessPolicy {
  /** Channels (C…, G…, D…) the app answers in; undefined: every channel it is in. */
  allowedChannels?: ReadonlySet<string>;
  /** People (U…, W…) who may run checks; with `allowedUsergroups`, either list admits. */
  allowedUsers?: ReadonlySet<string>;
  /** User groups (S…) whose members may run checks. */
  allowedUsergroups?: ReadonlySet<string>;
  /** Whether `run --all` (and `Rerun all` of such a run) is allowed. */
  allowAll: boolean;
  /** Who to ask for access, shown in refusals (already checked to be short plain text). */
  contact?: string;
}

/**
 * What is being done. `status` only reads, so only the channel rule applies to it; `help` is always
 * answered and never asks.
 */
export type AccessAction = 'run' | 'rerun' | 'cancel' | 'status';

export interface AccessRequest {
  /** Defaults to `run`. */
  action?: AccessAction;
  userId: string;
  channelId: string;
  /** What would be triggered (run, rerun); absent for cancel and status. */
  target?: Target;
  /** The configured groups the user belongs to (see UsergroupMembership). */
  userGroups: readonly string[];
}

/** Which rule refused: for the audit line and the refusals metric. */
export type AccessRule = 'channel' | 'user' | 'all';

/** `reason` is mrkdwn, ready for an ephemeral answer: why, and whom to ask. */
export type AccessDecision = { allowed: true } | { allowed: false; rule: AccessRule; reason: string };

/** The policy of an app with nothing configured. */
export const OPEN_POLICY: AccessPolicy = { allowAll: false };

const CHANNELS_SHOWN = 5;

export function decide(policy: AccessPolicy, request: AccessRequest): AccessDecision {
  const action = request.action ?? 'run';
  const refuse = (rule: AccessRule, ...sentences: string[]): AccessDecision => ({
    allowed: false,
    rule,
    reason: ['⛔', ...sentences.filter((s) => s !== ''), askLine(policy)].join(' '),
  });

  if (policy.allowedChannels !== undefined && !policy.allowedChannels.has(request.channelId)) {
    return refuse('channel', 'The Checkly app does not run checks in this conversation, so nothing was done.', whereAllowed(policy.allowedChannels));
  }
  if (action === 'status') return { allowed: true };

  if (!mayRunChecks(policy, request)) {
    const verb = action === 'cancel' ? 'cancel Checkly runs' : 'run Checkly checks';
    return refuse('user', `You are not on the list of people who may ${verb} from Slack, so nothing was done.`);
  }
  if ((action === 'run' || action === 'rerun') && request.target?.all === true && !policy.allowAll) {
    return refuse(
      'all',
      'Running every check at once (`--all`) is turned off in this workspace, so nothing was triggered.',
      'Run the checks you need by tag, or with `--check &lt;uuid&gt;`.',
    );
  }
  return { allowed: true };
}

/** Whether the user is let in by name or by group; nobody is turned away when neither list is set. */
function mayRunChecks(policy: AccessPolicy, request: AccessRequest): boolean {
  const { allowedUsers, allowedUsergroups } = policy;
  if (allowedUsers === undefined && allowedUsergroups === undefined) return true;
  if (allowedUsers?.has(request.userId)) return true;
  return allowedUsergroups !== undefined && request.userGroups.some((g) => allowedUsergroups.has(g));
}

/**
 * Whether deciding for this user needs their group memberships: only when groups are configured and
 * nothing else settles the question, so most commands cost no Slack call.
 */
export function needsUsergroups(policy: AccessPolicy, request: Omit<AccessRequest, 'userGroups'>): boolean {
  if (policy.allowedUsergroups === undefined || policy.allowedUsergroups.size === 0) return false;
  if (policy.allowedChannels !== undefined && !policy.allowedChannels.has(request.channelId)) return false;
  if ((request.action ?? 'run') === 'status') return false;
  return !(policy.allowedUsers?.has(request.userId) ?? false);
}

/** `<#C…>` renders as the channel's name for those who may see it; ids are validated at start-up. */
function whereAllowed(channels: ReadonlySet<string>): string {
  const ids = [...channels].filter((id) => /^[CG][A-Z0-9]+$/.test(id));
  if (ids.length === 0) return '';
  const shown = ids.slice(0, CHANNELS_SHOWN).map((id) => `<#${id}>`).join(', ');
  const more = ids.length > CHANNELS_SHOWN ? ` and ${ids.length - CHANNELS_SHOWN} more` : '';
  return `It runs checks in ${shown}${more}.`;
}

function askLine(policy: AccessPolicy): string {
  return policy.contact !== undefined
    ? `To change this, ask ${escapeMrkdwn(policy.contact)}.`
    : 'To change this, ask whoever runs the Checkly app for your workspace.';
}
