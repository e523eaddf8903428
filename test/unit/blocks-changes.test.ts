/** New or already broken, as the run message and its thread reply say it (product.md section 13). */
import type { SectionBlock } from '@slack/types';
import { changeSummary } from '../../src/blocks/changes';
import { rerunLine } from '../../src/blocks/reruns';
import { summarize } from '../../src/runs/reruns';
import { renderRun } from '../../src/blocks/run';
import { renderFailureReplies, renderFailureReply } from '../../src/blocks/thread';
import type { RerunSummary, Run } from '../../src/runs/types';
import { T0, allMrkdwn, makeRun, makeSession } from './blocks-fixtures';
import { assertWithinSlackLimits } from './slack-limits';

const SINCE = Date.UTC(2025, 0, 15, 9, 12, 0);
const SINCE_TOKEN = `<!date^${SINCE / 1000}^{date_short_pretty} {time}|2025-01-15T09:12:00Z>`;
const OPTS = { now: T0 + 90_000, interactive: true, checklyAppUrl: 'https://app.checklyhq.com/runs/1' };

/** A deploy run: 2 new failures, 1 already failing since 09:12, 1 fixed, 1 flaky, 1 unchanged. */
function deployRun(over: Partial<Run> = {}): Run {
  return makeRun({
    phase: 'final',
    finishedAt: T0 + 72_000,
    before: { at: T0, checks: {} },
    sessions: [
      makeSession({ name: 'Alpha API', status: 'PASSED', change: 'unchanged', before: { state: 'passing' } }),
      makeSession({ name: 'Checkout', status: 'FAILED', change: 'still_failing', before: { state: 'failing', since: SINCE }, failedLocations: ['eu-west-1'] }),
      makeSession({ name: 'Search', status: 'FAILED', change: 'new', before: { state: 'passing' }, failedLocations: ['eu-west-1'] }),
      makeSession({ name: 'Cart', status: 'DEGRADED', change: 'new', before: { state: 'none' }, failedLocations: ['eu-west-1'] }),
      makeSession({ name: 'Login API', status: 'PASSED', change: 'fixed', before: { state: 'failing', since: SINCE } }),
      makeSession({
        name: 'Avatars',
        status: 'FAILED',
        change: 'flaky',
        flaky: { failed: 3, of: 10 },
        before: { state: 'passing' },
        failedLocations: ['eu-west-1'],
      }),
    ].map((s, i) => ({ ...s, sessionId: `sess-${i}`, checkId: `00000000-0000-4000-8000-00000000000${i}`, link: `https://app.checklyhq.com/s/${i}` })),
    ...over,
  });
}

function sections(run: Run): string[] {
  return renderRun(run, OPTS)
    .blocks.filter((b): b is SectionBlock => b.type === 'section')
    .map((b) => b.text?.text ?? '');
}

describe('the run message leads with what changed', () => {
  test('the summary line: how many failed, how many new, already failing since when, flaky; then what was fixed', () => {
    expect(changeSummary(deployRun())).toBe(`❌ 4 failed: 2 new, 1 already failing since ${SINCE_TOKEN}, 1 flaky\n✅ fixed: Login API`);
    // It comes right under the progress line.
    expect(sections(deployRun())[1]).toBe(changeSummary(deployRun()));
  });

  test('new failures come first, marked 🆕; an old one says since when; a flaky one how flaky', () => {
    const rows = sections(deployRun())
      .slice(2)
      .join('\n')
      .split('\n')
      .filter((l) => !l.startsWith('        ↳'));
    expect(rows.map((r) => r.split(' · ')[0])).toEqual([
      expect.stringMatching(/^🆕 ⚠️ \*<[^|]+\|Cart>\*$/),
      expect.stringMatching(/^🆕 ❌ \*<[^|]+\|Search>\*$/),
      expect.stringMatching(/^❌ \*<[^|]+\|Avatars>\*$/),
      expect.stringMatching(/^❌ \*<[^|]+\|Checkout>\*$/),
      expect.stringMatching(/^✅ \*<[^|]+\|Alpha API>\*$/),
      expect.stringMatching(/^✅ \*<[^|]+\|Login API>\*$/),
    ]);
    const text = allMrkdwn(renderRun(deployRun(), OPTS).blocks);
    expect(text).toContain(`↳ failing since ${SINCE_TOKEN} · failed in eu-west-1`);
    expect(text).toContain('↳ ↯ flaky: 3 of its last 10 runs failed · failed in eu-west-1');
    expect(renderRun(deployRun(), OPTS)).toMatchSnapshot();
  });

  test('a check that passed only on a retry: its own line, and a note on its row', () => {
    const run = deployRun();
    run.sessions.push(makeSession({ name: 'Retried API', status: 'PASSED', change: 'flaky', retried: true, before: { state: 'passing' } }));
    expect(changeSummary(run)).toBe(
      `❌ 4 failed: 2 new, 1 already failing since ${SINCE_TOKEN}, 1 flaky\n✅ fixed: Login API\n↯ passed only on a retry: Retried API`,
    );
    expect(allMrkdwn(renderRun(run, OPTS).blocks)).toMatch(/\|Retried API>\* · API · eu-west-1\n {8}↳ ↯ flaky: passed only on a retry/);
  });

  test('failures all old: says none is new; no 🆕 anywhere', () => {
    const run = deployRun();
    run.sessions = run.sessions.filter((s) => s.change !== 'new');
    expect(changeSummary(run)).toBe(`❌ 2 failed, none new: 1 already failing since ${SINCE_TOKEN}, 1 flaky\n✅ fixed: Login API`);
    expect(allMrkdwn(renderRun(run, OPTS).blocks)).not.toContain('🆕');
  });

  test('the statuses could not be read: it says it cannot tell, and marks nothing new', () => {
    const run = deployRun({ before: { at: T0 } });
    for (const s of run.sessions) {
      delete s.change;
      s.before = { state: 'unknown' };
    }
    expect(changeSummary(run)).toBe('❔ The checks’ states before this run could not be read: it cannot tell new failures from those already failing.');
    expect(allMrkdwn(renderRun(run, OPTS).blocks)).not.toContain('🆕');
  });

  test('nothing to say: a run from before the app read statuses, a run in progress, a run that all passed', () => {
    expect(changeSummary(deployRun({ before: undefined }))).toBeUndefined();
    expect(changeSummary(deployRun({ phase: 'running' }))).toBeUndefined();
    expect(changeSummary(deployRun({ sessions: [makeSession({ status: 'PASSED', change: 'unchanged' })] }))).toBeUndefined();
  });

  test('hostile names stay escaped and the message within Slack’s limits, even with 200 fixed checks', () => {
    const hostile = '<!channel> *bold* & <https://evil.example|x> '.repeat(20);
    const many = Array.from({ length: 200 }, (_, i) =>
      makeSession({
        name: `${hostile}${i}`,
        status: i % 2 ? 'PASSED' : 'FAILED',
        change: i % 2 ? 'fixed' : i % 4 ? 'new' : 'still_failing',
        before: { state: 'failing', since: SINCE },
      }),
    );
    const msg = renderRun(deployRun({ sessions: many }), OPTS);
    assertWithinSlackLimits(msg);
    const summary = changeSummary(deployRun({ sessions: many })) ?? '';
    expect(summary).toContain('&lt;!channel&gt;');
    expect(summary).not.toContain('<!channel>');
    expect(summary).toMatch(/and 95 more$/);
  });
});

describe('the thread reply mentions the requester only when something is new', () => {
  test('something new: the mention', () => {
    expect(allMrkdwn(renderFailureReply(deployRun()).blocks)).toBe('<@U123ABC> 3 of 6 checks failed and 1 degraded: *Cart*, *Search*, *Avatars*, *Checkout*');
  });

  test('every failure was there before: no mention, and it says so', () => {
    const run = deployRun({ notify: ['S0ONCALL'] });
    run.sessions = run.sessions.filter((s) => s.change !== 'new');
    const reply = renderFailureReply(run);
    expect(allMrkdwn(reply.blocks)).toBe('2 of 4 checks failed, none of them new: each was failing before this run: *Avatars*, *Checkout*');
    expect(reply.text).not.toMatch(/<@|<!subteam/);
    for (const r of renderFailureReplies(run)) expect(JSON.stringify(r)).not.toMatch(/<@|<!subteam/);
  });

  test('it cannot tell: the mention, as before', () => {
    const run = deployRun({ before: { at: T0 } });
    for (const s of run.sessions) delete s.change;
    expect(allMrkdwn(renderFailureReply(run).blocks)).toMatch(/^<@U123ABC> /);
  });
});

describe('a rerun’s line on its parent says what changed', () => {
  const ref = (over: Partial<RerunSummary>): RerunSummary => ({
    runId: 'r2',
    kind: 'failed',
    key: 'failed',
    requester: 'U0BOB',
    startedAt: T0,
    phase: 'final',
    total: 3,
    passed: 2,
    failing: 1,
    running: 0,
    ...over,
  });

  test('how many now pass, and which still fail by name', () => {
    expect(rerunLine(ref({ failed: 1, stillFailing: ['Checkout'] }))).toBe(
      '↻ Rerun of 3 failed checks by <@U0BOB>: ✅ 2 passed · ❌ 1 failed — 2 of 3 now pass; still failing: *Checkout*',
    );
    expect(rerunLine(ref({ passed: 3, failing: 0, failed: 0 }))).toBe('↻ Rerun of 3 failed checks by <@U0BOB>: ✅ 3 passed — 3 of 3 now pass');
    expect(rerunLine(ref({ total: 6, passed: 1, failing: 5, failed: 5, stillFailing: ['<!channel>', 'B', 'C'] }))).toBe(
      '↻ Rerun of 6 failed checks by <@U0BOB>: ✅ 1 passed · ❌ 5 failed — 1 of 6 now pass; still failing: *&lt;!channel&gt;*, *B*, *C* and 2 more',
    );
    // A rerun running says nothing of what changed yet.
    expect(rerunLine(ref({ phase: 'running', passed: 1, failing: 1, failed: 1, running: 1 }))).not.toContain('now pass');
  });

  test('summarize names the first few still failing, once the rerun is over', () => {
    const sessions = ['Zeta', 'Alpha', 'Mid', 'Beta'].map((name) => makeSession({ name, status: 'FAILED' }));
    expect(summarize(makeRun({ phase: 'final', sessions: [...sessions, makeSession({ status: 'PASSED' })] }))).toEqual({
      phase: 'final',
      total: 5,
      passed: 1,
      failing: 4,
      running: 0,
      failed: 4,
      degraded: 0,
      timedOut: 0,
      cancelled: 0,
      stillFailing: ['Alpha', 'Beta', 'Mid'],
    });
    expect(summarize(makeRun({ phase: 'running', sessions })).stillFailing).toBeUndefined();
  });
});
