import { guard, type GuardDeps } from '../../src/guard';
import { createLogger } from '../../src/shared/log';

function deps(policy: GuardDeps['access']['policy']) {
  const order: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', destination: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) } });
  const d: GuardDeps = {
    access: {
      policy,
      usergroups: {
        groupsOf: async () => {
          order.push('groups');
          return ['S1'];
        },
      },
    },
    metrics: { refused: (rule) => void order.push(`metric:${rule}`) },
    logger: {
      info: (...args: Parameters<typeof logger.info>) => {
        order.push('audit');
        logger.info(...args);
      },
    } as GuardDeps['logger'],
  };
  return { d, order, lines };
}

const who = { action: 'trigger' as const, userId: 'U1', teamId: 'T1', channelId: 'C1', target: 'prod', via: 'command' as const };

describe('the guard', () => {
  test('a refusal is counted, audited and answered, in that order, and stops the entrance', async () => {
    const { d, order, lines } = deps({ allowAll: false, allowedChannels: new Set(['C9']) });
    const allowed = await guard(d, { request: { action: 'run', userId: 'U1', channelId: 'C1' }, audit: who }, async (refusal) => {
      order.push(`reply:${refusal.rule}`);
    });
    expect(allowed).toBe(false);
    expect(order).toEqual(['metric:channel', 'audit', 'reply:channel']);
    expect(lines).toEqual([expect.objectContaining({ audit: true, action: 'trigger', outcome: 'refused', reason: 'channel', sessions: [], userId: 'U1' })]);
  });

  test('an allowed request writes nothing and answers nothing', async () => {
    const { d, order } = deps({ allowAll: false });
    expect(await guard(d, { request: { action: 'run', userId: 'U1', channelId: 'C1' }, audit: who }, async () => void order.push('reply'))).toBe(true);
    expect(order).toEqual([]);
  });

  test('what only reads is refused without an audit line', async () => {
    const { d, order } = deps({ allowAll: false, allowedChannels: new Set(['C9']) });
    await guard(d, { request: { action: 'status', userId: 'U1', channelId: 'C1' } }, async () => void order.push('reply'));
    expect(order).toEqual(['metric:channel', 'reply']);
  });

  test('the people lists do not apply to a token, channels and --all do', async () => {
    const { d, order } = deps({ allowAll: false, allowedUsers: new Set(['U9']), allowedUsergroups: new Set(['S9']) });
    const asToken = { peopleListsApply: false, audit: { ...who, userId: 'api:ci' } };
    expect(await guard(d, { ...asToken, request: { action: 'run', userId: 'api:ci', channelId: 'C1' } }, async () => undefined)).toBe(true);
    // Nobody was asked which groups a token is in.
    expect(order).toEqual([]);
    const all = { tags: [], checkIds: [], all: true };
    expect(await guard(d, { ...asToken, request: { action: 'run', userId: 'api:ci', channelId: 'C1', target: all } }, async () => undefined)).toBe(false);
    expect(order).toEqual(['metric:all', 'audit']);
    // A person is held to the lists.
    expect(await guard(d, { request: { action: 'run', userId: 'U1', channelId: 'C1' } }, async () => undefined)).toBe(false);
  });
});
