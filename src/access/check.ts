/** The access check a listener runs: the policy, with group memberships looked up only when they matter. */
import { decide, needsUsergroups, type AccessDecision, type AccessPolicy, type AccessRequest } from './policy';
import type { UsergroupMembership } from './usergroups';

export interface Access {
  policy: AccessPolicy;
  /** Present when the policy names user groups. */
  usergroups?: Pick<UsergroupMembership, 'groupsOf'>;
}

export async function checkAccess(access: Access, request: Omit<AccessRequest, 'userGroups'>): Promise<AccessDecision> {
  const userGroups =
    access.usergroups !== undefined && needsUsergroups(access.policy, request) ? await access.usergroups.groupsOf(request.userId) : [];
  return decide(access.policy, { ...request, userGroups });
}
