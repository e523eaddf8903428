import { checkAccess } from '../../src/access/check';
import { refusalText, renderRefusal } from '../../src/blocks/refusal';
import { OPEN_POLICY, decide as decideRule, needsUsergroups, type AccessDecision, type AccessPolicy, type AccessRequest } from '../../src/access/policy';
import type { Target } from '../../src/runs/types';
import { assertWithinSlackLimits } from './slack-limits';

/** The decision with its refusal worded as the answer shows it (blocks/refusal.ts). */
function decide(policy: AccessPolicy, req: AccessRequest): { allowed: true } | { allowed: false; rule: string; reason: string } {
  const decision: AccessDecision = decideRule(policy, req);
  return decision.allowed ? decision : { allowed: false, rule: decision.rule, reason: refusalText(decision) };
}

const TAGS: Target = { tags: [['prod']], checkIds: [], all: false };
const ALL: Target = { tags: [], checkIds: [], all: true };

function request(over: Partial<AccessRequest> = {}): AccessRequest {
  return { userId: 'U0ALICE', channelId: 'C0OPS', target: TAGS, userGroups: [], ...over };
}

const RESTRICTED: AccessPolicy = {
  allowedChannels: new Set(['C0OPS', 'G0PRIV']),
  allowedUsers: new Set(['U0ALICE']),
  allowedUsergroups: new Set(['S0SRE']),
  allowAll: false,
};

describe('decide: with nothing configured', () => {
  it('lets anyone run tags and check IDs in any channel', () => {
    expect(decide(OPEN_POLICY, request({ userId: 'U0ANYONE', channelId: 'C0ANY' }))).toEqual({ allowed: true });
    expect(decide(OPEN_POLICY, request({ action: 'rerun', target: { tags: [], checkIds: ['x'], all: false } }))).toEqual({ allowed: true });
    expect(decide(OPEN_POLICY, request({ action: 'cancel', target: undefined }))).toEqual({ allowed: true });
  });

  it('refuses --all, which must be turned on', () => {
    const decision = decide(OPEN_POLICY, request({ target: ALL }));
    expect(decision).toEqual({
      allowed: false,
      rule: 'all',
      reason:
        '⛔ Running every check at once (`--all`) is turned off in this workspace, so nothing was triggered. ' +
        'Run the checks you need by tag, or with `--check &lt;uuid&gt;`. ' +
        'To change this, ask whoever runs the Checkly app for your workspace.',
    });
    expect(decide(OPEN_POLICY, request({ action: 'rerun', target: ALL }))).toMatchObject({ allowed: false, rule: 'all' });
    expect(decide({ allowAll: true }, request({ target: ALL }))).toEqual({ allowed: true });
  });

  it('lets anyone cancel an --all run even while --all is off: cancelling triggers nothing', () => {
    expect(decide(OPEN_POLICY, request({ action: 'cancel', target: ALL }))).toEqual({ allowed: true });
  });
});

describe('decide: channels', () => {
  it('refuses outside the allowed channels, for every action, and names where it runs', () => {
    for (const action of ['run', 'rerun', 'cancel', 'status'] as const) {
      const decision = decide(RESTRICTED, request({ action, channelId: 'C0RANDOM' }));
      expect(decision).toEqual({
        allowed: false,
        rule: 'channel',
        reason:
          '⛔ The Checkly app does not run checks in this conversation, so nothing was done. ' +
          'It runs checks in <#C0OPS>, <#G0PRIV>. To change this, ask whoever runs the Checkly app for your workspace.',
      });
    }
  });

  it('names at most five channels and never a direct message', () => {
    const channels = new Set(['D0DM', 'C01', 'C02', 'C03', 'C04', 'C05', 'C06', 'C07']);
    const decision = decide({ allowedChannels: channels, allowAll: false }, request({ channelId: 'C0OTHER' }));
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.reason).toContain('It runs checks in <#C01>, <#C02>, <#C03>, <#C04>, <#C05> and 2 more.');
    expect(decision.reason).not.toContain('D0DM');
  });

  it('allows a listed direct message', () => {
    expect(decide({ allowedChannels: new Set(['D0DM']), allowAll: false }, request({ channelId: 'D0DM' }))).toEqual({ allowed: true });
  });

  it('lets anyone see status in an allowed channel', () => {
    expect(decide(RESTRICTED, request({ action: 'status', userId: 'U0STRANGER', target: undefined }))).toEqual({ allowed: true });
  });
});

describe('decide: people and user groups', () => {
  it('admits a listed user', () => {
    expect(decide(RESTRICTED, request())).toEqual({ allowed: true });
  });

  it('admits a member of a listed group', () => {
    expect(decide(RESTRICTED, request({ userId: 'U0BOB', userGroups: ['S0SRE'] }))).toEqual({ allowed: true });
  });

  it('refuses anyone else, for runs, reruns and cancels alike', () => {
    expect(decide(RESTRICTED, request({ userId: 'U0BOB', userGroups: ['S0OTHER'] }))).toEqual({
      allowed: false,
      rule: 'user',
      reason:
        '⛔ You are not on the list of people who may run Checkly checks from Slack, so nothing was done. ' +
        'To change this, ask whoever runs the Checkly app for your workspace.',
    });
    expect(decide(RESTRICTED, request({ action: 'rerun', userId: 'U0BOB' }))).toMatchObject({ allowed: false, rule: 'user' });
    const cancel = decide(RESTRICTED, request({ action: 'cancel', userId: 'U0BOB', target: undefined }));
    expect(cancel).toMatchObject({ allowed: false, rule: 'user' });
    expect(cancel.allowed === false && cancel.reason).toContain('may cancel Checkly runs');
  });

  it('with only groups configured, refuses whoever is in none of them', () => {
    const policy: AccessPolicy = { allowedUsergroups: new Set(['S0SRE']), allowAll: false };
    expect(decide(policy, request({ userGroups: [] }))).toMatchObject({ allowed: false, rule: 'user' });
    expect(decide(policy, request({ userGroups: ['S0SRE'] }))).toEqual({ allowed: true });
  });

  it('with only users configured, refuses others whatever groups they claim', () => {
    const policy: AccessPolicy = { allowedUsers: new Set(['U0ALICE']), allowAll: false };
    expect(decide(policy, request({ userId: 'U0BOB', userGroups: ['S0SRE'] }))).toMatchObject({ allowed: false, rule: 'user' });
  });

  it('checks the channel before the person, and the person before --all', () => {
    expect(decide(RESTRICTED, request({ userId: 'U0BOB', channelId: 'C0X', target: ALL }))).toMatchObject({ rule: 'channel' });
    expect(decide(RESTRICTED, request({ userId: 'U0BOB', target: ALL }))).toMatchObject({ rule: 'user' });
    expect(decide(RESTRICTED, request({ target: ALL }))).toMatchObject({ rule: 'all' });
    expect(decide({ ...RESTRICTED, allowAll: true }, request({ target: ALL }))).toEqual({ allowed: true });
  });
});

describe('the refusal text', () => {
  it('names the configured contact, escaped', () => {
    const decision = decide({ ...RESTRICTED, contact: '#platform-help <!channel> & co' }, request({ userId: 'U0BOB' }));
    expect(decision.allowed === false && decision.reason).toMatch(/To change this, ask #platform-help &lt;!channel&gt; &amp; co\.$/);
  });

  it('renders as one section within Slack limits', () => {
    const refusal = decideRule(RESTRICTED, request({ channelId: 'C0X' }));
    if (refusal.allowed) throw new Error('expected a refusal');
    const decision = { reason: refusalText(refusal) };
    const message = renderRefusal(refusal);
    assertWithinSlackLimits(message);
    expect(message.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: decision.reason } }]);
    expect(message.text).toBe(decision.reason);
  });
});

describe('needsUsergroups and checkAccess', () => {
  it('looks groups up only when they can change the answer', () => {
    const base = { userId: 'U0BOB', channelId: 'C0OPS', target: TAGS };
    expect(needsUsergroups(RESTRICTED, base)).toBe(true);
    expect(needsUsergroups(RESTRICTED, { ...base, userId: 'U0ALICE' })).toBe(false); // listed by name
    expect(needsUsergroups(RESTRICTED, { ...base, channelId: 'C0X' })).toBe(false); // refused by channel anyway
    expect(needsUsergroups(RESTRICTED, { ...base, action: 'status' })).toBe(false);
    expect(needsUsergroups({ allowedUsers: new Set(['U0ALICE']), allowAll: false }, base)).toBe(false);
    expect(needsUsergroups({ allowedUsergroups: new Set(), allowAll: false }, base)).toBe(false);
  });

  it('asks for memberships only when needed, and decides with them', async () => {
    const asked: string[] = [];
    const usergroups = {
      groupsOf: async (userId: string) => {
        asked.push(userId);
        return userId === 'U0BOB' ? ['S0SRE'] : [];
      },
    };
    const access = { policy: RESTRICTED, usergroups };
    await expect(checkAccess(access, { userId: 'U0BOB', channelId: 'C0OPS', target: TAGS })).resolves.toEqual({ allowed: true });
    await expect(checkAccess(access, { userId: 'U0EVE', channelId: 'C0OPS', target: TAGS })).resolves.toMatchObject({ rule: 'user' });
    await expect(checkAccess(access, { userId: 'U0ALICE', channelId: 'C0OPS', target: TAGS })).resolves.toEqual({ allowed: true });
    await expect(checkAccess(access, { userId: 'U0BOB', channelId: 'C0X', target: TAGS })).resolves.toMatchObject({ rule: 'channel' });
    expect(asked).toEqual(['U0BOB', 'U0EVE']);
  });

  it('without a membership source, a group-only policy admits nobody', async () => {
    const access = { policy: { allowedUsergroups: new Set(['S0SRE']), allowAll: false } };
    await expect(checkAccess(access, { userId: 'U0BOB', channelId: 'C0OPS', target: TAGS })).resolves.toMatchObject({ rule: 'user' });
  });
});
