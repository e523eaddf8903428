import { ACTION_ALERT_OWN, ACTION_ALERT_RERUN, parseAlertButtonValue, renderIncident, renderRecoveryReply, type IncidentView } from '../../src/blocks/alert';
import { renderRollup, renderRollupList } from '../../src/blocks/alert-rollup';
import { messageText } from '../e2e/harness';
import { assertWithinSlackLimits } from './slack-limits';

const T0 = Date.parse('2026-12-05T03:00:00Z');
const base: IncidentView = {
  id: 'inc-1',
  checkId: '0bbfc00c-44df-46a7-a4d9-ba38deca8bfd',
  checkName: 'Checkout API',
  checkType: 'API',
  groupName: 'Shop',
  state: 'failing',
  failed: true,
  startedAt: T0,
  alerts: 1,
  locations: ['eu-west-1'],
  error: 'Expected status 200, got 500',
  statusCode: 500,
  resultId: '11111111-2222-4333-8444-555555555555',
  resultLink: 'https://app.checklyhq.com/results/1',
  owners: [],
};

const buttons = (message: { blocks: unknown[] }) =>
  message.blocks.flatMap((b) =>
    ((b as { elements?: Array<{ type: string; action_id?: string; value?: string }> }).elements ?? []).filter((e) => e.type === 'button'),
  );

describe('an incident message', () => {
  test('failing: red, the check, type, group, where, since when, the error with the API status, a link, and Rerun, Details, I’m on it', () => {
    const message = renderIncident(base);
    const text = messageText(message);
    expect(text).toContain('🔴 *Checkout API* is failing');
    expect(text).toContain('API · Shop · 📍 eu-west-1 · since <!date^');
    expect(text).toContain('HTTP 500 `Expected status 200, got 500`');
    expect(text).toContain('<https://app.checklyhq.com/results/1|Result in Checkly>');
    expect(buttons(message).map((b) => b.action_id)).toEqual(['alert_rerun', 'alert_details', 'alert_own']);
    expect(parseAlertButtonValue(buttons(message)[0]?.value)).toEqual({ incident: 'inc-1', check: base.checkId });
    assertWithinSlackLimits(message);
  });

  test('degraded only: yellow; updated: the count; on it: who', () => {
    expect(messageText(renderIncident({ ...base, state: 'degraded', failed: false }))).toContain('🟡 *Checkout API* is degraded');
    // The check's type as people read it, as everywhere else.
    expect(messageText(renderIncident({ ...base, checkType: 'MULTI_STEP' }))).toContain('Multistep · Shop');
    const text = messageText(renderIncident({ ...base, alerts: 3, owners: ['U0ALICE', 'U0BOB'] }));
    expect(text).toContain('is failing · 3 alerts');
    expect(text).toContain('👀 On it: <@U0ALICE>, <@U0BOB>');
  });

  test('recovered: green, "recovered after 14m · 3 alerts", no I’m on it; its reply mentions who was on it', () => {
    const over = { ...base, state: 'recovered' as const, alerts: 3, recoveredAt: T0 + 14 * 60_000, owners: ['U0ALICE'] };
    const message = renderIncident(over);
    expect(messageText(message)).toContain('✅ *Checkout API* recovered after 14m · 3 alerts');
    expect(buttons(message).map((b) => b.action_id)).not.toContain(ACTION_ALERT_OWN);
    expect(buttons(message).map((b) => b.action_id)).toContain(ACTION_ALERT_RERUN);
    expect(messageText(renderRecoveryReply(over))).toContain('recovered after 14m · 3 alerts. <@U0ALICE>');
  });

  test('a hostile check name, group, location and error are text: nothing pings, links or formats outside their place', () => {
    const hostile = '<!channel> <@U0BOSS> <https://evil.example|click> & "q" *b*';
    const message = renderIncident({ ...base, checkName: hostile, groupName: hostile, locations: [hostile], error: `${hostile}\n\`x\`` });
    const text = JSON.stringify(message);
    expect(text).not.toMatch(/<!channel>|<@U0BOSS>|<https:\/\/evil/);
    expect(messageText(message)).toContain('&lt;!channel&gt; &lt;@U0BOSS&gt;');
    expect(messageText(renderRecoveryReply({ ...base, checkName: hostile, state: 'recovered' }))).not.toContain('<!channel>');
    assertWithinSlackLimits(message);
  });

  test('at the limits: a huge name, error, 60 locations and 30 people stay within Slack’s limits', () => {
    const huge = 'x'.repeat(50_000);
    const message = renderIncident({
      ...base,
      checkName: huge,
      groupName: huge,
      error: huge,
      locations: Array.from({ length: 60 }, (_, i) => `location-${i}-${huge.slice(0, 200)}`),
      owners: Array.from({ length: 30 }, (_, i) => `U0${String(i).padStart(4, '0')}`),
      resultLink: `https://app.checklyhq.com/${huge}`,
    });
    assertWithinSlackLimits(message);
    expect(messageText(message)).toContain('and 52 more');
    expect(messageText(message)).toContain('and 20 more');
  });
});

describe('a storm’s roll-up', () => {
  const entries = (n: number, recovered = 0) =>
    Array.from({ length: n }, (_, i) => ({ checkId: `c${i}`, name: i === 0 ? '<!here> check' : `check ${i}`, recovered: i < recovered }));

  test('counts the checks failing and recovered; its thread lists them, escaped', () => {
    expect(messageText(renderRollup({ since: T0, entries: entries(37) }))).toContain('Outage: 37 checks failing');
    expect(messageText(renderRollup({ since: T0, entries: entries(37, 3) }))).toContain('Outage: 34 checks failing* · 3 recovered');
    expect(messageText(renderRollup({ since: T0, entries: entries(37, 37) }))).toContain('Outage over:* 37 checks recovered');
    const list = renderRollupList({ since: T0, entries: entries(3, 1) });
    expect(messageText(list)).toContain('✅ &lt;!here&gt; check\n🔴 check 1\n🔴 check 2');
  });

  test('1,000 checks with long names stay within Slack’s limits', () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ checkId: `c${i}`, name: `${'n'.repeat(500)}${i}`, recovered: false }));
    assertWithinSlackLimits(renderRollupList({ since: T0, entries: many }));
    assertWithinSlackLimits(renderRollup({ since: T0, entries: many }));
    const list = messageText(renderRollupList({ since: T0, entries: many }));
    const listed = list.split('\n').filter((l) => l.startsWith('🔴')).length;
    expect(listed).toBeGreaterThan(80);
    expect(list).toContain(`…and ${1000 - listed} more: see Checkly.`);
  });
});
