/**
 * Modals on the fake Slack: `views.open` (a trigger_id is good for 3 s, as Slack's), `views.update`
 * (with `hash` conflicts), and the payloads Slack sends about a modal: `block_suggestion` for an
 * external select's options, `block_actions` when an input with `dispatch_action` changes, and
 * `view_submission`. Slack's modal limits are enforced: 100 blocks, `private_metadata` 3,000
 * characters, title/submit/close 24, and for options: at most 100, text 75, value 150.
 * And the Home tab: `views.publish` (a `home` view: type, blocks, private_metadata, callback_id and
 * external_id only, within the same limits), `app_home_opened`, and clicks in it.
 */
import { blocksProblems } from './slack-blocks';

type Json = Record<string, unknown>;
type Result = { ok: boolean; error?: string } & Record<string, unknown>;

export const MODAL_LIMITS = {
  blocks: 100,
  privateMetadata: 3000,
  callbackId: 255,
  title: 24,
  button: 24,
  options: 100,
  optionText: 75,
  optionValue: 150,
  label: 2000,
  placeholder: 150,
} as const;
/** Slack: a trigger_id expires 3 s after it was issued. */
export const TRIGGER_TTL_MS = 3000;

export interface SelectedOption {
  text: { type: 'plain_text'; text: string };
  value: string;
}

/** An input's state as Slack puts it in `view.state.values`: the options chosen, the text typed, the conversation picked. */
export interface InputState {
  type: string;
  selected_options?: SelectedOption[];
  value?: string | null;
  selected_conversation?: string | null;
}

export interface FakeView {
  id: string;
  hash: string;
  /** The view as the app last sent it. */
  view: Json;
  /** Input state as the person left it: block id → action id → state. */
  values: Record<string, Record<string, InputState>>;
  user: string;
  /** Every view the app sent for it, the opened one first. */
  versions: Json[];
  /** The person submitted or closed it: Slack no longer shows it, and views.update answers `not_found`. */
  closed?: boolean;
}

export interface FakeViews {
  /** A trigger_id as Slack puts in a command or a click by `user`, valid for 3 s from now. */
  issueTriggerId(user?: string): string;
  readonly views: Map<string, FakeView>;
  /** The last view opened. */
  last(): FakeView | undefined;
  /** The Web API methods, for the fake's method table. */
  methods: Record<'views.open' | 'views.update' | 'views.publish', (args: Json) => Result>;
  /** The Home tab the app last published for `user` (its versions, every view published, oldest first). */
  home(user: string): FakeView | undefined;
  /** The `event_callback` envelope Slack sends when `user` opens the app's Home tab. */
  homeOpened(user: string): Json;
  /** Sets what the person typed or picked in an input of a view (a Home tab's text, its channel menu). */
  enter(viewId: string, blockId: string, state: InputState): void;
  /** The payload of someone typing `value` into an external select of the view. */
  blockSuggestion(viewId: string, actionId: string, value: string): Json;
  /** Sets an input's choice, as the person does, and returns the block_actions payload Slack sends. */
  select(viewId: string, blockId: string, options: SelectedOption[]): Json;
  /** The block_actions payload of a click on a button in the view. */
  click(viewId: string, actionId: string): Json;
  /** The payload of the person pressing the submit button. */
  submission(viewId: string): Json;
  /**
   * What the app answered a submission of the view, as Slack takes it: nothing (or `clear`) closes the
   * modal; `errors` keeps it open as it was; `update` replaces it (same id, a new hash). Answers what
   * is wrong with the answer, as Slack would judge it; empty when fine (a wrong answer leaves the
   * modal open, Slack saying it could not reach the app).
   */
  answered(viewId: string, answer: unknown): string[];
  /**
   * Slack acting on the app's answer to an interactive payload it sent: for a `view_submission`, the
   * answer (the HTTP body as text, or the socket's ack payload) goes to `answered`, and one Slack would
   * not take throws. Other payloads are left alone.
   */
  settle(payload: unknown, answer: unknown): void;
  /** The person closed the modal. */
  close(viewId: string): void;
  /** What is wrong with an app's answer to block_suggestion, as Slack would judge it; empty when fine. */
  optionsProblems(answer: unknown): string[];
}

export interface FakeViewsOptions {
  teamId: string;
  appId: string;
  now: () => number;
  refuse: (method: string, error: string, extra?: Json) => Result;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function textOf(value: unknown): string | undefined {
  return isObject(value) && typeof value.text === 'string' ? value.text : undefined;
}

export function tooLong(problems: string[], value: unknown, max: number, pointer: string): void {
  if (typeof value === 'string' && value.length > max) problems.push(`must be less than ${max + 1} characters [json-pointer:${pointer}]`);
}

function optionProblems(options: unknown, at: string, maxOptions: number): string[] {
  const problems: string[] = [];
  if (!Array.isArray(options)) return [`must be an array [json-pointer:${at}]`];
  if (options.length > maxOptions) problems.push(`must be less than ${maxOptions + 1} items [json-pointer:${at}]`);
  options.forEach((o: unknown, i) => {
    if (!isObject(o) || !isObject(o.text) || typeof o.value !== 'string') {
      problems.push(`must be an option object [json-pointer:${at}/${i}]`);
      return;
    }
    if (o.text.type !== 'plain_text') problems.push(`must be plain_text [json-pointer:${at}/${i}/text]`);
    tooLong(problems, textOf(o.text), MODAL_LIMITS.optionText, `${at}/${i}/text/text`);
    tooLong(problems, o.value, MODAL_LIMITS.optionValue, `${at}/${i}/value`);
    tooLong(problems, textOf(o.description), MODAL_LIMITS.optionText, `${at}/${i}/description/text`);
  });
  return problems;
}

/** Slack's view validation, as far as the app's modals go. */
export function viewProblems(view: unknown): string[] {
  if (!isObject(view)) return ['must be an object [json-pointer:/view]'];
  const problems: string[] = [];
  if (view.type !== 'modal') problems.push('must be modal [json-pointer:/view/type]');
  if (!textOf(view.title)) problems.push('must have a title [json-pointer:/view/title]');
  tooLong(problems, textOf(view.title), MODAL_LIMITS.title, '/view/title/text');
  tooLong(problems, textOf(view.submit), MODAL_LIMITS.button, '/view/submit/text');
  tooLong(problems, textOf(view.close), MODAL_LIMITS.button, '/view/close/text');
  tooLong(problems, view.private_metadata, MODAL_LIMITS.privateMetadata, '/view/private_metadata');
  tooLong(problems, view.callback_id, MODAL_LIMITS.callbackId, '/view/callback_id');
  if (!Array.isArray(view.blocks)) problems.push('must provide an array [json-pointer:/view/blocks]');
  const blocks = Array.isArray(view.blocks) ? view.blocks : [];
  const inputs = surfaceBlockProblems(blocks, problems);
  if (inputs > 0 && !textOf(view.submit)) problems.push('must have a submit button with inputs [json-pointer:/view/submit]');
  return problems;
}

/**
 * The blocks of a view (a modal or a Home tab), as Slack checks them: at most 100, each as in a
 * message, and the input blocks' labels, hints, placeholders and options. Returns how many input
 * blocks there are.
 */
export function surfaceBlockProblems(blocks: unknown[], problems: string[]): number {
  if (blocks.length > MODAL_LIMITS.blocks) problems.push(`must be less than ${MODAL_LIMITS.blocks + 1} items [json-pointer:/view/blocks]`);
  // Messages allow 50 blocks and views 100: the message checker's count does not apply here.
  problems.push(...blocksProblems(blocks).filter((p) => !p.endsWith('[json-pointer:/blocks]')));
  let inputs = 0;
  blocks.forEach((block: unknown, i) => {
    if (!isObject(block) || block.type !== 'input') return;
    inputs += 1;
    const at = `/view/blocks/${i}`;
    tooLong(problems, textOf(block.label), MODAL_LIMITS.label, `${at}/label/text`);
    tooLong(problems, textOf(block.hint), MODAL_LIMITS.label, `${at}/hint/text`);
    const el = block.element;
    if (!isObject(el) || typeof el.action_id !== 'string') {
      problems.push(`must have an element with an action_id [json-pointer:${at}/element]`);
      return;
    }
    tooLong(problems, textOf(el.placeholder), MODAL_LIMITS.placeholder, `${at}/element/placeholder/text`);
    if (el.type === 'checkboxes') problems.push(...optionProblems(el.options, `${at}/element/options`, 10));
    if ((el.type === 'static_select' || el.type === 'multi_static_select') && el.options !== undefined) {
      problems.push(...optionProblems(el.options, `${at}/element/options`, MODAL_LIMITS.options));
    }
  });
  return inputs;
}

/** The fields a Home tab view may have (a modal's title, submit and close have no place there). */
const HOME_FIELDS = new Set(['type', 'blocks', 'private_metadata', 'callback_id', 'external_id']);

/** Slack's validation of a Home tab view. */
export function homeViewProblems(view: unknown): string[] {
  if (!isObject(view)) return ['must be an object [json-pointer:/view]'];
  const problems: string[] = [];
  if (view.type !== 'home') problems.push('must be home [json-pointer:/view/type]');
  for (const field of Object.keys(view)) if (!HOME_FIELDS.has(field)) problems.push(`is not a field of a home view [json-pointer:/view/${field}]`);
  tooLong(problems, view.private_metadata, MODAL_LIMITS.privateMetadata, '/view/private_metadata');
  tooLong(problems, view.callback_id, MODAL_LIMITS.callbackId, '/view/callback_id');
  tooLong(problems, view.external_id, MODAL_LIMITS.callbackId, '/view/external_id');
  if (!Array.isArray(view.blocks)) problems.push('must be an array [json-pointer:/view/blocks]');
  else surfaceBlockProblems(view.blocks, problems);
  return problems;
}

export function createFakeViews(opts: FakeViewsOptions): FakeViews {
  const triggers = new Map<string, { at: number; user: string }>();
  const views = new Map<string, FakeView>();
  /** The Home tab view of each user, by user id. */
  const homes = new Map<string, string>();
  let counter = 0;
  let lastId: string | undefined;
  const id = (prefix: string): string => `${prefix}${(++counter).toString(36).toUpperCase().padStart(8, '0')}`;

  const wire = (v: FakeView): Json => ({
    ...v.view,
    id: v.id,
    team_id: opts.teamId,
    app_id: opts.appId,
    bot_id: 'B0FAKEBOT',
    hash: v.hash,
    state: { values: v.values },
    root_view_id: v.id,
    previous_view_id: null,
    clear_on_close: false,
    notify_on_close: false,
    private_metadata: typeof v.view.private_metadata === 'string' ? v.view.private_metadata : '',
    callback_id: typeof v.view.callback_id === 'string' ? v.view.callback_id : '',
  });
  const base = (v: FakeView): Json => ({
    user: { id: v.user, username: v.user.toLowerCase(), name: v.user.toLowerCase(), team_id: opts.teamId },
    team: { id: opts.teamId, domain: 'fake' },
    api_app_id: opts.appId,
    token: 'deprecated-verification-token',
    is_enterprise_install: false,
    enterprise: null,
  });
  const find = (viewId: string): FakeView => {
    const v = views.get(viewId);
    if (!v) throw new Error(`no view ${viewId}`);
    return v;
  };

  return {
    views,
    issueTriggerId(user = 'U0ALICE') {
      const trigger = `${Math.floor(opts.now() / 1000)}.${++counter}.${Math.random().toString(16).slice(2, 10)}`;
      triggers.set(trigger, { at: opts.now(), user });
      return trigger;
    },
    last: () => (lastId ? views.get(lastId) : undefined),
    methods: {
      'views.open': (args) => {
        const trigger = typeof args.trigger_id === 'string' ? args.trigger_id : '';
        const issued = triggers.get(trigger);
        if (issued === undefined) return opts.refuse('views.open', 'invalid_trigger_id');
        if (opts.now() - issued.at > TRIGGER_TTL_MS) return opts.refuse('views.open', 'expired_trigger_id');
        const problems = viewProblems(args.view);
        if (problems.length > 0) return opts.refuse('views.open', 'invalid_arguments', { response_metadata: { messages: problems }, errors: problems });
        const view = args.view as Json;
        // A trigger opens one modal.
        triggers.delete(trigger);
        const v: FakeView = { id: id('V'), hash: id('H'), view, values: {}, user: issued.user, versions: [view] };
        views.set(v.id, v);
        lastId = v.id;
        return { ok: true, view: wire(v) };
      },
      'views.publish': (args) => {
        const user = typeof args.user_id === 'string' ? args.user_id : '';
        if (!/^[UW][A-Z0-9]{2,}$/.test(user)) return opts.refuse('views.publish', 'invalid_arguments', { errors: ['user_id must be a user'] });
        const problems = homeViewProblems(args.view);
        if (problems.length > 0) return opts.refuse('views.publish', 'invalid_arguments', { response_metadata: { messages: problems }, errors: problems });
        const viewId = homes.get(user);
        const existing = viewId === undefined ? undefined : views.get(viewId);
        if (existing && args.hash !== undefined && args.hash !== existing.hash) return opts.refuse('views.publish', 'hash_conflict');
        const view = args.view as Json;
        const v: FakeView = existing ?? { id: id('V'), hash: '', view, values: {}, user, versions: [] };
        v.view = view;
        v.hash = id('H');
        v.versions.push(view);
        // Inputs the new view no longer has lose what was typed in them, as in Slack.
        const kept = new Set((Array.isArray(view.blocks) ? view.blocks : []).map((b: unknown) => (isObject(b) ? b.block_id : undefined)));
        for (const blockId of Object.keys(v.values)) if (!kept.has(blockId)) delete v.values[blockId];
        views.set(v.id, v);
        homes.set(user, v.id);
        return { ok: true, view: wire(v) };
      },
      'views.update': (args) => {
        const v = typeof args.view_id === 'string' ? views.get(args.view_id) : undefined;
        if (!v || v.closed) return opts.refuse('views.update', 'not_found');
        if (args.hash !== undefined && args.hash !== v.hash) return opts.refuse('views.update', 'hash_conflict');
        const problems = viewProblems(args.view);
        if (problems.length > 0) return opts.refuse('views.update', 'invalid_arguments', { response_metadata: { messages: problems }, errors: problems });
        v.view = args.view as Json;
        v.hash = id('H');
        v.versions.push(v.view);
        return { ok: true, view: wire(v) };
      },
    },
    home: (user) => {
      const viewId = homes.get(user);
      return viewId === undefined ? undefined : views.get(viewId);
    },
    homeOpened(user) {
      const viewId = homes.get(user);
      const v = viewId === undefined ? undefined : views.get(viewId);
      const at = opts.now();
      return {
        token: 'deprecated-verification-token',
        team_id: opts.teamId,
        api_app_id: opts.appId,
        event: {
          type: 'app_home_opened',
          user,
          channel: `D${user.slice(1)}`,
          tab: 'home',
          ...(v ? { view: wire(v) } : {}),
          event_ts: `${Math.floor(at / 1000)}.${String(at % 1000).padStart(3, '0')}000`,
        },
        type: 'event_callback',
        event_id: id('Ev'),
        event_time: Math.floor(at / 1000),
        authorizations: [{ enterprise_id: null, team_id: opts.teamId, user_id: 'U0FAKEBOT', is_bot: true, is_enterprise_install: false }],
      };
    },
    enter(viewId, blockId, state) {
      const v = find(viewId);
      const block = (Array.isArray(v.view.blocks) ? v.view.blocks : []).find((b: unknown) => isObject(b) && b.block_id === blockId) as Json | undefined;
      const el = block && isObject(block.element) ? block.element : undefined;
      if (!el || typeof el.action_id !== 'string' || el.type !== state.type) throw new Error(`no ${state.type} input in block ${blockId} of view ${viewId}`);
      v.values[blockId] = { [el.action_id]: state };
    },
    blockSuggestion(viewId, actionId, value) {
      const v = find(viewId);
      const block = (Array.isArray(v.view.blocks) ? v.view.blocks : []).find(
        (b: unknown) => isObject(b) && isObject(b.element) && b.element.action_id === actionId,
      ) as Json | undefined;
      if (!block) throw new Error(`no input with action_id ${actionId} in view ${viewId}`);
      return {
        type: 'block_suggestion',
        ...base(v),
        container: { type: 'view', view_id: v.id },
        action_id: actionId,
        block_id: block.block_id,
        value,
        view: wire(v),
      };
    },
    select(viewId, blockId, options) {
      const v = find(viewId);
      const block = (Array.isArray(v.view.blocks) ? v.view.blocks : []).find((b: unknown) => isObject(b) && b.block_id === blockId) as Json | undefined;
      const el = block && isObject(block.element) ? block.element : undefined;
      if (!el || typeof el.action_id !== 'string' || typeof el.type !== 'string') throw new Error(`no input block ${blockId} in view ${viewId}`);
      v.values[blockId] = { [el.action_id]: { type: el.type, selected_options: options } };
      return {
        type: 'block_actions',
        ...base(v),
        container: { type: 'view', view_id: v.id },
        trigger_id: this.issueTriggerId(v.user),
        view: wire(v),
        actions: [{ type: el.type, action_id: el.action_id, block_id: blockId, selected_options: options, action_ts: `${opts.now() / 1000}` }],
      };
    },
    click(viewId, actionId) {
      const v = find(viewId);
      for (const block of Array.isArray(v.view.blocks) ? v.view.blocks : []) {
        if (!isObject(block)) continue;
        const elements = [block.accessory, ...(Array.isArray(block.elements) ? block.elements : [])];
        const button = elements.find((el: unknown) => isObject(el) && el.type === 'button' && el.action_id === actionId) as Json | undefined;
        if (!button) continue;
        return {
          type: 'block_actions',
          ...base(v),
          container: { type: 'view', view_id: v.id },
          trigger_id: this.issueTriggerId(v.user),
          view: wire(v),
          actions: [
            { type: 'button', action_id: actionId, block_id: block.block_id, text: button.text, value: button.value, action_ts: `${opts.now() / 1000}` },
          ],
        };
      }
      throw new Error(`no button ${actionId} in view ${viewId}`);
    },
    submission(viewId) {
      const v = find(viewId);
      return { type: 'view_submission', ...base(v), trigger_id: this.issueTriggerId(v.user), view: wire(v), response_urls: [] };
    },
    answered(viewId, answer) {
      const v = find(viewId);
      if (answer === undefined || answer === '' || (isObject(answer) && (answer.response_action === undefined || answer.response_action === 'clear'))) {
        v.closed = true;
        return [];
      }
      if (!isObject(answer)) return ['the answer must be empty or a JSON object'];
      if (answer.response_action === 'errors') return isObject(answer.errors) ? [] : ['errors must be an object of block ids'];
      if (answer.response_action === 'update') {
        const problems = viewProblems(answer.view);
        if (problems.length > 0) return problems;
        v.view = answer.view as Json;
        v.hash = id('H');
        v.versions.push(v.view);
        return [];
      }
      return [`unknown response_action ${String(answer.response_action)}`];
    },
    settle(payload, answer) {
      const p = payload as { type?: unknown; view?: { id?: unknown } };
      if (p.type !== 'view_submission' || typeof p.view?.id !== 'string' || !views.has(p.view.id)) return;
      const parsed: unknown = typeof answer === 'string' ? (answer === '' ? undefined : JSON.parse(answer)) : (answer ?? undefined);
      const problems = this.answered(p.view.id, parsed);
      if (problems.length > 0) throw new Error(`Slack would not take the answer to the submission: ${problems.join('; ')}`);
    },
    close(viewId) {
      find(viewId).closed = true;
    },
    optionsProblems(answer) {
      if (!isObject(answer)) return ['the answer must be a JSON object'];
      if (answer.options === undefined && answer.option_groups === undefined) return ['the answer must have options or option_groups'];
      return answer.options === undefined ? [] : optionProblems(answer.options, '/options', MODAL_LIMITS.options);
    },
  };
}
