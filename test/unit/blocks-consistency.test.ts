/**
 * Words that must agree wherever they appear (issue 27): a line of facts is one context element (Slack
 * draws several side by side with no separator); a check's type, a duration and the counts have one
 * formatter each; the Rerun failed button says what it reruns and the rerun reruns exactly that; a
 * rerun's line on its parent counts as the rerun's own message does; buttons that start many checks ask.
 */
import type { Button, ContextBlock, KnownBlock } from '@slack/types';
import { ACTION_RERUN_ALL, ACTION_RERUN_FAILED, CONFIRM_ABOVE_CHECKS } from '../../src/blocks/actions';
import { renderDetailsModal } from '../../src/blocks/details-modal';
import { renderEvidenceReplies } from '../../src/blocks/evidence';
import { checkTypeLabel } from '../../src/blocks/format';
import { ACTION_RUN_ALL_LISTED, renderCheckList } from '../../src/blocks/listing';
import { checkOptions } from '../../src/blocks/picker';
import { countStatuses, formatCounts } from '../../src/blocks/progress';
import { renderReruns } from '../../src/blocks/reruns';
import { renderRun, type RenderRunOptions } from '../../src/blocks/run';
import { renderFailureReply } from '../../src/blocks/thread';
import type { CheckEntry } from '../../src/catalogue/model';
import { summarize } from '../../src/runs/reruns';
import { rerunFailedScope } from '../../src/runs/status';
import type { RerunSummary, Run, Session } from '../../src/runs/types';
import { T0, allMrkdwn, buttonsOf, makeRun, makeSession } from './blocks-fixtures';

const OPTS: RenderRunOptions = { now: T0 + 90_000, interactive: true, checklyAppUrl: 'https://app.checklyhq.com/runs/1' };

function contexts(blocks: readonly KnownBlock[]): ContextBlock[] {
  return blocks.filter((b): b is ContextBlock => b.type === 'context');
}

function button(blocks: KnownBlock[], actionId: string): Button | undefined {
  for (const block of blocks) {
    if (block.type !== 'actions') continue;
    const found = block.elements.find((e): e is Button => e.type === 'button' && e.action_id === actionId);
    if (found) return found;
  }
  return undefined;
}

function listed(n: number, over: Partial<CheckEntry> = {}): CheckEntry {
  return { id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, name: `Check ${n}`, checkType: 'API', tags: ['prod'], activated: true, ...over };
}

function rerunRef(over: Partial<RerunSummary>): RerunSummary {
  return {
    runId: 'r2',
    kind: 'failed',
    key: 'failed',
    requester: 'U0BOB',
    startedAt: T0,
    phase: 'final',
    total: 0,
    passed: 0,
    failing: 0,
    running: 0,
    ...over,
  };
}

describe('a line of facts is one context element', () => {
  it("the run's context: who, how many, when, how long, joined by ' · ' in one mrkdwn element", () => {
    const run = makeRun({ phase: 'final', finishedAt: T0 + 6_200, title: 'Deploy #42', sessions: [makeSession(), makeSession()] });
    const [ctx] = contexts(renderRun(run, OPTS).blocks);
    expect(ctx?.elements).toHaveLength(1);
    const text = (ctx?.elements[0] as { type: string; text: string } | undefined)?.text;
    expect(ctx?.elements[0]?.type).toBe('mrkdwn');
    expect(text).toMatch(/^Deploy #42 · Triggered by <@U123ABC> · 2 checks · started <!date\^\d+\^[^>]+> · took 6\.2s$/);
  });

  it('every context block of a run message, its rerun lines and a listing has one element', () => {
    const reruns = [rerunRef({ runId: 'a', total: 2, passed: 2 }), rerunRef({ runId: 'b', kind: 'all', key: 'all', total: 3, passed: 3 })];
    const run = makeRun({ phase: 'final', finishedAt: T0 + 1000, sessions: [makeSession({ status: 'FAILED' })], reruns });
    const many = Array.from({ length: 60 }, (_, i) => ({ check: listed(i + 1) }));
    const blocks = [
      ...renderRun(run, OPTS).blocks,
      ...renderCheckList('check', many, { now: T0, commandName: '/checkly', catalogueAt: T0 - 60_000, stale: true }).blocks,
    ];
    expect(contexts(blocks).length).toBeGreaterThanOrEqual(3);
    for (const ctx of contexts(blocks)) expect(ctx.elements).toHaveLength(1);
    // The rerun lines are lines of one element, not elements side by side.
    expect((contexts(renderReruns(reruns))[0]?.elements[0] as { text: string } | undefined)?.text.split('\n')).toHaveLength(2);
  });
});

describe('one formatter for check types', () => {
  const types = ['BROWSER', 'MULTI_STEP', 'API', 'PLAYWRIGHT'] as const;

  it.each(types)('%s reads the same in a run row, the Details modal, a listing and the form', (type) => {
    const label = checkTypeLabel(type);
    expect(label).not.toBe(type === 'API' ? '' : type);
    const session = makeSession({ checkType: type, status: 'FAILED' });
    const row = allMrkdwn(renderRun(makeRun({ phase: 'final', finishedAt: T0 + 1, sessions: [session] }), OPTS).blocks);
    expect(row).toContain(` · ${label} · `);
    const modal = JSON.stringify(renderDetailsModal(session, [], '{}'));
    expect(modal).toContain(` · ${label} · `);
    const listing = allMrkdwn(
      renderCheckList('c', [{ check: listed(1, { checkType: type }) }], { now: T0, commandName: '/checkly', catalogueAt: T0, stale: false }).blocks,
    );
    expect(listing).toContain(`* · ${label}`);
    expect(checkOptions([listed(1, { checkType: type })])[0]?.description?.text).toBe(`${label} · prod`);
    for (const text of [row, modal, listing]) if (type !== 'API') expect(text).not.toContain(type);
  });

  it('Browser, Multistep: as people read them; an unknown type as it came', () => {
    expect([checkTypeLabel('BROWSER'), checkTypeLabel('MULTI_STEP'), checkTypeLabel('NEW_KIND')]).toEqual(['Browser', 'Multistep', 'NEW_KIND']);
  });
});

describe('one figure for how long a check took', () => {
  it('the thread says the time its row says (the session), not the time of one result', () => {
    const session: Session = makeSession({
      name: 'Checkout',
      checkType: 'BROWSER',
      status: 'FAILED',
      timeElapsed: 74_000,
      failedLocations: ['eu-west-1'],
      results: [{ resultId: 'res-1', location: 'eu-west-1', failing: true, link: 'https://app.checklyhq.com/r/1' }],
    });
    const run = makeRun({ phase: 'final', finishedAt: T0 + 80_000, sessions: [session] });
    const detail = { location: 'eu-west-1', outcome: 'failed' as const, attempts: 1, responseTimeMs: 59_200, errors: ['boom'], assertions: [], logTail: [] };
    const evidence = new Map([[session.checkId, { checkId: session.checkId, result: session.results![0]!, detail }]]);
    const thread = renderEvidenceReplies(run, renderFailureReply(run), evidence)
      .map((m) => allMrkdwn(m.blocks))
      .join('\n');
    const message = allMrkdwn(renderRun(run, OPTS).blocks);
    expect(message).toContain('Browser · eu-west-1 · 1m 14s');
    expect(thread).toContain('took 1m 14s');
    expect(thread).not.toContain('59.2s');
  });
});

describe('the Rerun failed button says what it reruns, and the rerun reruns that', () => {
  const cases: Array<[string, Session[], string, number]> = [
    ['2 failed', [makeSession({ status: 'FAILED' }), makeSession({ status: 'TIMED_OUT' }), makeSession()], 'Rerun failed (2)', 2],
    [
      '2 failed and 1 degraded',
      [makeSession({ status: 'FAILED' }), makeSession({ status: 'FAILED' }), makeSession({ status: 'DEGRADED' }), makeSession()],
      'Rerun failed & degraded (3)',
      3,
    ],
  ];

  it.each(cases)('%s', (_, sessions, label, count) => {
    const run = makeRun({ phase: 'final', finishedAt: T0 + 1, sessions });
    expect(button(renderRun(run, OPTS).blocks, ACTION_RERUN_FAILED)?.text.text).toBe(label);
    expect(rerunFailedScope(run).checkIds).toHaveLength(count);
  });

  it('a check with two failing sessions is one check to rerun, in the label and the scope', () => {
    const a = makeSession({ status: 'FAILED' });
    const run = makeRun({ phase: 'final', finishedAt: T0 + 1, sessions: [a, { ...a, sessionId: 'other' }, makeSession({ status: 'FAILED' })] });
    expect(button(renderRun(run, OPTS).blocks, ACTION_RERUN_FAILED)?.text.text).toBe('Rerun failed (2)');
    expect(rerunFailedScope(run).checkIds).toEqual([a.checkId, run.sessions[2]!.checkId]);
  });

  it("the rerun's line on its parent names what the button named", () => {
    const [line] = renderReruns([rerunRef({ total: 3, passed: 1, failing: 2, failed: 1, degraded: 1, timedOut: 0, cancelled: 0, includesDegraded: true })]);
    expect(allMrkdwn([line!])).toContain('↻ Rerun of 3 failed & degraded checks by <@U0BOB>');
  });
});

describe("a rerun's line on its parent counts as the rerun's own message", () => {
  it('1 failed · 1 degraded, not 2 failed', () => {
    const rerun: Run = makeRun({
      id: 'r2',
      phase: 'final',
      finishedAt: T0 + 1,
      sessions: [makeSession({ status: 'PASSED' }), makeSession({ status: 'FAILED' }), makeSession({ status: 'DEGRADED' })],
    });
    const own = formatCounts(countStatuses(rerun.sessions));
    expect(own).toBe('✅ 1 passed · ❌ 1 failed · ⚠️ 1 degraded');
    expect(allMrkdwn(renderRun(rerun, OPTS).blocks)).toContain(own);
    const parentLine = allMrkdwn(renderReruns([rerunRef(summarize(rerun))]));
    expect(parentLine).toContain(`: ${own}`);
    expect(parentLine).not.toContain('2 failed');
  });

  it('while running, the same counts as its progress line', () => {
    const sessions = [makeSession({ status: 'FAILED' }), makeSession({ status: 'PROGRESS' })];
    const rerun = makeRun({ id: 'r2', phase: 'running', sessions });
    expect(allMrkdwn(renderReruns([rerunRef(summarize(rerun))]))).toContain(': ❌ 1 failed · ⏳ 1 running');
  });

  it('a summary stored before the counts by status still reads (its failing counted as failed)', () => {
    expect(allMrkdwn(renderReruns([rerunRef({ total: 2, passed: 1, failing: 1 })]))).toContain(': ✅ 1 passed · ❌ 1 failed');
  });
});

describe("the thread's count agrees with the run message's", () => {
  it('failed, degraded and timed out, each apart, in both', () => {
    const run = makeRun({
      phase: 'final',
      finishedAt: T0 + 1,
      sessions: [makeSession({ status: 'FAILED' }), makeSession({ status: 'DEGRADED' }), makeSession({ status: 'TIMED_OUT' }), makeSession()],
    });
    expect(allMrkdwn(renderRun(run, OPTS).blocks)).toContain('✅ 1 passed · ❌ 1 failed · ⚠️ 1 degraded · ⌛ 1 timed out');
    expect(renderFailureReply(run).text).toMatch(/^<@U123ABC> 1 of 4 checks failed, 1 degraded and 1 timed out: /);
  });
});

describe('buttons that start more than a few checks ask first', () => {
  const sessions = (n: number, status: Session['status']) => Array.from({ length: n }, () => makeSession({ status }));

  it(`Rerun failed asks above ${CONFIRM_ABOVE_CHECKS} checks, not at ${CONFIRM_ABOVE_CHECKS}`, () => {
    const few = renderRun(makeRun({ phase: 'final', finishedAt: T0 + 1, sessions: sessions(CONFIRM_ABOVE_CHECKS, 'FAILED') }), OPTS).blocks;
    const many = renderRun(makeRun({ phase: 'final', finishedAt: T0 + 1, sessions: sessions(CONFIRM_ABOVE_CHECKS + 1, 'FAILED') }), OPTS).blocks;
    expect(button(few, ACTION_RERUN_FAILED)?.confirm).toBeUndefined();
    expect(button(many, ACTION_RERUN_FAILED)?.confirm?.text.text).toBe(`This starts ${CONFIRM_ABOVE_CHECKS + 1} checks in Checkly.`);
  });

  it('Rerun all asks when the run had many checks, or when how many is not known', () => {
    const few = renderRun(makeRun({ phase: 'final', finishedAt: T0 + 1, sessions: sessions(2, 'PASSED') }), OPTS).blocks;
    const many = renderRun(makeRun({ phase: 'final', finishedAt: T0 + 1, sessions: sessions(15, 'PASSED') }), OPTS).blocks;
    const cutOff = renderRun(
      makeRun({ phase: 'error', error: { kind: 'interrupted', message: 'x' }, target: { tags: [['prod']], checkIds: [], all: false }, sessions: [] }),
      OPTS,
    ).blocks;
    expect(button(few, ACTION_RERUN_ALL)?.confirm).toBeUndefined();
    expect(button(many, ACTION_RERUN_ALL)?.confirm?.text.text).toBe('This starts 15 checks in Checkly.');
    expect(button(cutOff, ACTION_RERUN_ALL)?.confirm?.text.text).toBe('This starts every check the run matches in Checkly.');
  });

  it('Run these (N) asks when N is more than a few; one row’s Run does not', () => {
    const rows = Array.from({ length: 15 }, (_, i) => ({ check: listed(i + 1) }));
    const msg = renderCheckList('check', rows, { now: T0, commandName: '/checkly', catalogueAt: T0, stale: false });
    const all = buttonsOf(msg.blocks).find((b) => b.action_id === ACTION_RUN_ALL_LISTED);
    expect(all?.text).toBe('Run these (15)');
    const raw = button(msg.blocks, ACTION_RUN_ALL_LISTED);
    expect(raw?.confirm?.text.text).toBe('This starts 15 checks in Checkly.');
    const rowButton = msg.blocks.flatMap((b) => (b.type === 'section' && b.accessory?.type === 'button' ? [b.accessory] : []))[0];
    expect(rowButton?.confirm).toBeUndefined();
  });
});
