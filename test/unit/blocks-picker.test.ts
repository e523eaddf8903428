import {
  MODAL_LIMITS,
  checkOptions,
  choiceErrors,
  choiceFromState,
  countLine,
  groupOptions,
  parseMetadata,
  renderPicker,
  tagOptions,
} from '../../src/blocks/picker';
import { buildCatalogue } from '../../src/catalogue/model';
import { resolveChoice } from '../../src/catalogue/choice';
import { viewProblems } from '../fakes/slack-views';

const NOW = Date.parse('2026-11-27T08:00:00Z');
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const catalogue = buildCatalogue(
  [
    { id: id(1), name: 'Login API', checkType: 'API', tags: ['prod', 'api'], activated: true, groupId: 7 },
    { id: id(2), name: 'Checkout', checkType: 'BROWSER', tags: ['prod'], activated: true },
    { id: id(3), name: 'Old', checkType: 'API', tags: ['api'], activated: false },
  ],
  [{ id: 7, name: 'Payments' }],
  NOW,
);
const ready = (tags: string[]) => ({
  kind: 'ready' as const,
  total: 3,
  catalogueAt: NOW,
  stale: false,
  resolved: resolveChoice(catalogue, { tags, groupIds: [], checkIds: [] }),
});

describe('renderPicker', () => {
  const view = renderPicker({ channel: 'C0FAKE' }, ready(['api']));

  it('matches its snapshot and stays within the modal limits the fake Slack enforces', () => {
    expect(view).toMatchSnapshot();
    expect(viewProblems(view)).toEqual([]);
    expect(parseMetadata(view.private_metadata)).toEqual({ channel: 'C0FAKE' });
  });

  it('says how many checks the choice matches, and what it leaves out', () => {
    expect(countLine(ready(['api']))).toBe('*1 check matches* (1 deactivated left out).');
    expect(countLine(ready(['prod']))).toBe('*2 checks match*.');
    expect(countLine(ready([]))).toBe('Choose tags, groups or checks: the account has 3 checks.');
    expect(countLine(ready(['nope']))).toBe('⚠️ *No check matches* this choice.');
    expect(countLine({ kind: 'unavailable', said: 'Bad Token' })).toContain('`Bad Token`');
  });

  it('refuses metadata that is not a channel of ours', () => {
    for (const bad of [undefined, '', '{', '{"channel":"<!here>"}', '{"channel":1}']) expect(parseMetadata(bad)).toBeUndefined();
  });
});

describe('options', () => {
  it('tags most used first, with counts; groups with counts; checks with type and tags', () => {
    expect(tagOptions(catalogue.tags, '').map((o) => [o.text.text, o.value])).toEqual([
      ['api (2 checks)', 'api'],
      ['prod (2 checks)', 'prod'],
    ]);
    expect(tagOptions(catalogue.tags, 'PR').map((o) => o.value)).toEqual(['prod']);
    expect(groupOptions(catalogue.groups, '').map((o) => o.text.text)).toEqual(['Payments (1 check)']);
    expect(checkOptions(catalogue.checks).map((o) => [o.text.text, o.description?.text])).toEqual([
      ['Login API', 'API · prod, api'],
      ['Checkout', 'Browser · prod'],
      ['Old (deactivated)', 'API · api'],
    ]);
  });

  it('keeps to 100 options of 75 characters, and leaves out tags too long to be a value', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ tag: `${'t'.repeat(100)}${i}`, checks: 1 }));
    const options = tagOptions([...many, { tag: 'x'.repeat(151), checks: 9 }], '');
    expect(options).toHaveLength(MODAL_LIMITS.options);
    expect(Math.max(...options.map((o) => o.text.text.length))).toBeLessThanOrEqual(MODAL_LIMITS.optionText);
    expect(Math.max(...options.map((o) => o.value!.length))).toBeLessThanOrEqual(MODAL_LIMITS.optionValue);
    expect(tagOptions([{ tag: 'x'.repeat(151), checks: 9 }], '')).toEqual([]);
  });
});

describe('choiceFromState and choiceErrors', () => {
  it('reads the inputs as Slack sends them', () => {
    const values = {
      picker_tags: { picker_tags: { selected_options: [{ value: 'prod' }, { value: 'api' }] } },
      picker_groups: { picker_groups: { selected_options: [{ value: '7' }, { value: 'x' }] } },
      picker_checks: { picker_checks: { selected_options: [{ value: id(1).toUpperCase() }] } },
      picker_refresh: { picker_refresh: { selected_options: [{ value: 'refresh' }] } },
    };
    expect(choiceFromState(values)).toEqual({ tags: ['prod', 'api'], groupIds: [7], checkIds: [id(1)], refreshCache: true });
    expect(choiceFromState(undefined)).toEqual({ tags: [], groupIds: [], checkIds: [], refreshCache: false });
  });

  it('errors for an empty choice, no match, and too many checks; none for a good choice', () => {
    expect(choiceErrors(ready([]))).toEqual({ picker_tags: 'Choose at least a tag, a group or a check.' });
    expect(choiceErrors(ready(['nope']))).toEqual({ picker_tags: 'No activated check matches this choice: nothing would run.' });
    expect(choiceErrors({ ...ready([]), resolved: { kind: 'too_many', count: 120 } })).toEqual({
      picker_groups: 'These groups and checks come to 120 checks; at most 100. Choose a tag instead.',
    });
    expect(choiceErrors(ready(['prod']))).toBeUndefined();
  });
});
