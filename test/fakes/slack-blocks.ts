/**
 * Block Kit limits the fake Slack enforces, as Slack does (product.md §7): a message that breaks one is
 * refused with `invalid_blocks`, so a renderer that grows past a limit fails in tests, not in a channel.
 * Returns the problems, each with a JSON pointer like Slack's, or an empty list.
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
} as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOf(value: unknown): string | undefined {
  return isObject(value) && typeof value.text === 'string' ? value.text : undefined;
}

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

  const element = (el: unknown, at: string): void => {
    if (!isObject(el)) return problem('must be an object', at);
    if (typeof el.action_id === 'string') {
      tooLong(el.action_id, LIMITS.id, `${at}/action_id`);
      if (actionIds.has(el.action_id)) problem(`duplicate action_id ${el.action_id}`, `${at}/action_id`);
      actionIds.add(el.action_id);
    }
    if (el.type === 'static_select') {
      const options = Array.isArray(el.options) ? el.options : [];
      if (options.length === 0 || options.length > LIMITS.selectOptions) problem(`must have 1 to ${LIMITS.selectOptions} items`, `${at}/options`);
      options.forEach((o: unknown, j) => {
        if (!isObject(o) || !isObject(o.text) || o.text.type !== 'plain_text') return problem('must be a plain_text object', `${at}/options/${j}/text`);
        tooLong(textOf(o.text), LIMITS.optionText, `${at}/options/${j}/text/text`);
        if (typeof o.value !== 'string') problem('must be a string', `${at}/options/${j}/value`);
        tooLong(o.value, LIMITS.optionValue, `${at}/options/${j}/value`);
      });
      return;
    }
    if (el.type !== 'button') return;
    if (!isObject(el.text) || el.text.type !== 'plain_text') problem('must be a plain_text object', `${at}/text`);
    tooLong(textOf(el.text), LIMITS.buttonText, `${at}/text/text`);
    tooLong(el.value, LIMITS.buttonValue, `${at}/value`);
    tooLong(el.url, LIMITS.buttonUrl, `${at}/url`);
    if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') problem('must be primary or danger', `${at}/style`);
    if (isObject(el.confirm)) {
      tooLong(textOf(el.confirm.title), LIMITS.confirmTitle, `${at}/confirm/title/text`);
      tooLong(textOf(el.confirm.text), LIMITS.confirmText, `${at}/confirm/text/text`);
    }
  };

  if (blocks.length > LIMITS.blocks) problem(`must be less than ${LIMITS.blocks + 1} items`, '/blocks');
  blocks.forEach((block: unknown, i) => {
    const at = `/blocks/${i}`;
    if (!isObject(block) || typeof block.type !== 'string') return problem('must have a type', at);
    if (typeof block.block_id === 'string') {
      tooLong(block.block_id, LIMITS.id, `${at}/block_id`);
      if (blockIds.has(block.block_id)) problem(`duplicate block_id ${block.block_id}`, `${at}/block_id`);
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case 'section': {
        const fields = Array.isArray(block.fields) ? block.fields : [];
        if (block.text === undefined && fields.length === 0) problem('must have text or fields', at);
        tooLong(textOf(block.text), LIMITS.sectionText, `${at}/text/text`);
        if (fields.length > LIMITS.sectionFields) problem(`must be less than ${LIMITS.sectionFields + 1} items`, `${at}/fields`);
        fields.forEach((f: unknown, j) => tooLong(textOf(f), LIMITS.sectionField, `${at}/fields/${j}/text`));
        if (block.accessory !== undefined) element(block.accessory, `${at}/accessory`);
        break;
      }
      case 'header':
        if (!isObject(block.text) || block.text.type !== 'plain_text') problem('must be a plain_text object', `${at}/text`);
        tooLong(textOf(block.text), LIMITS.headerText, `${at}/text/text`);
        break;
      case 'actions':
      case 'context': {
        const max = block.type === 'actions' ? LIMITS.actionsElements : LIMITS.contextElements;
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0) problem('must have at least 1 item', `${at}/elements`);
        if (elements.length > max) problem(`must be less than ${max + 1} items`, `${at}/elements`);
        elements.forEach((el: unknown, j) => element(el, `${at}/elements/${j}`));
        break;
      }
      default:
        break; // divider, image, rich_text, ...: not used by the app, not checked
    }
  });
  return problems;
}
