import type { FakeCheck } from '../fakes/checkly';
import type { FakeView } from '../fakes/slack-views';
import { SECRETS, findButton, messageText, startHarness, waitFor, blockActionsPayload, type Harness } from './harness';
import { sleep } from '../helpers';

/** The picker's inputs, as the app names them (src/blocks/picker.ts): what a person's client sends back. */
const TAGS = 'picker_tags';
const GROUPS = 'picker_groups';
const CHECKS = 'picker_checks';

function triggers(h: Harness) {
  return h.checkly.requests.filter((r) => r.op === 'trigger');
}

function countLine(view: FakeView): string {
  const blocks = view.view.blocks as Array<{ block_id?: string; text?: { text: string } }>;
  return blocks.find((b) => b.block_id === 'picker_count')?.text?.text ?? '';
}

async function openPicker(h: Harness, text = '', fields: Record<string, string> = {}): Promise<FakeView> {
  const before = h.slack.views.last()?.id;
  const ack = await h.command(text, fields);
  expect(ack.status).toBe(200);
  return waitFor(
    () => {
      const v = h.slack.views.last();
      return v && v.id !== before ? v : undefined;
    },
    5000,
    'the modal',
  );
}

async function suggest(h: Harness, view: FakeView, actionId: string, value: string) {
  const res = await h.action(h.slack.views.blockSuggestion(view.id, actionId, value));
  expect(res.status).toBe(200);
  const answer = JSON.parse(res.body) as { options: Array<{ text: { text: string }; value: string; description?: { text: string } }> };
  expect(h.slack.views.optionsProblems(answer)).toEqual([]);
  return answer.options;
}

/** Chooses options (as given by the type-ahead) in an input, and waits for the count line to follow. */
async function choose(h: Harness, view: FakeView, blockId: string, options: Array<{ text: { text: string }; value: string }>, expected: RegExp) {
  const chosen = options.map((o) => ({ text: { type: 'plain_text' as const, text: o.text.text }, value: o.value }));
  expect((await h.action(h.slack.views.select(view.id, blockId, chosen))).status).toBe(200);
  await waitFor(() => expected.test(countLine(h.slack.views.views.get(view.id)!)), 5000, `the count line to say ${expected}`);
}

/** The form opened in `channel`, the catalogue in, the tag `prod` chosen (3 checks of seed's). */
async function prodChosen(h: Harness, channel = 'C0FAKE'): Promise<FakeView> {
  const view = await openPicker(h, '', { channel_id: channel });
  await waitFor(() => /5 checks/.test(countLine(h.slack.views.views.get(view.id)!)), 5000, 'the catalogue');
  await choose(h, view, TAGS, await suggest(h, view, TAGS, 'prod'), /3 checks match/);
  return view;
}

async function submit(h: Harness, view: FakeView): Promise<{ response_action?: string; errors?: Record<string, string> } | undefined> {
  const res = await h.action(h.slack.views.submission(view.id));
  expect(res.status).toBe(200);
  return res.body === '' ? undefined : (JSON.parse(res.body) as { response_action?: string; errors?: Record<string, string> });
}

/** Runs a listing command and returns its ephemeral answer (posted to the response_url). */
async function listing(h: Harness, text: string, channel = 'C0FAKE') {
  const id = `list-${Math.random().toString(36).slice(2)}`;
  const ack = await h.command(text, { response_url: h.slack.responseUrl(id), channel_id: channel });
  expect(ack.status).toBe(200);
  if (ack.body !== '') return { id, body: JSON.parse(ack.body) as { text: string; blocks: unknown[]; response_type: string } };
  const post = await waitFor(() => h.slack.responsePosts.find((p) => p.id === id), 8000, `the answer to ${text}`);
  return { id, body: post.body as { text: string; blocks: unknown[]; response_type: string } };
}

/** Clicks a button of an ephemeral answer, as Slack sends it. */
async function clickEphemeral(h: Harness, answer: { blocks: unknown[] }, actionId: string | RegExp, channel = 'C0FAKE') {
  const found = findButton(answer.blocks, actionId);
  if (!found) throw new Error(`no button ${String(actionId)}`);
  const responseId = `click-${Math.random().toString(36).slice(2)}`;
  const message = { channel, ts: '1700000000.000001', blocks: answer.blocks, versions: [] };
  const payload = blockActionsPayload(message, found.button, found.blockId, 'U0ALICE', h.slack.responseUrl(responseId));
  expect((await h.action({ ...payload, container: { ...payload.container, is_ephemeral: true } })).status).toBe(200);
  return responseId;
}

function seed(h: Harness): { login: FakeCheck; checkout: FakeCheck; search: FakeCheck; old: FakeCheck } {
  const payments = h.checkly.addGroup({ name: 'Payments' });
  const login = h.checkly.addCheck({ name: 'Login API', tags: ['prod', 'api'], durationMs: 300 });
  const checkout = h.checkly.addCheck({
    name: 'Checkout flow',
    tags: ['prod', 'web'],
    checkType: 'BROWSER',
    groupId: payments.id,
    durationMs: 300,
    state: 'failing',
    stateSince: Date.now() - 3_600_000,
  });
  const search = h.checkly.addCheck({ name: 'Search API', tags: ['prod', 'api'], durationMs: 300, state: 'degraded' });
  const old = h.checkly.addCheck({ name: 'Legacy login', tags: ['api'], activated: false });
  h.checkly.addCheck({ name: 'Staging home', tags: ['staging', 'web'], groupId: payments.id, durationMs: 300 });
  return { login, checkout, search, old };
}

describe('finding checks, end to end over HTTP', () => {
  let h: Harness;

  afterEach(async () => {
    await h.close();
  });

  describe('with the default settings', () => {
    beforeEach(async () => {
      h = await startHarness();
    });

    test('the modal opens at once, fills in from Checkly, and its type-ahead answers with counts', async () => {
      seed(h);
      const view = await openPicker(h);
      // Cold: opened before Checkly answered, then updated.
      expect(h.slack.callsTo('views.open')[0]!.status).toBe(200);
      await waitFor(() => /5 checks/.test(countLine(h.slack.views.views.get(view.id)!)), 5000, 'the catalogue in the modal');
      expect(JSON.parse(String(view.view.private_metadata))).toEqual({ channel: 'C0FAKE' });

      const tags = await suggest(h, view, TAGS, '');
      expect(tags.map((o) => [o.text.text, o.value])).toEqual([
        ['api (3 checks)', 'api'],
        ['prod (3 checks)', 'prod'],
        ['web (2 checks)', 'web'],
        ['staging (1 check)', 'staging'],
      ]);
      expect((await suggest(h, view, GROUPS, 'pay')).map((o) => o.text.text)).toEqual(['Payments (2 checks)']);
      const checks = await suggest(h, view, CHECKS, 'login');
      // Best first: a name that starts with the words before one that only contains them.
      expect(checks.map((o) => o.text.text)).toEqual(['Login API', 'Legacy login (deactivated)']);
      expect(checks[0]!.description!.text).toBe('API · prod, api');
      // Names and tags both: "api" finds the API checks by name and the tagged ones.
      expect((await suggest(h, view, CHECKS, 'prod api')).map((o) => o.text.text)).toEqual(['Login API', 'Search API']);
      // A search Slack should never send: too long, or with control characters. Nothing to offer.
      expect(await suggest(h, view, CHECKS, 'a'.repeat(10_000))).toEqual([]);
      expect(await suggest(h, view, CHECKS, 'log\u0000in')).toEqual([]);
      expect(triggers(h)).toHaveLength(0);
    });

    test('the count follows the choice, and Run triggers exactly the chosen matchTags and checkId in the channel', async () => {
      const { login, search } = seed(h);
      const view = await openPicker(h, 'run');
      await waitFor(() => /5 checks/.test(countLine(h.slack.views.views.get(view.id)!)), 5000, 'the catalogue');
      const tags = await suggest(h, view, TAGS, '');
      await choose(
        h,
        view,
        TAGS,
        tags.filter((o) => o.value === 'api'),
        /2 checks match\* \(1 deactivated left out\)/,
      );
      await choose(
        h,
        view,
        TAGS,
        tags.filter((o) => o.value === 'api' || o.value === 'prod'),
        /\*2 checks match\*\./,
      );
      const picked = (await suggest(h, view, CHECKS, 'login api')).slice(0, 1);
      expect(picked.map((o) => o.value)).toEqual([login.id]);
      await choose(h, view, CHECKS, picked, /\*1 check matches\*/);

      expect(await submit(h, view)).toBeUndefined();
      await waitFor(() => triggers(h).length === 1, 5000, 'the trigger');
      expect(triggers(h)[0]!.body).toEqual({ target: { matchTags: [['api', 'prod']], checkId: [login.id] }, refreshCache: false });
      const run = await waitFor(() => h.runMessages('C0FAKE')[0], 5000, 'the run message');
      await waitFor(() => /1 passed/.test(messageText(h.slack.messages.get(`C0FAKE:${run.ts}`)!)), 10_000, 'the run to finish');
      expect(messageText(h.slack.messages.get(`C0FAKE:${run.ts}`)!)).toContain('Login API');
      expect(search.id).not.toBe(login.id);
    });

    test('a group becomes its checks; refresh cache is passed on', async () => {
      const { checkout } = seed(h);
      const view = await openPicker(h);
      await waitFor(() => /5 checks/.test(countLine(h.slack.views.views.get(view.id)!)), 5000, 'the catalogue');
      await choose(h, view, GROUPS, await suggest(h, view, GROUPS, ''), /2 checks match/);
      await choose(h, view, TAGS, await suggest(h, view, TAGS, 'prod'), /1 check matches/);
      h.slack.views.select(view.id, 'picker_refresh', [{ text: { type: 'plain_text', text: 'refresh' }, value: 'refresh' }]);
      expect(await submit(h, view)).toBeUndefined();
      await waitFor(() => triggers(h).length === 1, 5000, 'the trigger');
      const body = triggers(h)[0]!.body as { target: { matchTags: string[][]; checkId: string[] }; refreshCache: boolean };
      expect(body.target.matchTags).toEqual([['prod']]);
      // The group's checks that carry the tag: Checkly intersects checkId with matchTags anyway.
      expect(body.target.checkId).toEqual([checkout.id]);
      expect(body.refreshCache).toBe(true);
    });

    test('Reload the list reads the account again: a check created after the modal opened can be found', async () => {
      seed(h);
      const view = await openPicker(h);
      await waitFor(() => /5 checks/.test(countLine(h.slack.views.views.get(view.id)!)), 5000, 'the catalogue');
      const fresh = h.checkly.addCheck({ name: 'Brand new check', tags: ['new'] });
      expect(await suggest(h, view, CHECKS, 'brand new')).toEqual([]);
      expect((await h.action(h.slack.views.click(view.id, 'picker_reload'))).status).toBe(200);
      await waitFor(() => /6 checks/.test(countLine(h.slack.views.views.get(view.id)!)), 5000, 'the reloaded catalogue');
      expect((await suggest(h, view, CHECKS, 'brand new')).map((o) => o.value)).toEqual([fresh.id]);
    });

    test('a choice that matches nothing, or nothing chosen, is answered inside the modal and triggers nothing', async () => {
      seed(h);
      const view = await openPicker(h);
      await waitFor(() => /5 checks/.test(countLine(h.slack.views.views.get(view.id)!)), 5000, 'the catalogue');
      expect(await submit(h, view)).toEqual({ response_action: 'errors', errors: { picker_tags: 'Choose at least a tag, a group or a check.' } });
      const tags = await suggest(h, view, TAGS, '');
      await choose(
        h,
        view,
        TAGS,
        tags.filter((o) => o.value === 'staging' || o.value === 'api'),
        /No check matches/,
      );
      expect(await submit(h, view)).toEqual({
        response_action: 'errors',
        errors: { picker_tags: 'No activated check matches this choice: nothing would run.' },
      });
      await sleep(200);
      expect(triggers(h)).toHaveLength(0);
      expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    });

    test('a submission for a channel the bot cannot post in is an error inside the modal; nothing is triggered', async () => {
      seed(h);
      h.slack.setChannelError('C0PRIVATE', 'channel_not_found');
      const view = await openPicker(h, '', { channel_id: 'C0PRIVATE' });
      await waitFor(() => /5 checks/.test(countLine(h.slack.views.views.get(view.id)!)), 5000, 'the catalogue');
      await choose(h, view, TAGS, await suggest(h, view, TAGS, 'prod'), /3 checks match/);
      const answer = await submit(h, view);
      expect(answer?.response_action).toBe('errors');
      expect(answer?.errors?.picker_tags).toContain('/invite @Checkly');
      expect(answer?.errors?.picker_tags).toContain('Nothing was triggered');
      await sleep(300);
      expect(triggers(h)).toHaveLength(0);
    });

    test('Slack slow to take the run’s post: the form stays open saying so, then says the run is posted; a plain answer closes it', async () => {
      seed(h);
      const view = await prodChosen(h);
      h.slack.failNext('chat.postMessage', { delayMs: 2_500 });
      const answer = await submit(h, view);
      expect(answer?.response_action).toBe('update');
      const open = h.slack.views.views.get(view.id)!;
      expect(open.closed).toBeUndefined();
      expect(JSON.stringify(open.view)).toContain('Slack is slow to answer');
      await waitFor(() => /The run is posted in <#C0FAKE>/.test(JSON.stringify(h.slack.views.views.get(view.id)!.view)), 10_000, 'the form told');
      await waitFor(() => triggers(h).length === 1, 5000, 'the trigger');
      expect(h.runMessages('C0FAKE')).toHaveLength(1);

      // Slack quick again: the answer closes the form, as before.
      const next = await prodChosen(h);
      expect(await submit(h, next)).toBeUndefined();
      expect(h.slack.views.views.get(next.id)!.closed).toBe(true);
    });

    test('Slack slow, then refusing the channel: the open form says why and that nothing was triggered', async () => {
      seed(h);
      h.slack.setMembership('G0SECRET', { member: false, private: true });
      const view = await prodChosen(h, 'G0SECRET');
      h.slack.failNext('chat.postMessage', { delayMs: 2_500 });
      expect((await submit(h, view))?.response_action).toBe('update');
      const told = await waitFor(
        () => (/Nothing was triggered/.test(JSON.stringify(h.slack.views.views.get(view.id)!.view)) ? h.slack.views.views.get(view.id) : undefined),
        10_000,
        'the form told',
      );
      expect(JSON.stringify(told.view)).toContain('/invite @Checkly');
      expect(triggers(h)).toHaveLength(0);
    });

    test('Slack slow, and the person closed the form meanwhile: the run goes on, and the app only logs that it could not tell the form', async () => {
      seed(h);
      const view = await prodChosen(h);
      h.slack.failNext('chat.postMessage', { delayMs: 2_500 });
      expect((await submit(h, view))?.response_action).toBe('update');
      h.slack.views.close(view.id);
      await waitFor(() => triggers(h).length === 1, 10_000, 'the trigger');
      await waitFor(() => h.logs.some((l) => l.includes('could not tell the picker form how its run went')), 5000, 'the log line');
      expect(h.slack.rejections.filter((r) => r.method === 'views.update').map((r) => r.error)).toEqual(['not_found']);
      expect(h.runMessages('C0FAKE')).toHaveLength(1);
    });

    test('an expired trigger_id: the requester is told to type the command again', async () => {
      seed(h);
      const trigger = h.slack.views.issueTriggerId();
      await sleep(3100);
      const id = 'expired';
      await h.command('', { trigger_id: trigger, response_url: h.slack.responseUrl(id) });
      const note = await waitFor(() => h.slack.responsePosts.find((p) => p.id === id), 5000, 'the note');
      expect(JSON.stringify(note.body)).toContain('took too long to open');
      expect(h.slack.callsTo('views.open')[0]!.error).toBe('expired_trigger_id');
      expect(h.slack.views.views.size).toBe(0);
    });

    test('/checkly checks lists the matches with their state and Run buttons; a click runs that check in the channel', async () => {
      const { login, search } = seed(h);
      const { body } = await listing(h, 'checks api');
      expect(body.response_type).toBe('ephemeral');
      const text = messageText(body);
      expect(text).toContain('3 checks match `api`');
      expect(text.indexOf('Login API')).toBeLessThan(text.indexOf('Legacy login'));
      expect(text).toContain('⚠️ degraded');
      expect(text).toContain('*Login API* · API · ✅ passing · last run in eu-west-1');
      expect(text).toContain('⏸ deactivated');
      // A deactivated check has no Run button: Checkly would not run it.
      expect(findButton(body.blocks, /^find_run:2$/)).toBeUndefined();
      expect(findButton(body.blocks, 'find_run_all')!.button.text.text).toBe('Run these (2)');

      await clickEphemeral(h, body, /^find_run:0$/);
      await waitFor(() => triggers(h).length === 1, 5000, 'the trigger');
      expect(triggers(h)[0]!.body).toEqual({ target: { checkId: [login.id] }, refreshCache: false });
      await waitFor(() => h.runMessages('C0FAKE')[0], 5000, 'the run message in the channel');

      await clickEphemeral(h, body, 'find_run_all');
      await waitFor(() => triggers(h).length === 2, 5000, 'the second trigger');
      expect((triggers(h)[1]!.body as { target: { checkId: string[] } }).target.checkId).toEqual([login.id, search.id]);
    });

    test('/checkly failing lists what fails now, worst first, with since when; Run these runs them', async () => {
      const { checkout, search } = seed(h);
      const { body } = await listing(h, 'failing');
      const text = messageText(body);
      expect(text).toContain('1 failing, 1 degraded');
      expect(text.indexOf('Checkout flow')).toBeLessThan(text.indexOf('Search API'));
      // Since the alert that took it there (an hour ago), not the status's updated_at (its last result, minutes ago).
      expect(text).toMatch(/❌ failing since <!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+> \(1h ago\)/);
      expect(text).not.toContain('Login API');
      expect(h.checkly.requests.filter((r) => r.op === 'statuses')).toHaveLength(1);
      expect(h.checkly.requests.filter((r) => r.op === 'alerts')).toHaveLength(1);
      await clickEphemeral(h, body, 'find_run_all');
      await waitFor(() => triggers(h).length === 1, 5000, 'the trigger');
      expect((triggers(h)[0]!.body as { target: { checkId: string[] } }).target.checkId).toEqual([checkout.id, search.id]);
    });

    test('/checkly failing: a check failing for longer than the alerts Checkly keeps (6 h) is listed without a since (issue 20)', async () => {
      h.checkly.addCheck({ name: 'Legacy API', tags: ['old'], durationMs: 300, state: 'failing', stateSince: Date.now() - 8 * 3_600_000 });
      const { body } = await listing(h, 'failing');
      const text = messageText(body);
      expect(text).toContain('Legacy API');
      expect(text).toMatch(/❌ failing(?! since)/);
      expect(text).not.toContain('since');
    });

    test('bad searches are refused clearly and cost no request', async () => {
      seed(h);
      for (const words of ['a'.repeat(10_000), 'log\u0007in']) {
        const { body } = await listing(h, `checks ${words}`);
        expect(body.response_type).toBe('ephemeral');
        expect(body.text).toMatch(/The search (is 10000 characters long; the limit is 100|.* contains a control character)/);
      }
      expect(h.checkly.requests).toHaveLength(0);
    });

    test('a check deleted between the search and the click gets a clear note; nothing is triggered', async () => {
      const { login } = seed(h);
      const { body } = await listing(h, 'checks login api');
      h.checkly.removeCheck(login.id);
      const responseId = await clickEphemeral(h, body, /^find_run:0$/);
      const note = await waitFor(() => h.slack.responsePosts.find((p) => p.id === responseId), 5000, 'the note');
      expect(JSON.stringify(note.body)).toContain('This check no longer exists in Checkly');
      expect(JSON.stringify(note.body)).toContain('Login API');
      expect(triggers(h)).toHaveLength(0);
      expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    });

    test('Checkly unavailable with nothing cached: a clear note with what Checkly said', async () => {
      seed(h);
      h.checkly.failNext('checks', 401, { times: 5, message: 'Bad Token' });
      const { body } = await listing(h, 'checks login');
      expect(messageText(body)).toContain('Could not read the checks from Checkly, and none are cached yet');
      expect(messageText(body)).toContain('Checkly said: `Bad Token` (HTTP 401)');
    });

    test('a check name that quotes the app’s Checkly key never puts the key in Slack', async () => {
      h.checkly.addCheck({ name: `Calls Checkly with ${SECRETS.checklyApiKey}`, tags: ['meta'] });
      const { body } = await listing(h, 'checks calls checkly');
      expect(messageText(body)).toContain('Calls Checkly with [REDACTED]');
      const view = await openPicker(h);
      await waitFor(() => /1 check\b/.test(countLine(h.slack.views.views.get(view.id)!)), 5000, 'the catalogue');
      const options = await suggest(h, view, CHECKS, 'calls');
      expect(options[0]!.text.text).toContain('[REDACTED]');
      const sent = JSON.stringify([h.slack.calls.map((c) => c.args), h.slack.responsePosts]);
      expect(sent).not.toContain(SECRETS.checklyApiKey);
    });

    test('fifty commands at once cost one catalogue fetch', async () => {
      for (let i = 0; i < 150; i++) h.checkly.addCheck({ name: `Check ${i}`, tags: ['bulk'] });
      h.checkly.setDelay('checks', 200);
      const answers = await Promise.all(Array.from({ length: 50 }, () => listing(h, 'checks check 1')));
      expect(answers.every((a) => /checks match/.test(a.body.text))).toBe(true);
      const pages = h.checkly.requests.filter((r) => r.op === 'checks').map((r) => r.query.page);
      expect(pages.filter((p) => p === '1')).toHaveLength(1);
      expect(h.checkly.requests.filter((r) => r.op === 'groups')).toHaveLength(1);
    });
  });

  describe('with access rules', () => {
    beforeEach(async () => {
      h = await startHarness({ env: { ALLOWED_USERS: 'U0ALICE', ALLOWED_CHANNELS: 'C0FAKE,C0OTHER' } });
    });

    test('who may not run gets no modal; a Run button follows the rules too; the lists only read', async () => {
      seed(h);
      const ack = await h.command('', { user_id: 'U0MALLORY' });
      expect(JSON.parse(ack.body)).toMatchObject({ response_type: 'ephemeral' });
      expect(h.slack.callsTo('views.open')).toHaveLength(0);
      // Listing only reads: allowed in an allowed channel, for anyone.
      const { body } = await listing(h, 'checks login api');
      expect(messageText(body)).toContain('Login API');
      const found = findButton(body.blocks, /^find_run:0$/)!;
      const payload = blockActionsPayload(
        { channel: 'C0FAKE', ts: '1.1', blocks: body.blocks, versions: [] },
        found.button,
        found.blockId,
        'U0MALLORY',
        h.slack.responseUrl('refused-click'),
      );
      await h.action(payload);
      const note = await waitFor(() => h.slack.responsePosts.find((p) => p.id === 'refused-click'), 5000, 'the refusal');
      expect(JSON.stringify(note.body)).toContain('not on the list of people who may run Checkly checks');
      expect(triggers(h)).toHaveLength(0);
      // A channel outside the allow-list: even the lists are refused.
      const requests = h.checkly.requests.length;
      const other = await h.command('failing', { channel_id: 'C0NOPE' });
      expect(JSON.parse(other.body)).toMatchObject({ response_type: 'ephemeral' });
      await sleep(200);
      expect(h.checkly.requests).toHaveLength(requests);
    });

    test('a submission for a channel outside the allow-list is refused inside the modal', async () => {
      seed(h);
      // The modal was opened in an allowed channel; its metadata is all the submission knows.
      const view = await openPicker(h);
      await waitFor(() => /5 checks/.test(countLine(h.slack.views.views.get(view.id)!)), 5000, 'the catalogue');
      await choose(h, view, TAGS, await suggest(h, view, TAGS, 'prod'), /3 checks match/);
      view.view.private_metadata = JSON.stringify({ channel: 'C0NOPE' });
      const answer = await submit(h, view);
      expect(answer?.response_action).toBe('errors');
      expect(answer?.errors?.picker_tags).toBeTruthy();
      await sleep(200);
      expect(triggers(h)).toHaveLength(0);
    });
  });

  describe('with a short catalogue TTL', () => {
    beforeEach(async () => {
      h = await startHarness({ env: { CHECK_CATALOGUE_TTL_SECONDS: '1' } });
    });

    test('a warm cache keeps serving while Checkly is unavailable, and says how old it is', async () => {
      seed(h);
      expect(messageText((await listing(h, 'checks login')).body)).toContain('Login API');
      await sleep(1100);
      h.checkly.failNext('any', 503, { times: 1000 });
      // The first answer after the TTL triggers the refresh behind it; the next knows it failed.
      await listing(h, 'checks login');
      // Checkly's 503s are retried with backoff (about 8 to 15 s) before the refresh gives up.
      await waitFor(
        () => h.logs.some((l) => l.includes('refreshing the check catalogue failed') && l.includes('"what":"catalogue"')),
        30_000,
        'the failed refresh',
      );
      const text = messageText((await listing(h, 'checks login')).body);
      expect(text).toContain('Login API');
      expect(text).toContain('Checkly is unavailable: this list is from');
    }, 45_000);
  });
});
