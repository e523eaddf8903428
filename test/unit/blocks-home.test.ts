import type { KnownBlock, SectionBlock } from '@slack/types';
import { FAILING_SHOWN, type HomeContent, homeNotice, renderHome } from '../../src/blocks/home';
import type { CheckEntry } from '../../src/catalogue/model';
import { homeViewProblems } from '../fakes/slack-views';
import { T0, allMrkdwn, bareAmpersands, makeRun, makeSession } from './blocks-fixtures';
import { MRKDWN_PIECES } from './hostile';

const check = (n: number, over: Partial<CheckEntry> = {}): CheckEntry => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  name: `Check ${n}`,
  checkType: 'API',
  tags: ['prod'],
  activated: true,
  ...over,
});

function content(over: Partial<HomeContent> = {}): HomeContent {
  return {
    now: T0 + 60_000,
    commandName: '/checkly',
    failing: {
      rows: [{ check: check(1, { name: 'Billing API' }), condition: { state: 'failing', since: T0 - 600_000, hasErrors: false } }],
      checks: 12,
    },
    pins: [{ id: 'pin-1', target: 'prod,api', channel: 'C0OPS' }],
    runs: [
      {
        run: makeRun({ id: 'run-1', channel: 'C0OPS', phase: 'final', sessions: [makeSession({ status: 'FAILED' })], ts: '1700000000.000100' }),
        link: 'https://t.slack.com/archives/C0OPS/p1700000000000100',
      },
    ],
    ...over,
  };
}

const buttons = (blocks: KnownBlock[]) =>
  blocks.flatMap((b) => {
    const candidates = [(b as SectionBlock).accessory, ...(((b as { elements?: unknown[] }).elements as unknown[]) ?? [])];
    return candidates.filter((e): e is { type: 'button'; action_id: string; value: string } => (e as { type?: string } | undefined)?.type === 'button');
  });

describe('renderHome', () => {
  it('matches its snapshot, and is about a person’s runs and pins: Run again per run, Run and Unpin per pin', () => {
    const view = renderHome(content({ notice: homeNotice.pinned('prod,api', 'C0OPS') }));
    expect(view).toMatchSnapshot();
    expect(buttons(view.blocks as KnownBlock[]).map((b) => [b.action_id, b.value])).toEqual([
      ['home_run_pin:0', 'pin-1'],
      ['home_unpin:0', 'pin-1'],
      ['home_pin', 'pin'],
      ['home_run_again:0', 'run-1'],
    ]);
    const text = allMrkdwn(view.blocks);
    expect(text).toContain('📌 Pinned `prod,api` in <#C0OPS>.');
    expect(text).toContain('*1 check failing or degraded* right now');
    expect(text).toContain('❌ `prod,api` in <#C0OPS> · <!date^');
    expect(text).toContain('<https://t.slack.com/archives/C0OPS/p1700000000000100|message>');
  });

  it('a full tab (10 pins, 10 runs, many failing checks, a notice) is a Home view Slack takes', () => {
    const view = renderHome(
      content({
        notice: homeNotice.full(10),
        pins: Array.from({ length: 10 }, (_, i) => ({ id: `pin-${i}`, target: `${'t'.repeat(90)}${i},x`, channel: `C0PIN${i}` })),
        runs: Array.from({ length: 10 }, (_, i) => ({ run: makeRun({ id: `run-${i}`, target: { tags: [['x'.repeat(100)]], checkIds: [], all: false } }) })),
        failing: {
          rows: Array.from({ length: 40 }, (_, i) => ({
            check: check(i, { name: 'n'.repeat(200) }),
            condition: { state: 'failing' as const, hasErrors: false },
          })),
          checks: 40,
        },
      }),
    );
    expect(homeViewProblems(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    // Only the first rows of /checkly failing, and where the rest are.
    expect(allMrkdwn(view.blocks)).toContain(`…and ${40 - FAILING_SHOWN} more: \`/checkly failing\` lists them all.`);
  });

  it('outside text (check names, targets) pings nobody and forges no link', () => {
    for (const name of MRKDWN_PIECES.map((piece) => `Check ${piece} & co`)) {
      const view = renderHome(
        content({
          failing: { rows: [{ check: check(1, { name }), condition: { state: 'failing', hasErrors: false } }], checks: 1 },
          pins: [{ id: 'p', target: name, channel: 'C0OPS' }],
          notice: homeNotice.badTarget(name),
        }),
      );
      expect(homeViewProblems(view)).toEqual([]);
      const text = allMrkdwn(view.blocks);
      // The only `<…>` tokens are ours: the pin's channel, the date, links.
      const tokens = (text.match(/<[^>]*>?/g) ?? []).filter(
        (t) =>
          t !== '<https://t.slack.com/archives/C0OPS/p1700000000000100|message>' &&
          !/^<#C0OPS>$|^<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9T:Z-]+>$/.test(t),
      );
      expect(tokens).toEqual([]);
      expect(bareAmpersands(text)).toBe(0);
    }
  });

  it('says what is empty and why the failing checks are missing', () => {
    const view = renderHome(content({ pins: [], runs: [], failing: { unavailable: { kind: 'server', message: 'Bad gateway', status: 502 } } }));
    const text = allMrkdwn(view.blocks);
    expect(text).toContain('Could not read the checks’ states from Checkly: `Bad gateway`');
    expect(text).toContain('None yet: pin a target below');
    expect(text).toContain('None yet: `/checkly run prod` in a channel starts one.');
  });
});
