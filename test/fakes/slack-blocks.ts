/**
 * Block Kit limits the fake Slack enforces, as Slack does (docs/commands.md#slacks-limits): a message that breaks one is
 * refused with `invalid_blocks` (or `msg_blocks_too_long` for the cap on all its text), so a renderer
 * that grows past a limit fails in tests, not in a channel.
 */

export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  sectionField: 2000,
  sectionFields: 10,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  id: 255,
  confirmTitle: 100,
  confirmText: 300,
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  /** An overflow menu holds 2 to 5 options. */
  overflowOptions: 5,
  confirmButton: 30,
  contextText: 3000,
  /** Undocumented: Slack answers `msg_blocks_too_long` from about 12,000 characters of text (see below). */
  blocksText: 12_000,
} as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The text Slack sums against its undocumented cap, as these tests define it: the length, in UTF-16
 * units as in the JSON, of the `text` of every text object (`plain_text` or `mrkdwn`) anywhere in the
 * blocks: section text and fields, context elements, headers, button labels, confirm dialogs (title,
 * text, confirm, deny), options. URLs, values and ids are not text. Slack does not say what it counts;
 * this counts every piece of text a person can read, so a message under it is under Slack's sum too.
 * Shared by the fake Slack (which refuses above `LIMITS.blocksText`) and the renderers' unit tests.
 */
export function blocksTextLength(blocks: unknown): number {
  let total = 0;
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      x.forEach(walk);
      return;
    }
    if (!isObject(x)) return;
    if ((x.type === 'plain_text' || x.type === 'mrkdwn') && typeof x.text === 'string') {
      total += x.text.length;
      return;
    }
    Object.values(x).forEach(walk);
  };
  walk(blocks);
  return total;
}

/** The problems, each with a JSON pointer like Slack's, or an empty list (the text cap is separate). */
export function blocksProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ['must be an array [json-pointer:/blocks]'];
  const problems: string[] = [];
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();
  const problem = (text: string, pointer: string): void => {
    problems.push(`${text} [json-pointer:${pointer}]`);
  };
  const tooLong = (value: unknown, max: number, pointer: string): void => {
    if (typeof value === 'string' && value.length > max) problem(`must be less than ${max + 1} characters`, pointer);
  };
  /** A text object: the right type, a non-empty string, within `max`. */
  const textObject = (value: unknown, max: number, pointer: string, plainOnly = false): void => {
    if (!isObject(value) || (value.type !== 'plain_text' && (plainOnly || value.type !== 'mrkdwn'))) {
      problem(plainOnly ? 'must be a plain_text object' : 'must be a text object', pointer);
      return;
    }
    if (typeof value.text !== 'string' || value.text.length === 0) {
      problem('must be more than 0 characters', `${pointer}/text`);
      return;
    }
    tooLong(value.text, max, `${pointer}/text`);
  };

  const element = (el: unknown, at: string): void => {
    if (!isObject(el)) {
      problem('must be an object', at);
      return;
    }
    if (typeof el.action_id === 'string') {
      tooLong(el.action_id, LIMITS.id, `${at}/action_id`);
      if (actionIds.has(el.action_id)) problem(`duplicate action_id ${el.action_id}`, `${at}/action_id`);
      actionIds.add(el.action_id);
    }
    if (el.type === 'static_select' || el.type === 'overflow') {
      const options = Array.isArray(el.options) ? el.options : [];
      const [least, most] = el.type === 'overflow' ? [2, LIMITS.overflowOptions] : [1, LIMITS.selectOptions];
      if (options.length < least || options.length > most) problem(`must have ${least} to ${most} items`, `${at}/options`);
      options.forEach((o: unknown, j) => {
        if (!isObject(o)) {
          problem('must be an object', `${at}/options/${j}`);
          return;
        }
        textObject(o.text, LIMITS.optionText, `${at}/options/${j}/text`, true);
        if (typeof o.value !== 'string') problem('must be a string', `${at}/options/${j}/value`);
        tooLong(o.value, LIMITS.optionValue, `${at}/options/${j}/value`);
      });
      return;
    }
    if (el.type !== 'button') return;
    textObject(el.text, LIMITS.buttonText, `${at}/text`, true);
    tooLong(el.value, LIMITS.buttonValue, `${at}/value`);
    tooLong(el.url, LIMITS.buttonUrl, `${at}/url`);
    if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') problem('must be primary or danger', `${at}/style`);
    if (el.confirm !== undefined) {
      if (!isObject(el.confirm)) {
        problem('must be an object', `${at}/confirm`);
        return;
      }
      if (el.confirm.title !== undefined) textObject(el.confirm.title, LIMITS.confirmTitle, `${at}/confirm/title`, true);
      textObject(el.confirm.text, LIMITS.confirmText, `${at}/confirm/text`);
      if (el.confirm.confirm !== undefined) textObject(el.confirm.confirm, LIMITS.confirmButton, `${at}/confirm/confirm`, true);
      if (el.confirm.deny !== undefined) textObject(el.confirm.deny, LIMITS.confirmButton, `${at}/confirm/deny`, true);
    }
  };

  if (blocks.length > LIMITS.blocks) problem(`must be less than ${LIMITS.blocks + 1} items`, '/blocks');
  blocks.forEach((block: unknown, i) => {
    const at = `/blocks/${i}`;
    if (!isObject(block) || typeof block.type !== 'string') {
      problem('must have a type', at);
      return;
    }
    if (typeof block.block_id === 'string') {
      tooLong(block.block_id, LIMITS.id, `${at}/block_id`);
      if (blockIds.has(block.block_id)) problem(`duplicate block_id ${block.block_id}`, `${at}/block_id`);
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case 'section': {
        const fields = Array.isArray(block.fields) ? block.fields : [];
        if (block.text === undefined && fields.length === 0) problem('must have text or fields', at);
        if (block.text !== undefined) textObject(block.text, LIMITS.sectionText, `${at}/text`);
        if (fields.length > LIMITS.sectionFields) problem(`must be less than ${LIMITS.sectionFields + 1} items`, `${at}/fields`);
        fields.forEach((f: unknown, j) => {
          textObject(f, LIMITS.sectionField, `${at}/fields/${j}`);
        });
        if (block.accessory !== undefined) element(block.accessory, `${at}/accessory`);
        break;
      }
      case 'header':
        textObject(block.text, LIMITS.headerText, `${at}/text`, true);
        break;
      case 'actions':
      case 'context': {
        const max = block.type === 'actions' ? LIMITS.actionsElements : LIMITS.contextElements;
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0) problem('must have at least 1 item', `${at}/elements`);
        if (elements.length > max) problem(`must be less than ${max + 1} items`, `${at}/elements`);
        for (const [j, el] of elements.entries()) {
          if (block.type === 'context' && isObject(el) && (el.type === 'mrkdwn' || el.type === 'plain_text'))
            textObject(el, LIMITS.contextText, `${at}/elements/${j}`);
          else element(el, `${at}/elements/${j}`);
        }
        break;
      }
      default:
        break; // divider, image, rich_text, ...: not used by the app, not checked
    }
  });
  return problems;
}
