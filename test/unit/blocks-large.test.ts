import fc from 'fast-check';
import { renderRun, type RenderRunOptions } from '../../src/blocks/run';
import { renderFailureReplies } from '../../src/blocks/thread';
import type { Run, RunPhase, Session, SessionStatus } from '../../src/runs/types';
import { T0, allMrkdwn, bareAmpersands, buttonsOf, makeRun, makeSession, mrkdwnOf, strayAngles, textsOf } from './blocks-fixtures';
import { RUN_MESSAGE_TEXT_TARGET, assertWithinSlackLimits, blocksTextLength, slackLimitViolations } from './slack-limits';

const OPTS: RenderRunOptions = { now: T0 + 60_000, interactive: true, checklyAppUrl: 'https://app.checklyhq.com/accounts/a/runs/1' };
const LONG_LINK = `https://app.checklyhq.com/checks/${'c'.repeat(300)}/check-sessions/${'s'.repeat(200)}?q=1&r=2`;

function many(n: number, over: (i: number) => Partial<Session>): Session[] {
  return Array.from({ length: n }, (_, i) => makeSession(over(i)));
}

const longName = (i: number): string => `${String(i).padStart(3, '0')} ${'Long check name '.repeat(13)}`.slice(0, 200);
const longError = (i: number): string => `Error ${i}: ${'expected 200 but the server said something else; '.repeat(10)}`.slice(0, 500);

/** How many check rows the message lists (row lines start with a glyph and a bold link). */
function listedRows(run: Run, opts = OPTS): number {
  return mrkdwnOf(renderRun(run, opts).blocks)
    .flatMap((t) => t.split('\n'))
    .filter((l) => / \*<https:/.test(l)).length;
}

describe('the limit checker itself', () => {
  it('finds every kind of violation', () => {
    const button = (id: string) => ({ type: 'button', action_id: id, text: { type: 'plain_text', text: 'x'.repeat(76) }, value: 'v'.repeat(2001) });
    const broken = {
      text: 'x'.repeat(40001),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        { type: 'section', block_id: 'same', text: { type: 'mrkdwn', text: 's'.repeat(3001) }, accessory: button('dup') },
        { type: 'section', block_id: 'same', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        { type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2001) }] },
        { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) },
        { type: 'actions', block_id: 'b'.repeat(256), elements: [button('dup'), { ...button('a'.repeat(256)), url: 'u'.repeat(3001) }] },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'c',
              text: { type: 'plain_text', text: 'ok' },
              confirm: { title: { type: 'plain_text', text: 't'.repeat(101) }, text: { type: 'plain_text', text: 't'.repeat(301) } },
            },
          ],
        },
        { type: 'actions', elements: Array.from({ length: 26 }, (_, i) => ({ type: 'button', action_id: `e${i}`, text: { type: 'plain_text', text: 'b' } })) },
        { type: 'section', text: { type: 'mrkdwn', text: '' } },
        ...Array.from({ length: 42 }, () => ({ type: 'divider' })),
      ],
    };
    const problems = slackLimitViolations(broken);
    const expected = [
      /^text: fallback is 40001/,
      /^blocks: 51 blocks/,
      /^blocks\[0\]\.text: text is 151 characters/,
      /^blocks\[1\]\.text: text is 3001 characters/,
      /^blocks\[1\]\.accessory\.text: text is 76 characters/,
      /^blocks\[1\]\.accessory: value longer than 2000/,
      /^blocks\[2\]: block_id same is not unique/,
      /^blocks\[2\]: more than 10 fields/,
      /^blocks\[3\]\.fields\[0\]: text is 2001 characters/,
      /^blocks\[4\]: context needs 1 to 10 elements/,
      /^blocks\[5\]: block_id is 256 characters/,
      /^blocks\[5\]\.elements\[0\]: action_id dup is not unique/,
      /^blocks\[5\]\.elements\[1\]: action_id is 256 characters/,
      /^blocks\[5\]\.elements\[1\]: url longer than 3000/,
      /^blocks\[6\]\.elements\[0\]\.confirm\.title: text is 101 characters/,
      /^blocks\[6\]\.elements\[0\]\.confirm\.text: text is 301 characters/,
      /^blocks\[7\]: actions needs 1 to 25 elements/,
      /^blocks\[8\]\.text: text is empty/,
    ];
    for (const re of expected) expect(problems.some((p) => re.test(p))).toBe(true);
    expect(() => assertWithinSlackLimits(broken)).toThrow(/breaks Slack's limits/);
    expect(slackLimitViolations({ text: 'ok', blocks: [] })).toEqual([]);
  });
});

describe('500-check runs stay within every Slack limit', () => {
  it('all passed: folded into one line', () => {
    const run = makeRun({ phase: 'final', finishedAt: T0 + 60_000, sessions: many(500, (i) => ({ name: longName(i), link: LONG_LINK })) });
    const msg = renderRun(run, OPTS);
    assertWithinSlackLimits(msg);
    expect(listedRows(run)).toBe(0);
    expect(allMrkdwn(msg.blocks)).toContain('✅ 500 checks passed');
    expect(msg.text).toBe('Checkly run prod,api: 500 passed (500 checks)');
  });

  it('all failed with long names, errors and links: as many as fit, then a line to Checkly', () => {
    const run = makeRun({
      phase: 'final',
      finishedAt: T0 + 60_000,
      sessions: many(500, (i) => ({
        name: longName(i),
        link: LONG_LINK,
        status: 'FAILED',
        checkType: 'BROWSER',
        locations: ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-1', 'ap-south-1', 'sa-east-1'],
        failedLocations: ['eu-west-1', 'us-east-1'],
        error: longError(i),
      })),
    });
    const msg = renderRun(run, OPTS);
    assertWithinSlackLimits(msg);
    const shown = listedRows(run);
    // Rows of about 1,300 characters each (long link, name and error): the text budget decides.
    expect(shown).toBeGreaterThanOrEqual(5);
    expect(blocksTextLength(msg.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
    expect(allMrkdwn(msg.blocks)).toContain(`❌ …and ${500 - shown} more failed (listed in the thread)`);
    expect(buttonsOf(msg.blocks).map((b) => b.action_id)).toEqual([
      'run_rerun_check:0',
      'run_rerun_check:1',
      'run_rerun_check:2',
      'run_rerun_check:3',
      'run_rerun_check:4',
      'run_rerun_failed',
      'run_rerun_all',
      'run_open',
    ]);
    expect(buttonsOf(msg.blocks).find((b) => b.action_id === 'run_rerun_failed')?.text).toBe('Rerun failed (500)');
  });

  it('links the first left-out failure when there is no run link (an abandoned run gets no thread reply)', () => {
    const sessions = many(500, (i) => ({ name: longName(i), status: 'FAILED', error: longError(i) }));
    const msg = renderRun(makeRun({ phase: 'abandoned', sessions }), { now: T0, interactive: false });
    assertWithinSlackLimits(msg);
    const line = allMrkdwn(msg.blocks)
      .split('\n')
      .find((l) => l.startsWith('❌ …and '));
    const shown = listedRows(makeRun({ phase: 'abandoned', sessions }), { now: T0, interactive: false });
    const firstLeftOut = [...sessions].sort((a, b) => (a.name < b.name ? -1 : 1))[shown];
    expect(line).toBe(`❌ …and ${500 - shown} more failed checks: <${firstLeftOut?.link}|see Checkly>`);
  });

  it('mixed while running: failing first, then running, passed folded, all within limits', () => {
    const statuses: SessionStatus[] = ['FAILED', 'PROGRESS', 'PASSED', 'PASSED', 'STARTED', 'DEGRADED', 'CANCELLED', 'PASSED', 'PROGRESS_FAILED', 'TIMED_OUT'];
    const run = makeRun({
      sessions: many(500, (i) => ({
        name: longName(i),
        status: statuses[i % statuses.length],
        link: LONG_LINK,
        error: longError(i),
        failedLocations: ['eu-west-1'],
      })),
    });
    const msg = renderRun(run, OPTS);
    assertWithinSlackLimits(msg);
    const lines = mrkdwnOf(msg.blocks)
      .flatMap((t) => t.split('\n'))
      .filter((l) => / \*<https:/.test(l));
    const glyphs = lines.map((l) => l.split(' ')[0]);
    // Only failing rows fit: each is long; none of the running or passed rows comes before them.
    expect(glyphs.every((g) => ['❌', '⚠️', '❗', '⌛'].includes(g ?? ''))).toBe(true);
    const text = allMrkdwn(msg.blocks);
    // 200 failing (FAILED, DEGRADED, PROGRESS_FAILED, TIMED_OUT), 100 running, 50 cancelled, 150 passed.
    expect(text).toContain(`❌ …and ${200 - lines.length} more failed checks`);
    expect(text).toContain('⏳ …and 100 more checks still running');
    expect(text).toContain('🚫 50 more checks cancelled');
    expect(text).toContain('✅ 150 more checks passed');
    expect(buttonsOf(msg.blocks).map((b) => b.action_id)).toEqual(['run_cancel', 'run_open']);
  });

  it('running checks come right after the failures while there is room', () => {
    const run = makeRun({
      sessions: [...many(3, () => ({ status: 'FAILED' })), ...many(30, () => ({ status: 'PROGRESS' })), ...many(467, () => ({ status: 'PASSED' }))],
    });
    const msg = renderRun(run, OPTS);
    assertWithinSlackLimits(msg);
    expect(listedRows(run)).toBe(33);
    expect(allMrkdwn(msg.blocks)).toContain('✅ 467 more checks passed');
  });

  it.each<RunPhase>(['triggering', 'running', 'final', 'abandoned', 'error'])('phase %s, interactive or not', (phase) => {
    const run = makeRun({
      phase,
      error: { kind: 'bad_request', message: 'x<>&'.repeat(1000) },
      finishedAt: T0 + 1000,
      target: { tags: Array.from({ length: 20 }, (_, g) => Array.from({ length: 20 }, (__, t) => `tag&${g}-${t}`)), checkIds: [], all: false },
      sessions: many(500, (i) => ({ name: longName(i), status: i % 2 ? 'FAILED' : 'PROGRESS', error: longError(i), link: LONG_LINK })),
    });
    for (const interactive of [true, false]) assertWithinSlackLimits(renderRun(run, { ...OPTS, interactive }));
  });
});

const HOSTILE = ['<!channel>', '<@U123>', '<!here|here>', 'a & b', '<https://evil.example|click>', '&lt;!channel&gt;', '`x`\n> quote', '*bold* _it_'];

describe('outside text is escaped everywhere', () => {
  const hostileRun = (phase: RunPhase): Run =>
    makeRun({
      phase,
      requester: 'U123ABC',
      target: { tags: [['<!channel>', 'a&b']], checkIds: [], all: false },
      error: { kind: 'not_found', message: '<!everyone> & <@U999>' },
      finishedAt: T0 + 5000,
      sessions: HOSTILE.flatMap((name, i) =>
        (['FAILED', 'PASSED', 'PROGRESS', 'DEGRADED'] as const).map((status) =>
          makeSession({
            name,
            status,
            checkType: '<!channel>' as Session['checkType'],
            locations: [`<@U${i}>`, 'a&b'],
            failedLocations: ['<!here>'],
            error: `${name} <!subteam^S1> &`,
          }),
        ),
      ),
    });

  it.each<RunPhase>(['triggering', 'running', 'final', 'abandoned', 'error'])('in the %s phase', (phase) => {
    for (const interactive of [true, false]) {
      const msg = renderRun(hostileRun(phase), { ...OPTS, interactive });
      assertWithinSlackLimits(msg);
      for (const text of [...mrkdwnOf(msg.blocks), msg.text]) {
        expect({ text, stray: strayAngles(text) }).toEqual({ text, stray: 0 });
        expect({ text, bare: bareAmpersands(text) }).toEqual({ text, bare: 0 });
        expect(text).not.toContain('<!channel>');
        expect(text).not.toContain('<@U123>');
      }
      for (const t of textsOf(msg.blocks).filter((x) => x.type === 'plain_text')) expect(t.text.length).toBeLessThanOrEqual(150);
    }
  });

  it('shows the names escaped, not dropped', () => {
    const text = allMrkdwn(renderRun(hostileRun('final'), OPTS).blocks);
    expect(text).toContain('|&lt;!channel&gt;>');
    expect(text).toContain('|&lt;@U123&gt;>');
    expect(text).toContain('|a &amp; b>');
    expect(text).toContain('|&amp;lt;!channel&amp;gt;>');
  });

  it('keeps the header plain, whole and within 150 characters', () => {
    const msg = renderRun(hostileRun('running'), OPTS);
    expect(msg.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Checkly run: <!channel>,a&b', emoji: true } });
  });

  it('in the thread reply too', () => {
    for (const msg of renderFailureReplies(hostileRun('final'))) {
      for (const text of [...mrkdwnOf(msg.blocks), msg.text]) {
        expect(strayAngles(text)).toBe(0);
        expect(bareAmpersands(text)).toBe(0);
      }
    }
  });
});

describe('any run renders within the limits (property)', () => {
  const statusArb = fc.constantFrom<SessionStatus>(
    'STARTED',
    'PROGRESS',
    'PROGRESS_FAILED',
    'PROGRESS_DEGRADED',
    'PASSED',
    'FAILED',
    'DEGRADED',
    'TIMED_OUT',
    'CANCELLED',
  );
  // size 'max': fast-check otherwise keeps strings and arrays short, far from the 200 and 500 we mean.
  const textArb = fc.oneof(
    fc.string({ maxLength: 200, size: 'max' }),
    fc.string({ unit: 'grapheme', maxLength: 200, size: 'max' }),
    fc.constantFrom(...HOSTILE),
    fc.string({ unit: fc.constantFrom('<', '>', '&', '|', '`', '\n', '😀', 'a'), maxLength: 200, size: 'max' }),
  );
  const sessionArb = fc.record({
    name: textArb,
    status: statusArb,
    error: fc.option(fc.string({ unit: fc.constantFrom('<', '>', '&', 'e', ' ', '`'), maxLength: 500, size: 'max' }), { nil: undefined }),
    link: fc.oneof(fc.constant(LONG_LINK), fc.webUrl(), textArb),
    locations: fc.array(fc.string({ maxLength: 40 }), { maxLength: 8 }),
  });

  it('for up to 500 arbitrary sessions in every phase', () => {
    const sizes: number[] = [];
    fc.assert(
      fc.property(
        fc.array(sessionArb, { maxLength: 500, size: 'max' }),
        fc.constantFrom<RunPhase>('running', 'final', 'abandoned'),
        fc.boolean(),
        (specs, phase, interactive) => {
          const run = makeRun({ phase, sessions: specs.map((s) => makeSession({ ...s, failedLocations: s.locations.slice(0, 2) })) });
          sizes.push(specs.length);
          const msg = renderRun(run, { ...OPTS, interactive });
          expect(slackLimitViolations(msg)).toEqual([]);
          expect(blocksTextLength(msg.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
          for (const text of mrkdwnOf(msg.blocks)) {
            expect(strayAngles(text)).toBe(0);
            expect(bareAmpersands(text)).toBe(0);
          }
        },
      ),
      { numRuns: 30, seed: 20250115 },
    );
    // The property must really have seen large runs.
    expect(Math.max(...sizes)).toBeGreaterThan(300);
  });
});

describe('a run message holds under 10,000 characters of text, whatever the run', () => {
  const error200 = (i: number): string => `E${String(i).padStart(3, '0')} ${'connect ETIMEDOUT 10.0.0.1:443 while waiting for '.repeat(5)}`.slice(0, 200);
  /** The outage: 120 checks, 80 failing with errors of 200 characters. */
  const outage = (): Run =>
    makeRun({
      phase: 'final',
      finishedAt: T0 + 90_000,
      sessions: [
        ...many(80, (i) => ({
          name: `API ${String(i).padStart(3, '0')} checkout endpoint`,
          status: 'FAILED',
          error: error200(i),
          locations: ['eu-west-1', 'us-east-1'],
          failedLocations: ['eu-west-1', 'us-east-1'],
          timeElapsed: 30_000,
        })),
        ...many(40, (i) => ({ name: `Page ${String(i).padStart(3, '0')}`, status: 'PASSED' })),
      ],
    });

  it('the outage: failed rows first and in full while they fit, then one line for the rest', () => {
    const run = outage();
    const msg = renderRun(run, OPTS);
    assertWithinSlackLimits(msg);
    expect(blocksTextLength(msg.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
    const rows = mrkdwnOf(msg.blocks).flatMap((t) => t.split('\n'));
    const failedRows = rows.filter((l) => l.startsWith('❌ *<'));
    expect(failedRows.length).toBeGreaterThanOrEqual(10);
    // In full: each shown row has its whole 200-character error.
    const errorLines = rows.filter((l) => l.includes('↳ failed in'));
    expect(errorLines).toHaveLength(failedRows.length);
    errorLines.forEach((l, i) => {
      expect(l).toContain(`\`${error200(i)}\``);
    });
    expect(rows).toContain(`❌ …and ${80 - failedRows.length} more failed (listed in the thread)`);
    expect(rows).toContain('✅ 40 more checks passed');
    expect(rows.some((l) => l.startsWith('✅ *<'))).toBe(false);
    expect(buttonsOf(msg.blocks).find((b) => b.action_id === 'run_rerun_failed')?.text).toBe('Rerun failed (80)');
    expect(allMrkdwn(msg.blocks)).toContain('✅ 40 passed · ❌ 80 failed');
  });

  it('the same run while running links to Checkly for the failures left out (no thread reply yet)', () => {
    const run = { ...outage(), phase: 'running' as const };
    const msg = renderRun(run, OPTS);
    expect(blocksTextLength(msg.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
    expect(allMrkdwn(msg.blocks)).toMatch(/❌ …and \d+ more failed checks: <https:\/\/app\.checklyhq\.com\/accounts\/a\/runs\/1\|see Checkly>/);
  });

  it.each<RunPhase>(['triggering', 'running', 'final', 'abandoned', 'error'])('500 checks, long everything, phase %s', (phase) => {
    const statuses: SessionStatus[] = ['FAILED', 'PROGRESS', 'PASSED', 'DEGRADED', 'CANCELLED', 'TIMED_OUT', 'PROGRESS_FAILED'];
    const run = makeRun({
      phase,
      error: { kind: 'bad_request', message: 'x<>&'.repeat(1000) },
      finishedAt: T0 + 1000,
      requester: 'U123ABC',
      reruns: Array.from({ length: 6 }, (_, i) => ({
        runId: `r${i}`,
        kind: 'failed' as const,
        key: 'failed',
        startedAt: T0,
        requester: '<!channel>'.repeat(10),
        phase: 'final' as const,
        total: 500,
        running: 0,
        passed: 250,
        failing: 250,
      })),
      target: { tags: Array.from({ length: 20 }, (_, g) => Array.from({ length: 20 }, (__, t) => `tag&${g}-${t}`)), checkIds: [], all: false },
      sessions: many(500, (i) => ({
        name: `${'&<>'.repeat(60)}${i}`,
        status: statuses[i % statuses.length],
        error: '&'.repeat(500),
        link: LONG_LINK,
        locations: Array.from({ length: 8 }, () => '&'.repeat(40)),
        failedLocations: Array.from({ length: 8 }, () => '&'.repeat(40)),
      })),
    });
    for (const interactive of [true, false]) {
      const msg = renderRun(run, { ...OPTS, interactive });
      assertWithinSlackLimits(msg);
      expect(blocksTextLength(msg.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
    }
  });

  it('hostile content that grows fivefold when escaped still fits', () => {
    const run = makeRun({
      phase: 'final',
      sessions: many(120, (i) => ({
        name: '&'.repeat(200),
        status: i % 3 ? 'FAILED' : 'PASSED',
        error: '<'.repeat(200),
        link: `https://x.example/${'&'.repeat(900)}`,
      })),
    });
    const msg = renderRun(run, OPTS);
    assertWithinSlackLimits(msg);
    expect(blocksTextLength(msg.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
    expect(allMrkdwn(msg.blocks)).toContain('more failed (listed in the thread)');
  });

  it('smaller sizes: fewer rows and shorter errors, then no errors', () => {
    const run = outage();
    const full = renderRun(run, OPTS);
    const compact = renderRun(run, { ...OPTS, size: 'compact' });
    const minimal = renderRun(run, { ...OPTS, size: 'minimal' });
    for (const msg of [compact, minimal]) assertWithinSlackLimits(msg);
    expect(blocksTextLength(compact.blocks)).toBeLessThanOrEqual(6_000);
    expect(blocksTextLength(minimal.blocks)).toBeLessThanOrEqual(3_000);
    expect(listedRows(run, { ...OPTS, size: 'compact' })).toBeLessThan(listedRows(run));
    // Compact errors are cut to 120 characters; minimal rows have none.
    const compactErrors = allMrkdwn(compact.blocks).match(/`[^`]*`/g) ?? [];
    expect(compactErrors.length).toBeGreaterThan(0);
    for (const e of compactErrors) expect(e.length).toBeLessThanOrEqual(120);
    expect(allMrkdwn(minimal.blocks)).not.toContain('`');
    // Every size keeps the counts, the closing line and the buttons.
    for (const msg of [full, compact, minimal]) {
      expect(allMrkdwn(msg.blocks)).toContain('✅ 40 passed · ❌ 80 failed');
      expect(allMrkdwn(msg.blocks)).toMatch(/❌ …and \d+ more failed \(listed in the thread\)/);
      expect(buttonsOf(msg.blocks).map((b) => b.text)).toEqual(expect.arrayContaining(['Rerun failed (80)', 'Rerun all', 'Open in Checkly']));
    }
  });
});

describe('the closing line has its room kept', () => {
  it('even when it links a left-out failure whose link is far longer than the first one’s', () => {
    // No run page: the closing line links the first failure left out. Its link is long; the first row's is short.
    const sessions = [
      makeSession({ name: 'A first', status: 'FAILED', link: 'https://x.example/a', error: 'e'.repeat(400) }),
      ...many(60, (i) => ({
        name: `B ${String(i).padStart(2, '0')}`,
        status: 'FAILED',
        link: `https://x.example/${'&'.repeat(190)}${i}`,
        error: 'e'.repeat(400),
      })),
    ];
    for (const phase of ['abandoned', 'running'] as const) {
      const msg = renderRun(makeRun({ phase, sessions, finishedAt: T0 + 1000 }), { now: T0, interactive: true });
      assertWithinSlackLimits(msg);
      expect(allMrkdwn(msg.blocks)).toMatch(/❌ …and \d+ more failed checks: <https:\/\/x\.example\/(&amp;){190}\d+\|see Checkly>/);
      expect(blocksTextLength(msg.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
    }
  });
});
