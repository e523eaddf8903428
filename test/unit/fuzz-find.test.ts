/**
 * The listings, the picker and its options against hostile check names, tags, group names and
 * Checkly messages: within Slack's limits (messages, modals, options), nothing from outside pings or
 * links, and cutting text never splits a character.
 */
import fc from 'fast-check';
import { renderCatalogueUnavailable, renderCheckList, renderChecksGone, renderFailingList, type ListedRow } from '../../src/blocks/listing';
import { checkOptions, groupOptions, renderPicker, tagOptions } from '../../src/blocks/picker';
import { buildCatalogue, searchChecks } from '../../src/catalogue/model';
import { resolveChoice } from '../../src/catalogue/choice';
import { viewProblems } from '../fakes/slack-views';
import { bareAmpersands, foreignTokens, mrkdwnOf, textsOf } from './blocks-fixtures';
import { hasLoneSurrogate, hostileText, hugeText } from './hostile';
import { slackLimitViolations } from './slack-limits';

const SEED = 20261127;
const NOW = Date.parse('2026-11-27T08:00:00Z');
const CTX = { now: NOW, commandName: '/checkly', catalogueAt: NOW - 1000, stale: true };

const text = fc.oneof({ arbitrary: hostileText({ lone: false }), weight: 8 }, { arbitrary: hugeText(3000, { lone: false }), weight: 1 });
const uuidArb = fc.uuid();
const rowArb: fc.Arbitrary<ListedRow> = fc
  .record({
    id: uuidArb,
    name: text,
    checkType: fc.constantFrom('API', 'BROWSER', 'MULTI_STEP', 'PLAYWRIGHT'),
    tags: fc.array(text, { maxLength: 15 }),
    activated: fc.boolean(),
    state: fc.constantFrom('passing', 'failing', 'degraded'),
    location: fc.option(text, { nil: undefined }),
  })
  .map(({ id, name, checkType, tags, activated, state, location }) => ({
    check: { id, name, checkType, tags, activated },
    condition: { state, since: NOW - 90_000, hasErrors: false, ...(location !== undefined ? { lastRunLocation: location } : {}) },
  }));

function expectSafe(message: { text: string; blocks: unknown[] }): void {
  expect(slackLimitViolations(message)).toEqual([]);
  const mrkdwn = mrkdwnOf(message.blocks).join('\n');
  expect(mrkdwn.length).toBeLessThan(10_000);
  expect(foreignTokens(mrkdwn)).toEqual([]);
  expect(bareAmpersands(mrkdwn)).toBe(0);
  for (const t of textsOf(message.blocks)) expect(hasLoneSurrogate(t.text)).toBe(false);
}

describe('listings against hostile text', () => {
  it('/checkly checks and /checkly failing stay within limits and escape everything', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 40 }), text, (rows, words) => {
        expectSafe(renderCheckList(words, rows, CTX));
        expectSafe(renderFailingList(rows, rows.length, CTX));
        expectSafe(renderChecksGone(rows.map((r) => r.check.name).slice(0, 20), '/checkly'));
        expectSafe(renderCatalogueUnavailable({ kind: 'server', status: 503, message: words }));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe('the picker against hostile text', () => {
  it('options keep to Slack’s limits whatever the names and tags; the modal stays valid', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 150 }), fc.array(text, { maxLength: 30 }), text, (rows, groups, query) => {
        const catalogue = buildCatalogue(
          rows.map((r, i) => ({ ...r.check, groupId: i % 7 })),
          groups.map((name, i) => ({ id: i, name })),
          NOW,
        );
        for (const options of [
          tagOptions(catalogue.tags, query),
          groupOptions(catalogue.groups, query),
          checkOptions(searchChecks(catalogue.checks, query)),
          checkOptions(catalogue.checks),
        ]) {
          expect(options.length).toBeLessThanOrEqual(100);
          for (const o of options) {
            expect(o.text.text.length).toBeLessThanOrEqual(75);
            expect(o.text.text.length).toBeGreaterThan(0);
            expect((o.value ?? '').length).toBeLessThanOrEqual(150);
            expect((o.description?.text ?? '').length).toBeLessThanOrEqual(75);
            expect(hasLoneSurrogate(o.text.text)).toBe(false);
          }
        }
        const status = {
          kind: 'ready' as const,
          total: catalogue.checks.length,
          catalogueAt: NOW,
          stale: false,
          resolved: resolveChoice(catalogue, { tags: catalogue.tags.slice(0, 3).map((t) => t.tag), groupIds: [], checkIds: [] }),
        };
        expect(viewProblems(renderPicker({ channel: 'C0FAKE' }, status))).toEqual([]);
        expect(viewProblems(renderPicker({ channel: 'C0FAKE' }, { kind: 'unavailable', said: query }))).toEqual([]);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});
