import {
  ACTION_RUN_ALL_LISTED,
  MAX_ROWS,
  parseRunValue,
  renderCatalogueUnavailable,
  renderCheckList,
  renderChecksGone,
  renderFailingList,
  type ListedRow,
} from '../../src/blocks/listing';
import type { CheckEntry } from '../../src/catalogue/model';
import { allMrkdwn, bareAmpersands, buttonsOf, strayAngles } from './blocks-fixtures';
import { assertWithinSlackLimits } from './slack-limits';

const NOW = Date.parse('2026-11-27T08:00:00Z');
const CTX = { now: NOW, commandName: '/checkly', catalogueAt: NOW - 60_000, stale: false };
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function check(n: number, over: Partial<CheckEntry> = {}): CheckEntry {
  return { id: id(n), name: `Check ${n}`, checkType: 'API', tags: ['prod'], activated: true, ...over };
}

describe('renderCheckList', () => {
  const rows: ListedRow[] = [
    { check: check(1, { name: 'Login API', tags: ['prod', 'api'] }), condition: { state: 'passing', hasErrors: false } },
    {
      check: check(2, { name: 'Checkout', checkType: 'BROWSER' }),
      condition: { state: 'failing', since: NOW - 5 * 60_000, hasErrors: false, lastRunLocation: 'us-east-1' },
    },
    { check: check(3, { name: 'Old', activated: false }) },
  ];
  const msg = renderCheckList('login', rows, CTX);

  it('matches its snapshot', () => {
    expect(msg).toMatchSnapshot();
  });

  it('shows type, tags and state per row, and a Run button for each activated check', () => {
    const text = allMrkdwn(msg.blocks);
    expect(text).toContain('*Login API* · API · ✅ passing\n`prod` `api`');
    expect(text).toContain(
      '*Checkout* · Browser · ❌ failing since <!date^1795766100^{date_short_pretty} {time}|2026-11-27T07:55:00Z> (5m ago) · last run in us-east-1',
    );
    expect(text).toContain('*Old* · API · ⏸ deactivated');
    const buttons = buttonsOf(msg.blocks);
    expect(buttons.map((b) => [b.action_id, b.text])).toEqual([
      ['find_run:0', 'Run'],
      ['find_run:1', 'Run'],
      [ACTION_RUN_ALL_LISTED, 'Run these (2)'],
    ]);
    expect(parseRunValue(buttons[2]!.value)).toEqual([id(1), id(2)]);
  });

  it('shows at most 20 rows and says how many more', () => {
    const many: ListedRow[] = Array.from({ length: 57 }, (_, i) => ({
      check: check(i, {
        name: `Check ${'<x>'.repeat(200)} ${i}`,
        checkType: 'MULTI_STEP',
        tags: Array.from({ length: 12 }, (_, j) => `<tag>-${j}-${'y'.repeat(100)}`),
      }),
      condition: { state: 'failing', since: NOW - 1000, hasErrors: false },
    }));
    const big = renderCheckList('check', many, { ...CTX, stale: true });
    assertWithinSlackLimits(big);
    // Slack refuses a message from about 12,000 characters of text in its blocks; keep under 10,000.
    expect(allMrkdwn(big.blocks).length).toBeLessThan(10_000);
    const text = allMrkdwn(big.blocks);
    expect(buttonsOf(big.blocks).filter((b) => b.action_id.startsWith('find_run:'))).toHaveLength(MAX_ROWS);
    expect(text).toContain('57 checks match `check`; the best 20:');
    expect(text).toContain('…and 37 more: refine the words.');
    expect(text).toContain('Checkly is unavailable: this list is from');
  });

  it('escapes names, tags and the words', () => {
    const hostile = renderCheckList('<!channel> & co', [{ check: check(1, { name: '<!here> <@U1> & <http://x|y>', tags: ['<!channel>'] }) }], CTX);
    const text = allMrkdwn(hostile.blocks) + hostile.text;
    expect(strayAngles(text)).toBe(0);
    expect(bareAmpersands(text)).toBe(0);
  });

  it('says when nothing matches', () => {
    const none = renderCheckList('nope', [], CTX);
    expect(none.text).toBe('No check’s name or tags contain `nope`. Try fewer or shorter words, or `/checkly` to pick from a list.');
    expect(buttonsOf(none.blocks)).toEqual([]);
  });
});

describe('renderFailingList', () => {
  it('counts failing and degraded, and says when nothing fails', () => {
    const rows: ListedRow[] = [
      { check: check(1), condition: { state: 'failing', since: NOW - 3_600_000, hasErrors: false } },
      { check: check(2), condition: { state: 'degraded', hasErrors: false } },
    ];
    const msg = renderFailingList(rows, 10, CTX);
    expect(msg).toMatchSnapshot();
    expect(msg.text).toBe('1 failing, 1 degraded right now');
    expect(allMrkdwn(msg.blocks)).toContain('⚠️ degraded');
    expect(renderFailingList([], 10, CTX).text).toBe('✅ Nothing is failing or degraded right now (10 checks).');
  });
});

describe('errors and values', () => {
  it('says what Checkly said', () => {
    const msg = renderCatalogueUnavailable({ kind: 'server', status: 503, message: 'Service Unavailable' });
    expect(allMrkdwn(msg.blocks)).toContain('Checkly said: `Service Unavailable` (HTTP 503)');
    expect(allMrkdwn(renderCatalogueUnavailable({ kind: 'network', message: 'Could not reach Checkly (ECONNREFUSED).' }, false).blocks)).toContain(
      'Could not look the checks up in Checkly; nothing was triggered. Try again in a minute.\nError: `Could not reach Checkly (ECONNREFUSED).`',
    );
    expect(renderChecksGone(['Login API'], '/checkly').text).toBe('This check no longer exists in Checkly. Nothing was triggered.');
  });

  it('parses only what it encoded: 1 to 20 UUIDs', () => {
    expect(parseRunValue(JSON.stringify({ checks: [id(1).toUpperCase()] }))).toEqual([id(1)]);
    for (const bad of [
      undefined,
      '',
      'x',
      '{}',
      '{"checks":[]}',
      '{"checks":["nope"]}',
      JSON.stringify({ checks: Array.from({ length: 21 }, (_, i) => id(i)) }),
    ]) {
      expect(parseRunValue(bad)).toBeUndefined();
    }
  });
});
