import { renderHelp, renderNotInChannel, renderParseError, renderStartFailed, renderStatus, renderTriggering } from '../../src/blocks/ephemeral';
import type { Run } from '../../src/runs/types';
import { T0, allMrkdwn, bareAmpersands, makeRun, makeSession, mrkdwnOf, strayAngles } from './blocks-fixtures';
import { RUN_MESSAGE_TEXT_TARGET, assertWithinSlackLimits, blocksTextLength } from './slack-limits';

describe('renderHelp', () => {
  const msg = renderHelp('/checkly');
  const text = allMrkdwn(msg.blocks);

  it('covers every subcommand and flag', () => {
    for (const piece of [
      '/checkly run',
      '--check',
      '--all',
      '--refresh-cache',
      '/checkly status',
      '/checkly help',
      '/checkly checks &lt;words&gt;',
      '/checkly failing',
      'opens a form',
    ]) {
      expect(text).toContain(piece);
    }
  });
  it('shows the examples of the grammar', () => {
    expect(text).toContain('• `/checkly run prod`: checks tagged prod');
    expect(text).toContain('• `/checkly run prod,api staging`: checks tagged both prod and api, or tagged staging');
    expect(text).toContain('• `/checkly run prod,!flaky`: checks tagged prod but not flaky');
    expect(text).toContain('• `/checkly run "eu west",web`: checks tagged both "eu west" and web');
  });
  it('escapes the placeholders, which Slack would otherwise read as links', () => {
    expect(text).toContain('&lt;tag expression&gt;');
    expect(strayAngles(text)).toBe(0);
    assertWithinSlackLimits(msg);
  });
  it('uses the configured command name', () => {
    expect(allMrkdwn(renderHelp('/checkly-staging').blocks)).toContain('`/checkly-staging run prod`');
  });
  it('says when the subcommand typed does not exist, escaped', () => {
    const first = mrkdwnOf(renderHelp('/checkly', '<!here>').blocks)[0];
    expect(first).toBe('`&lt;!here&gt;` is not a `/checkly` command. Here is what is:');
  });
});

describe('renderParseError', () => {
  it('says what is wrong, escaped, then the right form', () => {
    const msg = renderParseError('`<!channel>&x` is not an option of `run`.', '`/checkly run <tag expression>`', '/checkly');
    expect(mrkdwnOf(msg.blocks)).toEqual([
      '⚠️ `&lt;!channel&gt;&amp;x` is not an option of `run`.\nNothing was triggered.',
      '*Usage*\n`/checkly run &lt;tag expression&gt;`',
      'All commands: `/checkly help`',
    ]);
    expect(msg.text).toBe('`&lt;!channel&gt;&amp;x` is not an option of `run`. Nothing was triggered.');
    assertWithinSlackLimits(msg);
  });
  it('stays within limits for a huge problem', () => {
    assertWithinSlackLimits(renderParseError('<'.repeat(10000), '>'.repeat(10000), '/checkly'));
  });
});

describe('renderTriggering', () => {
  it.each([
    [{ tags: [['prod']], checkIds: [], all: false }, 'Triggering checks matching `prod`…'],
    [{ tags: [['prod', 'api'], ['eu west']], checkIds: [], all: false }, 'Triggering checks matching `prod,api "eu west"`…'],
    [{ tags: [], checkIds: ['a', 'b'], all: false }, 'Triggering 2 checks…'],
    [{ tags: [], checkIds: ['a'], all: false }, 'Triggering 1 check…'],
    [{ tags: [], checkIds: [], all: true }, 'Triggering every check…'],
    [{ tags: [['<!channel>']], checkIds: [], all: false }, 'Triggering checks matching `&lt;!channel&gt;`…'],
  ])('%j', (target, line) => {
    const msg = renderTriggering(target);
    expect(mrkdwnOf(msg.blocks)).toEqual([line]);
    expect(msg.text).toBe(line);
  });
});

describe('renderNotInChannel', () => {
  it('explains how to invite the bot to a public channel', () => {
    const msg = renderNotInChannel('/checkly', 'not_in_channel');
    expect(allMrkdwn(msg.blocks)).toContain('not a member');
    expect(allMrkdwn(msg.blocks)).toContain('`/invite @Checkly`');
    expect(allMrkdwn(msg.blocks)).toContain('Nothing was triggered.');
    assertWithinSlackLimits(msg);
  });
  it('says private channels and DMs need an invite', () => {
    const text = allMrkdwn(renderNotInChannel('/checkly', 'channel_not_found').blocks);
    expect(text).toContain('private channels and direct messages need an invite');
    expect(text).toContain('`/invite @Checkly`');
    expect(text).toContain('`/checkly run …`');
  });
  it('names any other refusal of Slack (an archived channel) and offers no invite that would not help', () => {
    const msg = renderNotInChannel('/checkly', 'is_archived');
    const text = allMrkdwn(msg.blocks);
    expect(text).toContain('`is_archived`');
    expect(text).toContain('Nothing was triggered.');
    expect(text).not.toContain('/invite');
    expect(msg.text).toContain('is_archived');
  });
});

describe('renderStartFailed', () => {
  it('says something went wrong', () => {
    const msg = renderStartFailed();
    expect(msg.text).toContain('Something went wrong while starting this run.');
    assertWithinSlackLimits(msg);
  });
});

describe('renderStatus', () => {
  it('says when nothing is in progress', () => {
    const msg = renderStatus([makeRun({ phase: 'final' })], T0);
    expect(mrkdwnOf(msg.blocks)).toEqual(['No runs in progress in this channel.']);
    expect(msg.text).toBe('No runs in progress in this channel.');
  });

  it('lists the runs in progress with their progress and a link to their message', () => {
    const runs: Run[] = [
      makeRun({ id: 'r1', sessions: [makeSession({ status: 'PASSED' }), makeSession({ status: 'PROGRESS' })] }),
      makeRun({ id: 'r2', phase: 'triggering', requester: 'U999', target: { tags: [], checkIds: [], all: true }, createdAt: T0 + 30_000 }),
      makeRun({ id: 'r3', phase: 'final' }),
    ];
    const msg = renderStatus(runs, T0 + 90_000, { r1: 'https://team.slack.com/archives/C1/p1' });
    expect(mrkdwnOf(msg.blocks)).toEqual([
      '*2 runs in progress in this channel*',
      '• *<https://team.slack.com/archives/C1/p1|prod,api>*: ✅ 1 passed · ⏳ 1 running, running for 1m 30s, by <@U123ABC>\n' +
        '• *all checks*: triggering…, running for 1m, by <@U999>',
    ]);
    expect(msg.text).toBe('2 runs in progress in this channel');
  });

  it('stays within limits with many runs and hostile targets', () => {
    const runs = Array.from({ length: 300 }, (_, i) =>
      makeRun({ id: `r${i}`, target: { tags: [['<!channel>', '&'.repeat(100)]], checkIds: [], all: false }, sessions: [makeSession({ status: 'PROGRESS' })] }),
    );
    const permalinks = Object.fromEntries(runs.map((r) => [r.id, `https://team.slack.com/archives/C1/p${'1'.repeat(200)}`]));
    const msg = renderStatus(runs, T0, permalinks);
    assertWithinSlackLimits(msg);
    expect(blocksTextLength(msg.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
    const text = allMrkdwn(msg.blocks);
    expect(strayAngles(text)).toBe(0);
    expect(bareAmpersands(text)).toBe(0);
    const listed = (text.match(/^• /gm) ?? []).length;
    expect(text).toContain(`…and ${300 - listed} more runs`);
  });
});

describe('every ephemeral answer', () => {
  it.each([
    ['help', renderHelp('/checkly')],
    ['help for an unknown subcommand', renderHelp('/checkly', '<@U1>&')],
    ['parse error', renderParseError('<!channel> & <@U1>', '/checkly run <tags>', '/checkly')],
    ['triggering', renderTriggering({ tags: [['<x>&']], checkIds: [], all: false })],
    ['not in channel', renderNotInChannel('/checkly', 'not_in_channel')],
    ['channel not found', renderNotInChannel('/checkly', 'channel_not_found')],
    ['archived channel', renderNotInChannel('/checkly', 'is_archived')],
    ['start failed', renderStartFailed()],
    ['status', renderStatus([makeRun({ target: { tags: [['<x>&']], checkIds: [], all: false } })], T0)],
  ])('%s: escaped in blocks and fallback, within limits', (_, msg) => {
    assertWithinSlackLimits(msg);
    for (const text of [...mrkdwnOf(msg.blocks), msg.text]) {
      expect({ text, stray: strayAngles(text), bare: bareAmpersands(text) }).toEqual({ text, stray: 0, bare: 0 });
    }
  });
});
