/**
 * Slack's message limits (docs/commands.md#slacks-limits), checked on a message as it would be sent. Takes `unknown`
 * so the end-to-end tests can pass what the fake Slack API received. The numbers are written here
 * again on purpose, not imported from src: a wrong constant in src must not make this check agree.
 * The text in all the blocks is counted as the fake Slack counts it (one definition for the tests).
 */
import { blocksTextLength } from '../fakes/slack-blocks';

export { blocksTextLength };

const MAX_BLOCKS = 50;
const MAX_FALLBACK_TEXT = 40000;
const MAX_SECTION_TEXT = 3000;
const MAX_FIELD_TEXT = 2000;
const MAX_FIELDS = 10;
const MAX_HEADER_TEXT = 150;
const MAX_CONTEXT_ELEMENTS = 10;
const MAX_CONTEXT_TEXT = 3000;
const MAX_ACTIONS_ELEMENTS = 25;
const MAX_BUTTON_TEXT = 75;
const MAX_BUTTON_VALUE = 2000;
const MAX_BUTTON_URL = 3000;
const MAX_ID = 255;
const MAX_CONFIRM_TITLE = 100;
const MAX_CONFIRM_TEXT = 300;
const MAX_CONFIRM_BUTTON = 30;
const MAX_SELECT_OPTIONS = 100;
/** An overflow menu holds 2 to 5 options. */
const MIN_OVERFLOW_OPTIONS = 2;
const MAX_OVERFLOW_OPTIONS = 5;
const MAX_OPTION_TEXT = 75;
const MAX_OPTION_VALUE = 150;
const MAX_PLACEHOLDER = 150;
/** Slack's undocumented cap on the text of all blocks together (refused from about 12,000). */
const MAX_BLOCKS_TEXT = 12_000;
/** What our messages keep under, leaving room for Slack's count differing from ours. */
export const RUN_MESSAGE_TEXT_TARGET = 10_000;

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

class Checker {
  readonly problems: string[] = [];
  private readonly blockIds = new Set<string>();
  private readonly actionIds = new Set<string>();

  fail(where: string, what: string): void {
    this.problems.push(`${where}: ${what}`);
  }

  text(where: string, t: unknown, max: number, kinds: ReadonlyArray<'plain_text' | 'mrkdwn'>): void {
    if (!isObj(t)) {
      this.fail(where, 'missing text object');
      return;
    }
    if (typeof t.type !== 'string' || !kinds.includes(t.type as 'plain_text' | 'mrkdwn')) {
      this.fail(where, `text type ${String(t.type)} is not ${kinds.join(' or ')}`);
      return;
    }
    if (typeof t.text !== 'string') {
      this.fail(where, 'text is not a string');
      return;
    }
    if (t.text.length < 1) this.fail(where, 'text is empty');
    if (t.text.length > max) this.fail(where, `text is ${t.text.length} characters, limit ${max}`);
  }

  blockId(where: string, block: Obj): void {
    if (block.block_id === undefined) return;
    if (typeof block.block_id !== 'string') {
      this.fail(where, 'block_id is not a string');
      return;
    }
    if (block.block_id.length > MAX_ID) this.fail(where, `block_id is ${block.block_id.length} characters`);
    if (this.blockIds.has(block.block_id)) this.fail(where, `block_id ${block.block_id} is not unique`);
    this.blockIds.add(block.block_id);
  }

  actionId(where: string, el: Obj): void {
    if (typeof el.action_id !== 'string' || el.action_id === '') {
      this.fail(where, 'element without action_id');
      return;
    }
    if (el.action_id.length > MAX_ID) this.fail(where, `action_id is ${el.action_id.length} characters`);
    if (this.actionIds.has(el.action_id)) this.fail(where, `action_id ${el.action_id} is not unique`);
    this.actionIds.add(el.action_id);
  }

  /** A static select: 1 to 100 options, each with plain text up to 75 and a value up to 150. */
  select(where: string, el: Obj): void {
    this.actionId(where, el);
    if (el.placeholder !== undefined) this.text(`${where}.placeholder`, el.placeholder, MAX_PLACEHOLDER, ['plain_text']);
    const options = el.options;
    const [least, most] = el.type === 'overflow' ? [MIN_OVERFLOW_OPTIONS, MAX_OVERFLOW_OPTIONS] : [1, MAX_SELECT_OPTIONS];
    if (!Array.isArray(options) || options.length < least || options.length > most) {
      this.fail(where, `${String(el.type)} needs ${least} to ${most} options`);
      return;
    }
    options.forEach((o: unknown, i) => {
      if (!isObj(o)) {
        this.fail(`${where}.options[${i}]`, 'not an object');
        return;
      }
      this.text(`${where}.options[${i}].text`, o.text, MAX_OPTION_TEXT, ['plain_text']);
      if (typeof o.value !== 'string' || o.value.length > MAX_OPTION_VALUE)
        this.fail(`${where}.options[${i}]`, `value longer than ${MAX_OPTION_VALUE} or not a string`);
    });
  }

  button(where: string, el: Obj): void {
    if (el.type === 'static_select' || el.type === 'overflow') {
      this.select(where, el);
      return;
    }
    if (el.type !== 'button') {
      this.fail(where, `element type ${String(el.type)} is not checked here`);
      return;
    }
    this.text(`${where}.text`, el.text, MAX_BUTTON_TEXT, ['plain_text']);
    if (typeof el.action_id !== 'string' || el.action_id === '') {
      this.fail(where, 'button without action_id');
    } else {
      if (el.action_id.length > MAX_ID) this.fail(where, `action_id is ${el.action_id.length} characters`);
      if (this.actionIds.has(el.action_id)) this.fail(where, `action_id ${el.action_id} is not unique`);
      this.actionIds.add(el.action_id);
    }
    if (el.value !== undefined && (typeof el.value !== 'string' || el.value.length > MAX_BUTTON_VALUE)) {
      this.fail(where, `value longer than ${MAX_BUTTON_VALUE} or not a string`);
    }
    if (el.url !== undefined && (typeof el.url !== 'string' || el.url.length > MAX_BUTTON_URL || el.url === '')) {
      this.fail(where, `url longer than ${MAX_BUTTON_URL}, empty or not a string`);
    }
    if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') this.fail(where, `style ${String(el.style)}`);
    if (el.confirm !== undefined) this.confirm(`${where}.confirm`, el.confirm);
  }

  confirm(where: string, c: unknown): void {
    if (!isObj(c)) {
      this.fail(where, 'not an object');
      return;
    }
    if (c.title !== undefined) this.text(`${where}.title`, c.title, MAX_CONFIRM_TITLE, ['plain_text']);
    this.text(`${where}.text`, c.text, MAX_CONFIRM_TEXT, ['plain_text', 'mrkdwn']);
    if (c.confirm !== undefined) this.text(`${where}.confirm`, c.confirm, MAX_CONFIRM_BUTTON, ['plain_text']);
    if (c.deny !== undefined) this.text(`${where}.deny`, c.deny, MAX_CONFIRM_BUTTON, ['plain_text']);
  }

  block(where: string, block: unknown): void {
    if (!isObj(block)) {
      this.fail(where, 'not an object');
      return;
    }
    this.blockId(where, block);
    switch (block.type) {
      case 'header':
        this.text(`${where}.text`, block.text, MAX_HEADER_TEXT, ['plain_text']);
        return;
      case 'section': {
        if (block.text === undefined && block.fields === undefined) this.fail(where, 'section without text or fields');
        if (block.text !== undefined) this.text(`${where}.text`, block.text, MAX_SECTION_TEXT, ['plain_text', 'mrkdwn']);
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields) || block.fields.length > MAX_FIELDS) this.fail(where, `more than ${MAX_FIELDS} fields`);
          else {
            block.fields.forEach((f, i) => {
              this.text(`${where}.fields[${i}]`, f, MAX_FIELD_TEXT, ['plain_text', 'mrkdwn']);
            });
          }
        }
        if (block.accessory !== undefined) {
          if (!isObj(block.accessory)) this.fail(where, 'accessory is not an object');
          else this.button(`${where}.accessory`, block.accessory);
        }
        return;
      }
      case 'context': {
        const els = block.elements;
        if (!Array.isArray(els) || els.length < 1 || els.length > MAX_CONTEXT_ELEMENTS) {
          this.fail(where, `context needs 1 to ${MAX_CONTEXT_ELEMENTS} elements`);
          return;
        }
        els.forEach((e, i) => {
          this.text(`${where}.elements[${i}]`, e, MAX_CONTEXT_TEXT, ['plain_text', 'mrkdwn']);
        });
        return;
      }
      case 'actions': {
        const els = block.elements;
        if (!Array.isArray(els) || els.length < 1 || els.length > MAX_ACTIONS_ELEMENTS) {
          this.fail(where, `actions needs 1 to ${MAX_ACTIONS_ELEMENTS} elements`);
          return;
        }
        els.forEach((e, i) => {
          isObj(e) ? this.button(`${where}.elements[${i}]`, e) : this.fail(where, 'element not an object');
        });
        return;
      }
      case 'divider':
        return;
      default:
        this.fail(where, `block type ${String(block.type)} is not checked by this helper`);
        return;
    }
  }
}

/** A modal's limits differ from a message's: 100 blocks, and no cumulative text limit is known. */
const MAX_VIEW_BLOCKS = 100;

export interface LimitOptions {
  /** 'view' for a modal's blocks (default 'message'). */
  kind?: 'message' | 'view';
}

/** Every limit the message breaks, one line each; empty when it is within all of them. */
export function slackLimitViolations(message: unknown, options: LimitOptions = {}): string[] {
  const view = options.kind === 'view';
  const maxBlocks = view ? MAX_VIEW_BLOCKS : MAX_BLOCKS;
  const checker = new Checker();
  if (!isObj(message)) return ['message: not an object'];
  if (typeof message.text !== 'string' || message.text.trim() === '') checker.fail('text', 'fallback text missing or blank');
  else if (message.text.length > MAX_FALLBACK_TEXT) checker.fail('text', `fallback is ${message.text.length} characters`);
  if (message.blocks !== undefined) {
    if (!Array.isArray(message.blocks)) {
      checker.fail('blocks', 'not an array');
    } else {
      if (message.blocks.length > maxBlocks) checker.fail('blocks', `${message.blocks.length} blocks, limit ${maxBlocks}`);
      message.blocks.forEach((b, i) => {
        checker.block(`blocks[${i}]`, b);
      });
      const text = blocksTextLength(message.blocks);
      if (!view && text > MAX_BLOCKS_TEXT) checker.fail('blocks', `${text} characters of text in all, Slack refuses above ${MAX_BLOCKS_TEXT}`);
    }
  }
  return checker.problems;
}

export function assertWithinSlackLimits(message: unknown, options: LimitOptions = {}): void {
  const problems = slackLimitViolations(message, options);
  if (problems.length > 0) throw new Error(`message breaks Slack's limits:\n${problems.join('\n')}`);
}
