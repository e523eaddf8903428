/**
 * The one guard every entrance goes through, the Slack listeners (as Bolt middleware, slack.ts) and
 * the run API alike: the access check, then for a refusal the refusals metric, the audit line and the
 * refusal reply, in that order, written once.
 */
import { checkAccess, type Access } from '../access/check';
import type { AccessRequest, Refusal } from '../access/policy';
import { audit, type AuditEvent } from '../ops/audit';
import type { Metrics } from '../ops/metrics';
import type { Logger } from '../shared/log';

export interface GuardDeps {
  access: Access;
  metrics: Pick<Metrics, 'refused'>;
  logger: Pick<Logger, 'info'>;
}

/** What an entrance asks to do, and how a refusal of it is written down. */
export interface Asked {
  request: Omit<AccessRequest, 'userGroups'>;
  /** The audit line a refusal writes (the guard adds its outcome and rule); none for what only reads. */
  audit?: Omit<AuditEvent, 'sessions' | 'outcome' | 'reason'>;
  /**
   * The people lists (users, user groups) name people: a token of the run API is not one, so they do
   * not apply to it. Channels and `--all` apply to everyone.
   */
  peopleListsApply?: boolean;
}

/**
 * Whether the entrance may go on. A refusal is counted, audited and answered with `refuse` (which
 * may throw, as the API's does, after the metric and the audit line are written).
 */
export async function guard(deps: GuardDeps, asked: Asked, refuse: (refusal: Refusal) => Promise<void>): Promise<boolean> {
  const access: Access =
    asked.peopleListsApply === false ? { policy: { ...deps.access.policy, allowedUsers: undefined, allowedUsergroups: undefined } } : deps.access;
  const decision = await checkAccess(access, asked.request);
  if (decision.allowed) return true;
  deps.metrics.refused(decision.rule);
  if (asked.audit) audit(deps.logger, { ...asked.audit, sessions: [], outcome: 'refused', reason: decision.rule });
  await refuse(decision);
  return false;
}
