import { renderRun } from '../../src/blocks/run';
import { renderFailureReply } from '../../src/blocks/thread';
import type { Run } from '../../src/runs/types';
import { messageText } from '../e2e/harness';

function apiRun(overrides: Partial<Run> = {}): Run {
  return {
    id: 'r1',
    teamId: 'T1',
    channel: 'C1',
    ts: '1700000000.000100',
    requester: 'deploy-web',
    origin: { kind: 'api', token: 'deploy-web' },
    target: { tags: [['prod']], checkIds: [], all: false },
    refreshCache: false,
    phase: 'final',
    sessions: [
      {
        sessionId: 's1',
        checkId: 'c1',
        name: 'Login',
        checkType: 'API',
        link: 'https://app.checklyhq.com/s1',
        status: 'FAILED',
        locations: ['eu-west-1'],
        failedLocations: ['eu-west-1'],
        timeElapsed: 900,
      },
    ],
    createdAt: 1_700_000_000_000,
    finishedAt: 1_700_000_005_000,
    ...overrides,
  };
}

describe('the origin of a run in its message', () => {
  it('names the API token and links the title to the CI job', () => {
    const text = messageText(renderRun(apiRun({ title: 'Deploy web@4f2c1a9', link: 'https://ci.example.com/jobs/42' }), { now: 0, interactive: true }));
    expect(text).toContain('Started by *deploy-web* via API');
    expect(text).toContain('<https://ci.example.com/jobs/42|Deploy web@4f2c1a9>');
  });

  it('escapes a title, and shows a non-web link as text only', () => {
    const text = messageText(renderRun(apiRun({ title: '<!channel> & co', link: 'javascript:alert(1)' }), { now: 0, interactive: true }));
    expect(text).toContain('&lt;!channel&gt; &amp; co');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('javascript:');
  });

  it('still says who typed the command for a run from Slack', () => {
    const text = messageText(renderRun(apiRun({ origin: { kind: 'command', userId: 'U0ALICE' }, requester: 'U0ALICE' }), { now: 0, interactive: true }));
    expect(text).toContain('Triggered by <@U0ALICE>');
  });

  it('mentions the notify list in the failure reply: users and user groups', () => {
    const reply = renderFailureReply(apiRun({ notify: ['U0BOB', 'S0ONCALL'] }));
    expect(reply.text).toContain('<@U0BOB> <!subteam^S0ONCALL>');
    expect(reply.text).toContain('Login');
  });

  it('pings nobody for an API run without a notify list', () => {
    const reply = renderFailureReply(apiRun());
    expect(reply.text).not.toMatch(/<[@!]/);
    expect(reply.text).toContain('deploy-web');
  });
});
