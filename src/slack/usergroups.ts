/**
 * Which of the configured Slack user groups a person belongs to, from `usergroups.users.list`
 * (scope `usergroups:read`). Members are cached per group for a short while, and concurrent asks
 * share one call, so a burst of commands costs one call per group, not one per command.
 */
import type { Logger } from '../shared/log';
import { platformError } from './errors';

/** The one Web API method this needs; Bolt's `app.client` fits. */
export interface UsergroupsClient {
  usergroups: {
    users: {
      list(args: { usergroup: string }): Promise<{ users?: string[] }>;
    };
  };
}

export interface UsergroupMembershipDeps {
  client: UsergroupsClient;
  /** The groups the policy names (S…); only these are ever looked up. */
  groups: readonly string[];
  /** How long a group's member list is trusted (default 5 minutes). */
  ttlMs?: number;
  /**
   * How long an ask waits for Slack before deciding with what it knows (default 1.5 s): the command
   * must be answered within Slack's 3 s. A late answer still fills the cache for the next ask.
   */
  timeoutMs?: number;
  now?: () => number;
  logger?: Pick<Logger, 'warn'>;
}

interface Members {
  users: ReadonlySet<string>;
  fetchedAt: number;
}

const DEFAULT_USERGROUPS_TTL_MS = 5 * 60 * 1000;
const DEFAULT_USERGROUPS_TIMEOUT_MS = 1500;
const NOBODY: ReadonlySet<string> = new Set();

export class UsergroupMembership {
  private readonly cache = new Map<string, Members>();
  private readonly inFlight = new Map<string, Promise<ReadonlySet<string>>>();
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: UsergroupMembershipDeps) {
    this.ttlMs = options.ttlMs ?? DEFAULT_USERGROUPS_TTL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_USERGROUPS_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  /** The configured groups `userId` is a member of. Never rejects: a group that cannot be read admits nobody. */
  async groupsOf(userId: string): Promise<string[]> {
    const groups = [...new Set(this.options.groups)];
    const members = await Promise.all(groups.map((group) => this.members(group)));
    return groups.filter((_, i) => members[i]?.has(userId) === true);
  }

  private members(group: string): Promise<ReadonlySet<string>> {
    const cached = this.cache.get(group);
    if (cached !== undefined && this.now() - cached.fetchedAt < this.ttlMs) return Promise.resolve(cached.users);
    let pending = this.inFlight.get(group);
    if (pending === undefined) {
      pending = this.fetch(group, cached).finally(() => this.inFlight.delete(group));
      this.inFlight.set(group, pending);
    }
    return this.withDeadline(group, pending, cached);
  }

  private withDeadline(group: string, pending: Promise<ReadonlySet<string>>, stale: Members | undefined): Promise<ReadonlySet<string>> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.options.logger?.warn(
          { usergroup: group, timeoutMs: this.timeoutMs, usingStale: stale !== undefined },
          'reading a user group is slow; deciding with what is known',
        );
        resolve(stale?.users ?? NOBODY);
      }, this.timeoutMs);
      void pending.then((users) => {
        clearTimeout(timer);
        resolve(users);
      });
    });
  }

  /**
   * On failure the last known members stay in use (a Slack hiccup should not lock people out) but are
   * not refreshed, so the next ask tries again; with nothing known, the group admits nobody.
   */
  private async fetch(group: string, stale: Members | undefined): Promise<ReadonlySet<string>> {
    try {
      const answer = await this.options.client.usergroups.users.list({ usergroup: group });
      const users = new Set(Array.isArray(answer.users) ? answer.users.filter((u) => typeof u === 'string') : []);
      this.cache.set(group, { users, fetchedAt: this.now() });
      return users;
    } catch (err) {
      const code = platformError(err);
      this.options.logger?.warn(
        { usergroup: group, error: code ?? (err instanceof Error ? err.name : 'unknown'), usingStale: stale !== undefined },
        code === 'missing_scope'
          ? 'cannot read a user group: the app needs the usergroups:read scope'
          : 'cannot read a user group; its members are not admitted until it can be read',
      );
      return stale?.users ?? NOBODY;
    }
  }
}
