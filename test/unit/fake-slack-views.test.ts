import { LogLevel, WebClient } from '@slack/web-api';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';

const BOT = 'xoxb-test';
const input = (blockId: string, type = 'multi_external_select') => ({
  type: 'input',
  block_id: blockId,
  optional: true,
  label: { type: 'plain_text', text: 'Tags' },
  element: { type, action_id: blockId, placeholder: { type: 'plain_text', text: 'Type' } },
});
const modal = (over: Record<string, unknown> = {}) => ({
  type: 'modal' as const,
  callback_id: 'cb',
  private_metadata: '{"channel":"C1"}',
  title: { type: 'plain_text' as const, text: 'Pick' },
  submit: { type: 'plain_text' as const, text: 'Run' },
  blocks: [{ type: 'section', block_id: 'count', text: { type: 'mrkdwn', text: '3 checks' } }, input('tags')],
  ...over,
});

describe('fake Slack modals', () => {
  let fake: FakeSlack;
  let client: WebClient;
  let clock: number;

  beforeEach(async () => {
    clock = 1_700_000_000_000;
    fake = await startFakeSlack({ botToken: BOT, teamId: 'T1', now: () => clock });
    client = new WebClient(BOT, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  });
  afterEach(() => fake.close());

  it('opens a modal with a trigger_id younger than 3 s, once; an old or unknown one is refused', async () => {
    const fresh = fake.views.issueTriggerId('U7');
    clock += 2999;
    const opened = await client.views.open({ trigger_id: fresh, view: modal() });
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: 'cb', private_metadata: '{"channel":"C1"}', team_id: 'T1' });
    expect(fake.views.last()).toMatchObject({ id: opened.view!.id, user: 'U7' });
    await expect(client.views.open({ trigger_id: fresh, view: modal() })).rejects.toMatchObject({ data: { error: 'invalid_trigger_id' } });
    const old = fake.views.issueTriggerId();
    clock += 3001;
    await expect(client.views.open({ trigger_id: old, view: modal() })).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
    await expect(client.views.open({ trigger_id: 'made-up', view: modal() })).rejects.toMatchObject({ data: { error: 'invalid_trigger_id' } });
    expect(fake.views.views.size).toBe(1);
  });

  it.each([
    [
      '101 blocks',
      { blocks: Array.from({ length: 101 }, (_, i) => ({ type: 'section', block_id: `b${i}`, text: { type: 'mrkdwn', text: 'x' } })) },
      '/view/blocks]',
    ],
    ['private_metadata of 3,001 characters', { private_metadata: 'x'.repeat(3001) }, '/view/private_metadata]'],
    ['a title of 25 characters', { title: { type: 'plain_text', text: 'x'.repeat(25) } }, '/view/title/text]'],
    ['inputs without a submit button', { submit: undefined }, '/view/submit]'],
    [
      'a checkbox option of 76 characters',
      {
        blocks: [
          {
            ...input('o', 'checkboxes'),
            element: { type: 'checkboxes', action_id: 'o', options: [{ text: { type: 'plain_text', text: 'x'.repeat(76) }, value: 'v' }] },
          },
        ],
      },
      '/view/blocks/0/element/options/0/text/text]',
    ],
  ])('refuses %s', async (_what, over, pointer) => {
    await expect(client.views.open({ trigger_id: fake.views.issueTriggerId(), view: modal(over) })).rejects.toMatchObject({
      data: { error: 'invalid_arguments' },
    });
    expect(fake.rejections.at(-1)!.problems!.some((p) => p.endsWith(pointer))).toBe(true);
  });

  it('takes 100 blocks and 3,000 characters of metadata', async () => {
    const blocks = Array.from({ length: 99 }, (_, i) => ({ type: 'section', block_id: `b${i}`, text: { type: 'mrkdwn', text: 'x' } }));
    const view = modal({ blocks: [...blocks, input('tags')], private_metadata: 'x'.repeat(3000) });
    await expect(client.views.open({ trigger_id: fake.views.issueTriggerId(), view })).resolves.toMatchObject({ ok: true });
  });

  it('updates a view, refusing a stale hash and an unknown id', async () => {
    const opened = await client.views.open({ trigger_id: fake.views.issueTriggerId(), view: modal() });
    const id = opened.view!.id!;
    const hash = opened.view!.hash!;
    const updated = await client.views.update({ view_id: id, hash, view: modal({ callback_id: 'cb2' }) });
    expect(updated.view!.hash).not.toBe(hash);
    await expect(client.views.update({ view_id: id, hash, view: modal() })).rejects.toMatchObject({ data: { error: 'hash_conflict' } });
    await expect(client.views.update({ view_id: 'V404', view: modal() })).rejects.toMatchObject({ data: { error: 'not_found' } });
    expect(fake.views.views.get(id)!.versions).toHaveLength(2);
  });

  it('acts on the answer to a submission as Slack does: nothing closes the modal, errors keep it, update replaces it', async () => {
    const open = async () => (await client.views.open({ trigger_id: fake.views.issueTriggerId('U7'), view: modal() })).view!.id!;
    const closed = await open();
    expect(fake.views.answered(closed, undefined)).toEqual([]);
    await expect(client.views.update({ view_id: closed, view: modal() })).rejects.toMatchObject({ data: { error: 'not_found' } });

    const kept = await open();
    expect(fake.views.answered(kept, { response_action: 'errors', errors: { tags: 'Choose one' } })).toEqual([]);
    expect((await client.views.update({ view_id: kept, view: modal() })).ok).toBe(true);

    const updated = await open();
    const hash = fake.views.views.get(updated)!.hash;
    const next = modal({ submit: undefined, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Posting…' } }] });
    expect(fake.views.answered(updated, { response_action: 'update', view: next })).toEqual([]);
    expect(fake.views.views.get(updated)).toMatchObject({ view: next });
    expect(fake.views.views.get(updated)!.hash).not.toBe(hash);
    expect(fake.views.answered(updated, { response_action: 'update', view: modal({ blocks: 'none' }) })).not.toEqual([]);
    expect(fake.views.answered(updated, { response_action: 'shout' })).toEqual(['unknown response_action shout']);

    fake.views.close(updated);
    await expect(client.views.update({ view_id: updated, view: modal() })).rejects.toMatchObject({ data: { error: 'not_found' } });
  });

  it('builds block_suggestion, block_actions and view_submission payloads with the view state, as Slack sends them', async () => {
    const opened = await client.views.open({ trigger_id: fake.views.issueTriggerId('U7'), view: modal() });
    const id = opened.view!.id!;
    expect(fake.views.blockSuggestion(id, 'tags', 'pro')).toMatchObject({
      type: 'block_suggestion',
      action_id: 'tags',
      block_id: 'tags',
      value: 'pro',
      user: { id: 'U7' },
      container: { type: 'view', view_id: id },
      view: { id, private_metadata: '{"channel":"C1"}' },
    });
    const chosen = [{ text: { type: 'plain_text' as const, text: 'prod (3 checks)' }, value: 'prod' }];
    const change = fake.views.select(id, 'tags', chosen);
    expect(change).toMatchObject({
      type: 'block_actions',
      actions: [{ type: 'multi_external_select', action_id: 'tags', block_id: 'tags', selected_options: chosen }],
      view: { id, hash: opened.view!.hash, state: { values: { tags: { tags: { type: 'multi_external_select', selected_options: chosen } } } } },
    });
    expect(fake.views.submission(id)).toMatchObject({
      type: 'view_submission',
      view: { id, callback_id: 'cb', state: { values: { tags: { tags: { selected_options: chosen } } } } },
    });
  });

  it('judges answers to block_suggestion: at most 100 options, text 75, value 150', () => {
    const o = (text: string, value = 'v') => ({ text: { type: 'plain_text', text }, value });
    expect(fake.views.optionsProblems({ options: Array.from({ length: 100 }, (_, i) => o(`t${i}`)) })).toEqual([]);
    expect(fake.views.optionsProblems({ options: Array.from({ length: 101 }, (_, i) => o(`t${i}`)) })).toEqual([
      'must be less than 101 items [json-pointer:/options]',
    ]);
    expect(fake.views.optionsProblems({ options: [o('x'.repeat(76))] })).toEqual(['must be less than 76 characters [json-pointer:/options/0/text/text]']);
    expect(fake.views.optionsProblems({ options: [o('x', 'v'.repeat(151))] })).toEqual(['must be less than 151 characters [json-pointer:/options/0/value]']);
    expect(fake.views.optionsProblems({})).toEqual(['the answer must have options or option_groups']);
  });
});
