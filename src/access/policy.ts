/**
 * Who may do what, where: a pure decision from the configured allow-lists. Unset lists allow
 * everyone, so an app with nothing configured works for every person in every channel it is in;
 * `--all` is the exception and stays off until allowed, since one click would run every check.
 */
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

/**
 * A refusal says what was refused and by which rule, with what an answer needs to say where the app
 * does run checks and whom to ask (blocks/refusal.ts words it).
 */
export interface Refusal {
  allowed: false;
  rule: AccessRule;
  action: AccessAction;
  /** For the channel rule: the channels the app runs checks in. */
  channels?: readonly string[];
  /** Who to ask for access, as configured (plain text). */
  contact?: string;
}

export type AccessDecision = { allowed: true } | Refusal;

/** The policy of an app with nothing configured. */
export const OPEN_POLICY: AccessPolicy = { allowAll: false };

export function decide(policy: AccessPolicy, request: AccessRequest): AccessDecision {
  const action = request.action ?? 'run';
  const refuse = (rule: AccessRule): Refusal => ({
    allowed: false,
    rule,
    action,
    ...(rule === 'channel' && policy.allowedChannels !== undefined ? { channels: [...policy.allowedChannels] } : {}),
    ...(policy.contact !== undefined ? { contact: policy.contact } : {}),
  });

  if (policy.allowedChannels !== undefined && !policy.allowedChannels.has(request.channelId)) return refuse('channel');
  if (action === 'status') return { allowed: true };

  if (!mayRunChecks(policy, request)) return refuse('user');
  if ((action === 'run' || action === 'rerun') && request.target?.all === true && !policy.allowAll) return refuse('all');
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
