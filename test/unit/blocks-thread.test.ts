import { needsFailureReply, renderFailureReply } from '../../src/blocks/thread';
import { makeRun, makeSession, mrkdwnOf } from './blocks-fixtures';
import { assertWithinSlackLimits } from './slack-limits';

describe('renderFailureReply', () => {
  it('mentions the requester and names the failed checks', () => {
    const run = makeRun({
      phase: 'final',
      sessions: [
        ...Array.from({ length: 8 }, () => makeSession({ status: 'PASSED' })),
        makeSession({ name: 'Login API', status: 'FAILED' }),
        makeSession({ name: 'Checkout flow', status: 'TIMED_OUT' }),
      ],
    });
    const msg = renderFailureReply(run);
    expect(mrkdwnOf(msg.blocks)).toEqual(['<@U123ABC> 2 of 10 checks failed: *Checkout flow*, *Login API*']);
    expect(msg.text).toBe('<@U123ABC> 2 of 10 checks failed: Checkout flow, Login API');
  });

  it('says how many degraded', () => {
    const run = makeRun({
      phase: 'final',
      sessions: [makeSession({ name: 'A', status: 'FAILED' }), makeSession({ name: 'B', status: 'DEGRADED' }), makeSession({ status: 'PASSED' })],
    });
    expect(mrkdwnOf(renderFailureReply(run).blocks)).toEqual(['<@U123ABC> 1 of 3 checks failed and 1 degraded: *A*, *B*']);
    const onlyDegraded = makeRun({ phase: 'final', sessions: [makeSession({ name: 'B', status: 'DEGRADED' })] });
    expect(mrkdwnOf(renderFailureReply(onlyDegraded).blocks)).toEqual(['<@U123ABC> 1 of 1 check degraded: *B*']);
  });

  it('escapes names and truncates the list', () => {
    const run = makeRun({
      phase: 'final',
      sessions: Array.from({ length: 30 }, (_, i) => makeSession({ name: `${String(i).padStart(2, '0')} <!channel> & ${'x'.repeat(200)}`, status: 'FAILED' })),
    });
    const msg = renderFailureReply(run);
    assertWithinSlackLimits(msg);
    const [text] = mrkdwnOf(msg.blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('*00 &lt;!channel&gt; &amp; xxx');
    expect(text?.endsWith(' and 20 more')).toBe(true);
    expect(text?.match(/\*\d\d /g)).toHaveLength(10);
  });

  it('does not mention a requester that is not a user id', () => {
    const run = makeRun({ phase: 'final', requester: '<!channel>', sessions: [makeSession({ name: 'A', status: 'FAILED' })] });
    expect(renderFailureReply(run).text).toBe('&lt;!channel&gt; 1 of 1 check failed: A');
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
    expect(renderFailureReply(run).text).toBe('<@U123ABC> nothing failed: 1 passed, 1 cancelled (2 checks)');
  });
});
