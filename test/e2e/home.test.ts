/**
 * The Home tab, end to end over HTTP: `app_home_opened` publishes a person's tab (their runs, their
 * pins, what is failing now), a pin made from a run message's "…" menu or typed into the tab shows on
 * the next publish, and a pin's Run starts the run in the pin's channel, through the same guard.
 */
import type { FakeMessage } from '../fakes/slack';
import type { FakeView } from '../fakes/slack-views';
import { blockActionsPayload, messageText, startHarness, waitFor, type Harness } from './harness';

const ALICE = 'U0ALICE';

/** The block_actions payload of choosing `value` in the "…" menu of a run message. */
function chooseInMenu(h: Harness, message: FakeMessage, value: string, user = ALICE) {
  const block = (message.blocks as Array<{ block_id?: string; elements?: Array<Record<string, unknown>> }>).find((b) =>
    b.elements?.some((e) => e.action_id === 'run_more'),
  );
  const menu = block?.elements?.find((e) => e.action_id === 'run_more') as { options: Array<{ text: unknown; value: string }> } | undefined;
  const option = menu?.options.find((o) => o.value === value);
  if (!block || !option) throw new Error(`no “…” option ${value} on message ${message.ts}`);
  const responseId = `menu-${Math.random()}`;
  const base = blockActionsPayload(
    message,
    { type: 'button', action_id: 'run_more', text: { type: 'plain_text', text: '' } },
    block.block_id ?? '',
    user,
    h.slack.responseUrl(responseId),
  );
  return {
    responseId,
    payload: {
      ...base,
      actions: [{ type: 'overflow', action_id: 'run_more', block_id: block.block_id, selected_option: option, action_ts: `${Date.now() / 1000}` }],
    },
  };
}

function homeText(view: FakeView | undefined): string {
  return view ? messageText({ blocks: view.view.blocks as unknown[] }) : '';
}

/** The buttons of the tab as it is now, by their text. */
function homeButtons(view: FakeView): Array<{ action_id: string; text: string; value?: string }> {
  const found: Array<{ action_id: string; text: string; value?: string }> = [];
  for (const block of view.view.blocks as Array<Record<string, unknown>>) {
    for (const el of [block.accessory, ...((block.elements as unknown[]) ?? [])] as Array<Record<string, unknown> | undefined>) {
      if (el?.type === 'button')
        found.push({ action_id: el.action_id as string, text: (el.text as { text: string }).text, value: el.value as string | undefined });
    }
  }
  return found;
}

async function openHome(h: Harness, user = ALICE): Promise<FakeView> {
  const before = h.slack.views.home(user)?.versions.length ?? 0;
  expect((await h.event(h.slack.views.homeOpened(user))).status).toBe(200);
  return waitFor(
    () => {
      const view = h.slack.views.home(user);
      return view && view.versions.length > before ? view : undefined;
    },
    10_000,
    'the Home tab to be published',
  );
}

/** Waits for the tab to be published again with text matching `pattern`. */
function publishedWith(h: Harness, pattern: RegExp, user = ALICE): Promise<FakeView> {
  return waitFor(
    () => {
      const view = h.slack.views.home(user);
      return view && pattern.test(homeText(view)) ? view : undefined;
    },
    15_000,
    `the Home tab to show ${pattern}`,
  );
}

describe('the Home tab, end to end over HTTP', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  test('a person who ran `public` opens the tab: the run is listed with Run again, and what is failing now is counted', async () => {
    h.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 200 });
    h.checkly.addCheck({ name: 'Billing API', tags: ['billing'], state: 'failing' });
    await h.command('run public');
    const message = await waitFor(() => h.runMessages().find((m) => /1 passed/.test(messageText(m))), 10_000, 'the run to end');

    const home = await openHome(h);
    expect(home.view.type).toBe('home');
    const text = homeText(home);
    expect(text).toContain('`public` in <#C0FAKE>');
    expect(text).toContain(`https://fake.slack.com/archives/C0FAKE/p${message.ts.replace('.', '')}`);
    expect(text).toContain('1 check failing or degraded');
    expect(text).toContain('Billing API');
    expect(text).toContain('✅');
    expect(
      homeButtons(home)
        .filter((b) => b.text === 'Run again')
        .map((b) => b.action_id),
    ).toEqual(['home_run_again:0']);
    // Someone who never ran anything sees an empty list, not someone else's runs.
    expect(homeText(await openHome(h, 'U0BOB'))).not.toContain('`public` in');
  });

  test('a pin from a run message’s “…” shows on the next publish; its Run starts the run in the pin’s channel, and the tab refreshes when it ends', async () => {
    h.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 200 });
    await h.command('run public');
    const message = await waitFor(() => h.runMessages().find((m) => /1 passed/.test(messageText(m))), 10_000, 'the run to end');
    await openHome(h);

    const runId = (message.blocks as Array<{ elements?: Array<{ action_id?: string; options?: Array<{ value: string }> }> }>)
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'run_more')
      ?.options?.[0]?.value.slice('pin:'.length);
    const { payload, responseId } = chooseInMenu(h, message, `pin:${runId}`);
    expect((await h.action(payload)).status).toBe(200);
    const answer = await waitFor(() => h.slack.responsePosts.find((p) => p.id === responseId), 5000, 'the answer to the pin');
    expect((answer.body as { text: string }).text).toBe('📌 Pinned `public` in <#C0FAKE>.');
    const pinned = await publishedWith(h, /📌 Pinned runs\*, each in its channel/);
    expect(homeText(pinned)).toContain('`public` in <#C0FAKE>');

    // Pin the same target in another channel, typed into the tab, and run that pin.
    h.slack.views.enter(pinned.id, 'home_pin_target', { type: 'plain_text_input', value: 'public' });
    h.slack.views.enter(pinned.id, 'home_pin_channel', { type: 'conversations_select', selected_conversation: 'C0OPS' });
    await h.action(h.slack.views.click(pinned.id, 'home_pin'));
    const two = await publishedWith(h, /Pinned `public` in <#C0OPS>\./);
    const runOps = homeButtons(two).filter((b) => b.text === 'Run')[1]!;
    expect(runOps.action_id).toBe('home_run_pin:1');
    await h.action(h.slack.views.click(two.id, runOps.action_id));

    await publishedWith(h, /Started `public` in <#C0OPS>/);
    const inOps = await waitFor(() => h.runMessages('C0OPS').find((m) => /1 passed/.test(messageText(m))), 10_000, 'the run in the pin’s channel');
    expect(messageText(inOps)).toContain('Triggered by <@U0ALICE>');
    expect(h.runMessages('C0OPS')).toHaveLength(1);
    const triggers = h.checkly.requests.filter((r) => r.op === 'trigger');
    expect(triggers.at(-1)?.body).toEqual({ target: { matchTags: [['public']] }, refreshCache: false });
    // The run ended: the tab was published again, listing it first, final.
    const refreshed = await publishedWith(h, /✅ `public` in <#C0OPS>/);
    expect(homeText(refreshed).indexOf('in <#C0OPS> ·')).toBeLessThan(homeText(refreshed).indexOf('in <#C0FAKE> ·'));

    // Unpin from the tab.
    await h.action(h.slack.views.click(refreshed.id, 'home_unpin:0'));
    const after = await publishedWith(h, /Unpinned `public` in <#C0FAKE>\./);
    expect(homeButtons(after).filter((b) => b.text === 'Run')).toHaveLength(1);
  });

  test('what cannot be pinned is said on top, and nothing is pinned', async () => {
    const home = await openHome(h);
    h.slack.views.enter(home.id, 'home_pin_target', { type: 'plain_text_input', value: '--check nope' });
    h.slack.views.enter(home.id, 'home_pin_channel', { type: 'conversations_select', selected_conversation: 'C0OPS' });
    await h.action(h.slack.views.click(home.id, 'home_pin'));
    const refused = await publishedWith(h, /Nothing was pinned/);
    expect(homeText(refused)).toContain('None yet: pin a target below');
  });
});

describe('a run from the Home tab keeps to the same access rules', () => {
  test('a pin whose channel is outside ALLOWED_CHANNELS: refused on the tab, audited, nothing triggered', async () => {
    const h = await startHarness({ env: { ALLOWED_CHANNELS: 'C0FAKE' } });
    try {
      h.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 200 });
      const home = await openHome(h);
      h.slack.views.enter(home.id, 'home_pin_target', { type: 'plain_text_input', value: 'public' });
      h.slack.views.enter(home.id, 'home_pin_channel', { type: 'conversations_select', selected_conversation: 'C0OPS' });
      await h.action(h.slack.views.click(home.id, 'home_pin'));
      const pinned = await publishedWith(h, /Pinned `public` in <#C0OPS>\./);
      await h.action(h.slack.views.click(pinned.id, 'home_run_pin:0'));
      const refused = await publishedWith(h, /⛔ The Checkly app does not run checks in <#C0OPS>/);
      expect(homeText(refused)).toContain('It runs checks in <#C0FAKE>');
      expect(h.checkly.requests.filter((r) => r.op === 'trigger')).toHaveLength(0);
      const audit = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
      expect(audit).toEqual([expect.objectContaining({ outcome: 'refused', reason: 'channel', channelId: 'C0OPS', via: 'button' })]);
    } finally {
      await h.close();
    }
  });
});
