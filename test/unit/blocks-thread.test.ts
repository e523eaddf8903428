import { needsFailureReply, renderFailureReplies } from '../../src/blocks/thread';
import type { Session } from '../../src/runs/types';
import { makeRun, makeSession, mrkdwnOf, strayAngles, bareAmpersands } from './blocks-fixtures';
import { RUN_MESSAGE_TEXT_TARGET, assertWithinSlackLimits, blocksTextLength } from './slack-limits';

const only = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0] as T;
};
const LONG_LINK = `https://app.checklyhq.com/checks/${'c'.repeat(300)}/check-sessions/${'s'.repeat(200)}?q=1&r=2`;

describe('renderFailureReplies', () => {
  it('mentions the requester and lists the failed checks, each linked to its session', () => {
    const login = makeSession({ name: 'Login API', status: 'FAILED' });
    const checkout = makeSession({ name: 'Checkout flow', status: 'TIMED_OUT' });
    const run = makeRun({ phase: 'final', sessions: [...Array.from({ length: 8 }, () => makeSession({ status: 'PASSED' })), login, checkout] });
    const msg = only(renderFailureReplies(run));
    // Timed out apart from failed, as the run message's progress line counts them.
    expect(mrkdwnOf(msg.blocks)).toEqual([
      `<@U123ABC> 1 of 10 checks failed and 1 timed out:\n⌛ *<${checkout.link}|Checkout flow>*\n❌ *<${login.link}|Login API>*`,
    ]);
    expect(msg.text).toBe('<@U123ABC> 1 of 10 checks failed and 1 timed out: Checkout flow, Login API');
    expect(msg.listed).toBe(2);
  });

  it('says how many degraded', () => {
    const run = makeRun({
      phase: 'final',
      sessions: [makeSession({ name: 'A', status: 'FAILED' }), makeSession({ name: 'B', status: 'DEGRADED' }), makeSession({ status: 'PASSED' })],
    });
    expect(mrkdwnOf(only(renderFailureReplies(run)).blocks)[0]?.split('\n')[0]).toBe('<@U123ABC> 1 of 3 checks failed and 1 degraded:');
    const onlyDegraded = makeRun({ phase: 'final', sessions: [makeSession({ name: 'B', status: 'DEGRADED' })] });
    expect(only(renderFailureReplies(onlyDegraded)).text).toBe('<@U123ABC> 1 of 1 check degraded: B');
  });

  it('escapes names; the notification names ten, the blocks list all', () => {
    const run = makeRun({
      phase: 'final',
      sessions: Array.from({ length: 30 }, (_, i) => makeSession({ name: `${String(i).padStart(2, '0')} <!channel> & ${'x'.repeat(200)}`, status: 'FAILED' })),
    });
    const msg = only(renderFailureReplies(run));
    assertWithinSlackLimits(msg);
    const text = mrkdwnOf(msg.blocks).join('\n');
    expect(text).not.toContain('<!channel>');
    expect(strayAngles(text)).toBe(0);
    expect(bareAmpersands(text)).toBe(0);
    expect(text).toContain('|00 &lt;!channel&gt; &amp; xxx');
    expect(text.match(/\|\d\d /g)).toHaveLength(30);
    expect(msg.text.endsWith(' and 20 more')).toBe(true);
    expect(msg.text.match(/(^|, |: )\d\d /g)).toHaveLength(10);
  });

  it('does not mention a requester that is not a user id', () => {
    const run = makeRun({ phase: 'final', requester: '<!channel>', sessions: [makeSession({ name: 'A', status: 'FAILED' })] });
    expect(only(renderFailureReplies(run)).text).toBe('&lt;!channel&gt; 1 of 1 check failed: A');
  });

  it('is needed only when something failed, degraded or timed out', () => {
    const run = (status: 'PASSED' | 'CANCELLED' | 'FAILED' | 'DEGRADED' | 'TIMED_OUT') =>
      makeRun({ phase: 'final', sessions: [makeSession({ status: 'PASSED' }), makeSession({ status })] });
    expect(['PASSED', 'CANCELLED', 'FAILED', 'DEGRADED', 'TIMED_OUT'].map((s) => needsFailureReply(run(s as 'PASSED')))).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
  });

  it('says nothing failed when called for a clean run', () => {
    const run = makeRun({ phase: 'final', sessions: [makeSession({ status: 'PASSED' }), makeSession({ status: 'CANCELLED' })] });
    expect(only(renderFailureReplies(run)).text).toBe('<@U123ABC> nothing failed: 1 passed, 1 cancelled (2 checks)');
  });

  describe('a long list goes over several replies', () => {
    const failing = (n: number, over: (i: number) => Partial<Session> = () => ({})): Session[] =>
      Array.from({ length: n }, (_, i) =>
        makeSession({ name: `Check ${String(i).padStart(3, '0')} ${'&'.repeat(60)}`, status: 'FAILED', link: LONG_LINK, ...over(i) }),
      );
    const run = makeRun({ phase: 'final', sessions: [...failing(500), ...Array.from({ length: 20 }, () => makeSession())] });

    it('each within 10,000 characters of text and 50 blocks, listing every failed check once, in order', () => {
      const replies = renderFailureReplies(run);
      expect(replies.length).toBeGreaterThan(5);
      const names: string[] = [];
      replies.forEach((reply, i) => {
        assertWithinSlackLimits(reply);
        expect(blocksTextLength(reply.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
        expect(reply.blocks.length).toBeLessThanOrEqual(50);
        const text = mrkdwnOf(reply.blocks).join('\n');
        const listed = text.match(/\|Check \d{3} /g) ?? [];
        expect(listed).toHaveLength(reply.listed);
        names.push(...listed);
        // Only the first reply mentions (notifies) the requester; the others say where they go on from.
        if (i === 0) expect(text.startsWith('<@U123ABC> 500 of 520 checks failed:\n')).toBe(true);
        else expect(text.startsWith(`Failed checks ${names.length - reply.listed + 1}–${names.length} of 500, continued:\n`)).toBe(true);
        if (i > 0) expect(reply.text).not.toContain('<@');
      });
      expect(names).toEqual(Array.from({ length: 500 }, (_, i) => `|Check ${String(i).padStart(3, '0')} `));
      // The replies are full: the next line would not have fitted into any but the last.
      for (const reply of replies.slice(0, -1)) expect(blocksTextLength(reply.blocks)).toBeGreaterThan(RUN_MESSAGE_TEXT_TARGET - 700);
    });

    it('goes on from `skip`, and a smaller size makes smaller replies', () => {
      const full = renderFailureReplies(run);
      const rest = renderFailureReplies(run, { skip: full[0]?.listed ?? 0 });
      expect(rest).toEqual(full.slice(1));
      const compact = renderFailureReplies(run, { size: 'compact' });
      const minimal = renderFailureReplies(run, { size: 'minimal' });
      expect(compact.length).toBeGreaterThan(full.length);
      expect(minimal.length).toBeGreaterThan(compact.length);
      for (const reply of compact) expect(blocksTextLength(reply.blocks)).toBeLessThanOrEqual(6_000);
      for (const reply of minimal) expect(blocksTextLength(reply.blocks)).toBeLessThanOrEqual(3_000);
      expect(compact.reduce((n, r) => n + r.listed, 0)).toBe(500);
      expect(minimal.reduce((n, r) => n + r.listed, 0)).toBe(500);
      expect(renderFailureReplies(run, { skip: 500 })).toEqual([]);
    });

    it('within 50 blocks even when every line fills a section of its own', () => {
      // Lines of about 1,050 characters: two to a section.
      const wide = makeRun({ phase: 'final', sessions: failing(200, () => ({ link: `https://x.example/${'p'.repeat(960)}`, name: 'n'.repeat(80) })) });
      for (const reply of renderFailureReplies(wide)) {
        assertWithinSlackLimits(reply);
        expect(blocksTextLength(reply.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
      }
    });
  });
});
