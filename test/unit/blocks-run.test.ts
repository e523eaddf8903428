import type { KnownBlock, SectionBlock } from '@slack/types';
import {
  ACTION_CANCEL,
  ACTION_OPEN,
  ACTION_RERUN_ALL,
  ACTION_RERUN_CHECK_PATTERN,
  ACTION_RERUN_FAILED,
  ACTION_RUN_MORE,
  parseButtonValue,
  parseRunMoreValue,
} from '../../src/blocks/actions';
import { renderRun, type RenderRunOptions } from '../../src/blocks/run';
import { renderRow } from '../../src/blocks/rows';
import type { Run, RunError } from '../../src/runs/types';
import { T0, allMrkdwn, buttonsOf, makeRun, makeSession } from './blocks-fixtures';
import { assertWithinSlackLimits } from './slack-limits';

const OPTS: RenderRunOptions = { now: T0 + 90_000, interactive: true, checklyAppUrl: 'https://app.checklyhq.com/runs/1' };

function headerText(blocks: KnownBlock[]): string {
  const first = blocks[0];
  if (first?.type !== 'header') throw new Error('first block is not a header');
  return first.text.text;
}

function contextTexts(blocks: KnownBlock[]): string[] {
  const ctx = blocks.find((b) => b.type === 'context');
  if (ctx?.type !== 'context') throw new Error('no context block');
  return ctx.elements.map((e) => ('text' in e ? e.text : ''));
}

function sectionTexts(blocks: KnownBlock[]): string[] {
  return blocks.filter((b): b is SectionBlock => b.type === 'section').map((b) => b.text?.text ?? '');
}

/** The check rows, one string per row (a row may be two lines), in message order. */
function rowLines(blocks: KnownBlock[]): string[] {
  return sectionTexts(blocks)
    .slice(1) // the progress line
    .flatMap((t) => t.split('\n'))
    .filter((l) => !l.startsWith('        ↳'));
}

const mixed = (): Run =>
  makeRun({
    phase: 'final',
    finishedAt: T0 + 72_000,
    sessions: [
      makeSession({ name: 'Login API', status: 'PASSED', timeElapsed: 4200 }),
      makeSession({
        name: 'Checkout flow',
        checkType: 'BROWSER',
        status: 'FAILED',
        locations: ['eu-west-1', 'us-east-1'],
        failedLocations: ['us-east-1'],
        error: 'TimeoutError: waiting for selector `#pay` failed',
        timeElapsed: 31_000,
      }),
      makeSession({ name: 'Search', status: 'DEGRADED', failedLocations: ['eu-west-1'], error: 'Response time 5s > 3s' }),
      makeSession({ name: 'Audit', status: 'CANCELLED' }),
    ],
  });

describe('renderRun: header', () => {
  it('names the tag expression in CLI form', () => {
    const msg = renderRun(makeRun({ target: { tags: [['prod', 'api'], ['staging']], checkIds: [], all: false } }), OPTS);
    expect(headerText(msg.blocks)).toBe('Checkly run: prod,api staging');
  });
  it('names the checks of a --check run once their names are known', () => {
    const run = makeRun({
      target: { tags: [], checkIds: ['11111111-1111-4111-8111-111111111111'], all: false },
      sessions: [makeSession({ name: 'Login API', status: 'STARTED' }), makeSession({ name: 'Checkout', status: 'STARTED' })],
    });
    expect(headerText(renderRun(run, OPTS).blocks)).toBe('Checkly run: Login API, Checkout');
  });
  it('shows the check id of a --check run before the sessions are known', () => {
    const run = makeRun({ phase: 'triggering', target: { tags: [], checkIds: ['11111111-1111-4111-8111-111111111111'], all: false } });
    expect(headerText(renderRun(run, OPTS).blocks)).toBe('Checkly run: --check 11111111-1111-4111-8111-111111111111');
  });
  it('says all checks for --all', () => {
    expect(headerText(renderRun(makeRun({ target: { tags: [], checkIds: [], all: true } }), OPTS).blocks)).toBe('Checkly run: all checks');
  });
  it('stays within 150 characters with many long names', () => {
    const run = makeRun({
      target: { tags: [], checkIds: ['11111111-1111-4111-8111-111111111111'], all: false },
      sessions: Array.from({ length: 20 }, () => makeSession({ name: 'N'.repeat(200) })),
    });
    const text = headerText(renderRun(run, OPTS).blocks);
    expect(text.length).toBe(150);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('renderRun: context', () => {
  it('says who, how many, when it started and how long a final run took', () => {
    // One element: Slack draws a context's elements side by side with no separator.
    expect(contextTexts(renderRun(mixed(), OPTS).blocks)).toEqual([
      'Triggered by <@U123ABC> · 4 checks · started <!date^1736933400^{date_short_pretty} {time}|2025-01-15T09:30:00Z> · took 1m 12s',
    ]);
  });
  it('leaves out the duration while running', () => {
    const run = makeRun({ sessions: [makeSession({ status: 'PROGRESS' })] });
    expect(contextTexts(renderRun(run, OPTS).blocks)).toEqual([
      'Triggered by <@U123ABC> · 1 check · started <!date^1736933400^{date_short_pretty} {time}|2025-01-15T09:30:00Z>',
    ]);
  });
  it('takes `now` as the end of a final run that lacks finishedAt', () => {
    const run = { ...mixed(), finishedAt: undefined };
    expect(contextTexts(renderRun(run, OPTS).blocks)[0]?.split(' · ')[3]).toBe('took 1m 30s');
  });
});

describe('renderRun: progress and rows', () => {
  it('shows the bar and the counts', () => {
    expect(sectionTexts(renderRun(mixed(), OPTS).blocks)[0]).toBe('🟩🟩🟩🟥🟥🟥🟨🟨⬛⬛  ✅ 1 passed · ❌ 1 failed · ⚠️ 1 degraded · 🚫 1 cancelled');
  });
  it('lists failing checks first, then passed and cancelled, each group by name', () => {
    const names = rowLines(renderRun(mixed(), { ...OPTS, interactive: false }).blocks).map((l) => /\|([^>]*)>/.exec(l)?.[1]);
    expect(names).toEqual(['Checkout flow', 'Search', 'Audit', 'Login API']);
  });
  it('renders a failed row with its link, type, locations, duration, failed locations and first error', () => {
    const failed = mixed().sessions[1];
    if (failed === undefined) throw new Error('fixture');
    expect(renderRow(failed)).toBe(
      `❌ *<${failed.link}|Checkout flow>* · Browser · eu-west-1, us-east-1 · 31s\n` +
        '        ↳ failed in us-east-1: `TimeoutError: waiting for selector ˋ#payˋ failed`',
    );
  });
  it('renders a degraded row as degraded, and a passed row on one line', () => {
    const [passed, , degraded] = mixed().sessions;
    if (passed === undefined || degraded === undefined) throw new Error('fixture');
    expect(renderRow(degraded)).toBe(`⚠️ *<${degraded.link}|Search>* · API · eu-west-1\n        ↳ degraded in eu-west-1: \`Response time 5s &gt; 3s\``);
    expect(renderRow(passed)).toBe(`✅ *<${passed.link}|Login API>* · API · eu-west-1 · 4.2s`);
  });
  it('a degraded API check with no error says how long it responded (its one reason); left out with the error lines', () => {
    const slow = makeSession({
      name: 'Refunds API',
      status: 'DEGRADED',
      locations: ['us-east-1', 'us-west-2'],
      failedLocations: ['us-west-2'],
      results: [
        { resultId: 'r-2', location: 'us-west-2', link: 'https://app.checklyhq.com/r-2', failing: true, slowOnly: true, responseTimeMs: 4_180 },
        { resultId: 'r-1', location: 'us-east-1', link: 'https://app.checklyhq.com/r-1', failing: false, responseTimeMs: 310 },
      ],
    });
    expect(renderRow(slow)).toBe(
      `⚠️ *<${slow.link}|Refunds API>* · API · us-east-1, us-west-2\n        ↳ degraded in us-west-2: responded in 4.2s, over its degradation limit`,
    );
    expect(renderRow(slow, 0)).toBe(`⚠️ *<${slow.link}|Refunds API>* · API · us-east-1, us-west-2\n        ↳ degraded in us-west-2`);
    // An error line, when one was read, is what the row says.
    expect(renderRow({ ...slow, error: 'Soft assertion failed' })).toContain('degraded in us-west-2: `Soft assertion failed`');
  });
  it('shows at most five locations', () => {
    const row = renderRow(makeSession({ locations: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }));
    expect(row).toContain(' · a, b, c, d, e +2 more');
  });
  it('packs several rows into one section', () => {
    const run = makeRun({ sessions: Array.from({ length: 8 }, () => makeSession({ status: 'PROGRESS' })) });
    const msg = renderRun(run, OPTS);
    // header, context, progress, one section of 8 rows, actions
    expect(msg.blocks.map((b) => b.type)).toEqual(['header', 'context', 'section', 'section', 'actions']);
    expect(sectionTexts(msg.blocks)[1]?.split('\n')).toHaveLength(8);
  });
  it('keeps passed checks in full in a small run', () => {
    const run = makeRun({ phase: 'final', sessions: Array.from({ length: 20 }, () => makeSession({ status: 'PASSED' })) });
    const lines = rowLines(renderRun(run, OPTS).blocks);
    expect(lines).toHaveLength(20);
    expect(allMrkdwn(renderRun(run, OPTS).blocks)).not.toContain('checks passed');
  });
  it('folds passed checks into one line in a run of more than 20 checks with more than 10 passed', () => {
    const sessions = [
      ...Array.from({ length: 19 }, () => makeSession({ status: 'PASSED' })),
      makeSession({ name: 'Broken', status: 'FAILED' }),
      makeSession({ name: 'Slow', status: 'PROGRESS' }),
    ];
    const msg = renderRun(makeRun({ sessions }), OPTS);
    const lines = rowLines(msg.blocks);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('✅ 19 more checks passed');
    assertWithinSlackLimits(msg);
  });
});

describe('renderRun: phases', () => {
  it('triggering: header, context and the triggering line, no rows, no buttons', () => {
    const msg = renderRun(makeRun({ phase: 'triggering', target: { tags: [['prod']], checkIds: [], all: false } }), {
      now: T0,
      interactive: true,
    });
    expect(msg.blocks.map((b) => b.type)).toEqual(['header', 'context', 'section']);
    expect(sectionTexts(msg.blocks)).toEqual(['Triggering checks matching `prod`…']);
    expect(msg.text).toBe('Checkly run prod: triggering checks…');
  });

  const errorRun = (error: RunError): Run => makeRun({ phase: 'error', error, target: { tags: [['prod'], ['<!channel>']], checkIds: [], all: false } });

  it.each<[RunError['kind'], string]>([
    ['not_found', 'No check matches `prod &lt;!channel&gt;`.'],
    ['unauthorized', 'Ask an admin to check `CHECKLY_API_KEY` and `CHECKLY_ACCOUNT_ID`'],
    ['forbidden', 'The API key is not allowed to run these checks.'],
    ['payment_required', 'a plan limit was reached'],
    ['rate_limited', 'Try again in a minute.'],
    ['server', 'Checkly is unavailable right now. Try again later.'],
    ['network', 'Could not reach Checkly. Try again later.'],
    ['bad_request', 'Checkly rejected the request.'],
  ])('error %s says what to do', (kind, advice) => {
    const msg = renderRun(errorRun({ kind, message: 'Checkly <b>said</b> & more', status: 400 }), OPTS);
    const [text] = sectionTexts(msg.blocks);
    expect(text).toContain('❌ *Checkly could not start this run.*');
    expect(text).toContain(advice);
    expect(text).toContain(`${kind === 'network' ? 'Error' : 'Checkly said'}: \`Checkly &lt;b&gt;said&lt;/b&gt; &amp; more\` (HTTP 400)`);
    expect(msg.text.startsWith('Checkly run prod &lt;!channel&gt; could not start: ')).toBe(true);
    assertWithinSlackLimits(msg);
  });

  it('error: the fallback of a 404 names the expression', () => {
    const msg = renderRun(errorRun({ kind: 'not_found', message: 'Not Found', status: 404 }), OPTS);
    expect(msg.text).toBe('Checkly run prod &lt;!channel&gt; could not start: no check matches prod &lt;!channel&gt;');
  });

  it('abandoned: rows as usual and a line saying it stopped, with how long and how many', () => {
    const run = makeRun({
      phase: 'abandoned',
      finishedAt: T0 + 30 * 60_000,
      sessions: [makeSession({ status: 'PASSED' }), makeSession({ status: 'PROGRESS' }), makeSession({ status: 'STARTED' })],
    });
    const texts = sectionTexts(renderRun(run, OPTS).blocks);
    expect(texts[texts.length - 1]).toBe('⏹️ Stopped following after 30m: 2 checks still had no final result. <https://app.checklyhq.com/runs/1|See Checkly>.');
    expect(rowLines(renderRun(run, OPTS).blocks).filter((l) => l.includes('*<'))).toHaveLength(3);
  });

  it('abandoned without finishedAt just says it stopped', () => {
    const run = makeRun({ phase: 'abandoned', sessions: [makeSession({ status: 'PROGRESS' })] });
    const texts = sectionTexts(renderRun(run, { now: T0, interactive: false }).blocks);
    expect(texts[texts.length - 1]).toBe(`⏹️ Stopped following: 1 check still had no final result. <${run.sessions[0]?.link}|See Checkly>.`);
  });
});

describe('renderRun: buttons', () => {
  it('while running: Cancel with a confirmation, and the link to Checkly', () => {
    const run = makeRun({ sessions: [makeSession({ status: 'PASSED' }), makeSession({ status: 'PROGRESS' }), makeSession({ status: 'STARTED' })] });
    const buttons = buttonsOf(renderRun(run, OPTS).blocks);
    expect(buttons.map((b) => [b.action_id, b.text])).toEqual([
      [ACTION_CANCEL, 'Cancel'],
      [ACTION_OPEN, 'Open in Checkly'],
    ]);
    expect(buttons[0]?.style).toBe('danger');
    expect(buttons[0]?.confirm).toEqual({
      title: { type: 'plain_text', text: 'Cancel this run?' },
      text: { type: 'plain_text', text: 'Cancel the 2 checks still running?' },
      confirm: { type: 'plain_text', text: 'Cancel checks' },
      deny: { type: 'plain_text', text: 'Keep running' },
      style: 'danger',
    });
    expect(buttons[1]?.url).toBe('https://app.checklyhq.com/runs/1');
  });

  it('when final: Rerun failed & degraded (N) counting failed, degraded and timed out; Rerun all; the link', () => {
    const run = makeRun({
      phase: 'final',
      sessions: [
        makeSession({ status: 'FAILED' }),
        makeSession({ status: 'DEGRADED' }),
        makeSession({ status: 'TIMED_OUT' }),
        makeSession({ status: 'CANCELLED' }),
        makeSession({ status: 'PASSED' }),
      ],
    });
    const msg = renderRun(run, OPTS);
    const actionsBlock = msg.blocks[msg.blocks.length - 1];
    expect(actionsBlock?.type).toBe('actions');
    expect(buttonsOf([actionsBlock]).map((b) => [b.action_id, b.text, b.style])).toEqual([
      [ACTION_RERUN_FAILED, 'Rerun failed & degraded (3)', 'primary'],
      [ACTION_RERUN_ALL, 'Rerun all', undefined],
      [ACTION_OPEN, 'Open in Checkly', undefined],
    ]);
  });

  it('when final with nothing failed: no Rerun failed', () => {
    const run = makeRun({ phase: 'final', sessions: [makeSession({ status: 'PASSED' }), makeSession({ status: 'CANCELLED' })] });
    expect(buttonsOf(renderRun(run, OPTS).blocks).map((b) => b.action_id)).toEqual([ACTION_RERUN_ALL, ACTION_OPEN]);
  });

  it('not interactive: only the link button, in every phase', () => {
    const opts = { ...OPTS, interactive: false };
    for (const run of [mixed(), makeRun({ sessions: [makeSession({ status: 'PROGRESS' })] })]) {
      expect(buttonsOf(renderRun(run, opts).blocks).map((b) => b.action_id)).toEqual([ACTION_OPEN]);
    }
  });

  it('links the one session itself when there is only one', () => {
    const run = makeRun({ sessions: [makeSession({ status: 'PROGRESS', link: 'https://app.checklyhq.com/s/only' })] });
    expect(buttonsOf(renderRun(run, OPTS).blocks).find((b) => b.action_id === ACTION_OPEN)?.url).toBe('https://app.checklyhq.com/s/only');
  });

  it('falls back to the first session without checklyAppUrl, and shows no link button without any URL', () => {
    const run = makeRun({ sessions: [makeSession({ status: 'PROGRESS', name: 'b' }), makeSession({ status: 'PROGRESS', name: 'a' })] });
    const open = buttonsOf(renderRun(run, { now: T0, interactive: false }).blocks);
    expect(open.map((b) => b.url)).toEqual([run.sessions[0]?.link]);
    expect(buttonsOf(renderRun(makeRun({ phase: 'triggering' }), { now: T0, interactive: true }).blocks)).toEqual([]);
  });

  it('gives the first five finally failed rows their own Rerun button, with unique action ids', () => {
    const run = makeRun({
      phase: 'final',
      sessions: Array.from({ length: 7 }, (_, i) => makeSession({ name: `f${i}`, status: 'FAILED', checkId: `check-${i}` })),
    });
    const rowButtons = buttonsOf(renderRun(run, OPTS).blocks).filter((b) => ACTION_RERUN_CHECK_PATTERN.test(b.action_id));
    expect(rowButtons.map((b) => [b.action_id, b.text, b.value])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [`run_rerun_check:${i}`, 'Rerun', JSON.stringify({ run: 'run-1', check: `check-${i}` })]),
    );
    expect(buttonsOf(renderRun(run, { ...OPTS, interactive: false }).blocks).filter((b) => ACTION_RERUN_CHECK_PATTERN.test(b.action_id))).toEqual([]);
  });

  it('gives no per-row Rerun while the run is still running', () => {
    const run = makeRun({ sessions: [makeSession({ status: 'FAILED' }), makeSession({ status: 'PROGRESS' })] });
    expect(buttonsOf(renderRun(run, OPTS).blocks).map((b) => b.action_id)).toEqual([ACTION_CANCEL, ACTION_OPEN]);
  });

  it('button values are small JSON naming the run, and parse back', () => {
    for (const b of buttonsOf(renderRun(mixed(), OPTS).blocks).filter((b) => b.value !== undefined)) {
      expect(b.value?.length).toBeLessThanOrEqual(2000);
      expect(parseButtonValue(b.value)?.run).toBe('run-1');
    }
    expect(parseButtonValue('{"run":"r","check":"c"}')).toEqual({ run: 'r', check: 'c' });
    expect(parseButtonValue('not json')).toBeUndefined();
    expect(parseButtonValue('{"run":5}')).toBeUndefined();
    expect(parseButtonValue('{"run":"r","check":7}')).toBeUndefined();
    expect(parseButtonValue(undefined)).toBeUndefined();
  });

  it("an over run's “…” menu pins its target to the chooser's Home or unpins it; a running one has none", () => {
    const menuOf = (run: Run) =>
      (renderRun(run, OPTS).blocks.at(-1) as unknown as { elements: Array<Record<string, unknown>> }).elements.find((e) => e.action_id === ACTION_RUN_MORE);
    const menu = menuOf(mixed()) as { type: string; options: Array<{ text: { text: string }; value: string }> } | undefined;
    expect(menu?.type).toBe('overflow');
    expect(menu?.options.map((o) => [o.text.text, parseRunMoreValue(o.value)])).toEqual([
      ['📌 Pin to my Home', { choice: 'pin', run: 'run-1' }],
      ['Unpin from my Home', { choice: 'unpin', run: 'run-1' }],
    ]);
    expect(menuOf(makeRun({ phase: 'error', error: { kind: 'interrupted', message: 'cut' } }))).toBeDefined();
    expect(menuOf(makeRun({ sessions: [makeSession({ status: 'PROGRESS' })] }))).toBeUndefined();
    expect(renderRun(mixed(), { ...OPTS, interactive: false }).blocks.some((b) => JSON.stringify(b).includes(ACTION_RUN_MORE))).toBe(false);
    expect(parseRunMoreValue('pin:')).toBeUndefined();
    expect(parseRunMoreValue('delete:run-1')).toBeUndefined();
  });

  it('matches per-row action ids only', () => {
    expect(
      ['run_rerun_check:0', 'run_rerun_check:12', 'run_rerun_check', 'run_rerun_check:x', 'xrun_rerun_check:1'].map((id) =>
        ACTION_RERUN_CHECK_PATTERN.test(id),
      ),
    ).toEqual([true, true, false, false, false]);
  });
});

describe('renderRun: fallback text', () => {
  it('says the same in one line', () => {
    const run = makeRun({
      sessions: [
        ...Array.from({ length: 7 }, () => makeSession({ status: 'PASSED' })),
        makeSession({ status: 'FAILED' }),
        makeSession({ status: 'FAILED' }),
        ...Array.from({ length: 3 }, () => makeSession({ status: 'PROGRESS' })),
      ],
    });
    expect(renderRun(run, OPTS).text).toBe('Checkly run prod,api: 7 passed, 2 failed, 3 running (12 checks)');
  });
  it('says when the bot stopped following', () => {
    const run = makeRun({ phase: 'abandoned', sessions: [makeSession({ status: 'PROGRESS' })] });
    expect(renderRun(run, OPTS).text).toBe('Checkly run prod,api: 1 running (1 check); stopped following before every check finished');
  });
});

describe('renderRun: snapshot', () => {
  it('renders a finished mixed run', () => {
    const run = mixed();
    run.sessions.forEach((s, i) => {
      s.link = `https://app.checklyhq.com/checks/c${i}/check-sessions/s${i}`;
      s.checkId = `check-${i}`;
    });
    const msg = renderRun(run, OPTS);
    // The one thing this snapshot is about: the layout of a final run with failures. Each failed row
    // is its own section, carrying its Rerun button; the other rows share one section.
    expect(msg.blocks.map((b) => b.type)).toEqual(['header', 'context', 'section', 'section', 'section', 'section', 'actions']);
    const [, , , checkout, search, rest] = msg.blocks as SectionBlock[];
    expect(checkout?.text?.text.startsWith('❌ *<https://app.checklyhq.com/checks/c1/')).toBe(true);
    expect(checkout?.accessory).toEqual({
      type: 'button',
      action_id: 'run_rerun_check:0',
      text: { type: 'plain_text', text: 'Rerun' },
      value: '{"run":"run-1","check":"check-1"}',
    });
    expect(search?.text?.text.startsWith('⚠️ *<https://app.checklyhq.com/checks/c2/')).toBe(true);
    expect(rest?.text?.text.split('\n')).toHaveLength(2);
    // The failing checks' Details menu: one element in the actions block, failing rows in row order.
    const menu = (msg.blocks.at(-1) as unknown as { elements: Array<Record<string, unknown>> }).elements.find((e) => e.type === 'static_select');
    expect(menu?.action_id).toBe('run_details');
    expect((menu?.options as Array<{ value: string }> | undefined)?.map((o) => o.value)).toEqual([
      '{"run":"run-1","check":"check-1"}',
      '{"run":"run-1","check":"check-2"}',
    ]);
    expect(msg).toMatchSnapshot();
  });
});
