/** The access check a listener runs: the policy, with group memberships looked up only when they matter. */
import { decide, needsUsergroups, type AccessDecision, type AccessPolicy, type AccessRequest } from './policy';

/** Who belongs to which of the policy's user groups (slack/usergroups.ts asks Slack). */
export interface GroupLookup {
  /** The configured groups the user is a member of. */
  groupsOf(userId: string): Promise<readonly string[]>;
}

export interface Access {
  policy: AccessPolicy;
  /** Present when the policy names user groups. */
  usergroups?: GroupLookup;
}

export async function checkAccess(access: Access, request: Omit<AccessRequest, 'userGroups'>): Promise<AccessDecision> {
  const userGroups = access.usergroups !== undefined && needsUsergroups(access.policy, request) ? await access.usergroups.groupsOf(request.userId) : [];
  return decide(access.policy, { ...request, userGroups });
}
