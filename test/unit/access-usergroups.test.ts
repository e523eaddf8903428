import { webApi } from '@slack/bolt';
import { UsergroupMembership, type UsergroupsClient } from '../../src/slack/usergroups';
import { createLogger } from '../../src/shared/log';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';

/** A client whose answers the test controls, counting calls per group. */
function stubClient(members: Record<string, string[] | Error>) {
  const calls: string[] = [];
  const client: UsergroupsClient = {
    usergroups: {
      users: {
        list: async ({ usergroup }) => {
          calls.push(usergroup);
          await new Promise((r) => setImmediate(r));
          const answer = members[usergroup];
          if (answer instanceof Error) throw answer;
          return { users: answer ?? [] };
        },
      },
    },
  };
  return { client, calls };
}

function platformError(error: string): Error {
  return Object.assign(new Error(`An API error occurred: ${error}`), { code: 'slack_webapi_platform_error', data: { ok: false, error } });
}

describe('UsergroupMembership', () => {
  it('returns the configured groups the user is in, in configured order', async () => {
    const { client } = stubClient({ S0SRE: ['U0ALICE', 'U0BOB'], S0DEV: ['U0BOB'], S0QA: [] });
    const groups = new UsergroupMembership({ client, groups: ['S0SRE', 'S0DEV', 'S0QA'] });
    await expect(groups.groupsOf('U0BOB')).resolves.toEqual(['S0SRE', 'S0DEV']);
    await expect(groups.groupsOf('U0ALICE')).resolves.toEqual(['S0SRE']);
    await expect(groups.groupsOf('U0EVE')).resolves.toEqual([]);
  });

  it('a burst costs one call per group, and the cache lasts its TTL', async () => {
    let now = 1_000_000;
    const { client, calls } = stubClient({ S0SRE: ['U0ALICE'], S0DEV: ['U0BOB'] });
    const groups = new UsergroupMembership({ client, groups: ['S0SRE', 'S0DEV'], ttlMs: 60_000, now: () => now });
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => groups.groupsOf(i % 2 ? 'U0ALICE' : 'U0BOB')));
    expect(burst.filter((g) => g[0] === 'S0SRE')).toHaveLength(10);
    expect(calls.sort()).toEqual(['S0DEV', 'S0SRE']);

    now += 59_999;
    await groups.groupsOf('U0ALICE');
    expect(calls).toHaveLength(2);
    now += 1;
    await groups.groupsOf('U0ALICE');
    expect(calls).toHaveLength(4);
  });

  it('fails closed when a group was never readable, and says why in the log', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => lines.push(line) } });
    const { client, calls } = stubClient({ S0SRE: platformError('missing_scope') });
    const groups = new UsergroupMembership({ client, groups: ['S0SRE'], logger });
    await expect(groups.groupsOf('U0ALICE')).resolves.toEqual([]);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({
        level: 40,
        usergroup: 'S0SRE',
        error: 'missing_scope',
        usingStale: false,
        msg: 'cannot read a user group: the app needs the usergroups:read scope',
      }),
    ]);
    // Not cached: the next ask tries again.
    await groups.groupsOf('U0ALICE');
    expect(calls).toEqual(['S0SRE', 'S0SRE']);
  });

  it('keeps the last known members when a refresh fails, and retries on the next ask', async () => {
    let now = 0;
    const members: Record<string, string[] | Error> = { S0SRE: ['U0ALICE'] };
    const { client, calls } = stubClient(members);
    const groups = new UsergroupMembership({ client, groups: ['S0SRE'], ttlMs: 1000, now: () => now });
    await expect(groups.groupsOf('U0ALICE')).resolves.toEqual(['S0SRE']);
    members.S0SRE = new Error('socket hang up');
    now += 5000;
    await expect(groups.groupsOf('U0ALICE')).resolves.toEqual(['S0SRE']);
    members.S0SRE = ['U0BOB'];
    await expect(groups.groupsOf('U0ALICE')).resolves.toEqual([]);
    expect(calls).toEqual(['S0SRE', 'S0SRE', 'S0SRE']);
  });
});

describe('UsergroupMembership when Slack is slow', () => {
  it('decides with what it knows after the timeout, and the late answer fills the cache', async () => {
    let release: (users: string[]) => void = () => undefined;
    let calls = 0;
    const client: UsergroupsClient = {
      usergroups: {
        users: {
          list: () => {
            calls += 1;
            return new Promise((resolve) => {
              release = (users) => resolve({ users });
            });
          },
        },
      },
    };
    const groups = new UsergroupMembership({ client, groups: ['S0SRE'], timeoutMs: 50 });
    const started = Date.now();
    await expect(groups.groupsOf('U0ALICE')).resolves.toEqual([]);
    // After its 50 ms, not whenever Slack answers (never, here); the bound leaves room for a busy machine.
    expect(Date.now() - started).toBeLessThan(5_000);
    release(['U0ALICE']);
    await new Promise((r) => setImmediate(r));
    await expect(groups.groupsOf('U0ALICE')).resolves.toEqual(['S0SRE']);
    expect(calls).toBe(1);
  });
});

describe('UsergroupMembership over the real Web API client', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await startFakeSlack({ botToken: 'xoxb-usergroups-test' });
  });
  afterEach(async () => {
    await slack.close();
  });

  it('calls usergroups.users.list once per group for a burst, and fails closed on an unknown group', async () => {
    slack.setUsergroup('S0SRE', ['U0ALICE']);
    const client = new webApi.WebClient('xoxb-usergroups-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    const groups = new UsergroupMembership({ client, groups: ['S0SRE', 'S0GONE'] });
    const answers = await Promise.all(Array.from({ length: 10 }, () => groups.groupsOf('U0ALICE')));
    expect(answers).toEqual(Array.from({ length: 10 }, () => ['S0SRE']));
    const calls = slack.callsTo('usergroups.users.list');
    expect(calls.map((c) => c.args.usergroup).sort()).toEqual(['S0GONE', 'S0SRE']);
    expect(calls.find((c) => c.args.usergroup === 'S0GONE')?.error).toBe('no_such_subteam');
  });
});
