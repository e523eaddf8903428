/** The shape every builder returns, and the few Block Kit constructors they share. */
import type { ActionsBlock, ActionsBlockElement, Button, ContextBlock, HeaderBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { isWebUrl, oneLine } from './escape';
import { truncate } from '../shared/truncate';

export interface SlackMessage {
  /** One-line plain fallback: notifications, screen readers, clients without blocks. */
  text: string;
  blocks: KnownBlock[];
}

/** Slack's limits (docs/commands.md#slacks-limits); builders keep below them. */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  id: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  fallbackText: 40000,
} as const;

/**
 * The text in `blocks` as Slack sums it against its cap on a message's text (docs/commands.md#slacks-limits): the
 * `text` of every text object, wherever it is (sections, fields, context, headers, buttons, dialogs).
 * Takes a list of blocks or one block.
 */
export function textLength(blocks: unknown): number {
  let total = 0;
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      x.forEach(walk);
      return;
    }
    if (typeof x !== 'object' || x === null) return;
    const o = x as Record<string, unknown>;
    if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') {
      total += o.text.length;
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(blocks);
  return total;
}

export function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text: text === '' ? ' ' : text };
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(oneLine(text), LIMITS.headerText) || ' ', emoji: true } };
}

/** `text` must already be escaped mrkdwn and within the section limit. */
export function section(text: string, accessory?: Button): SectionBlock {
  return accessory ? { type: 'section', text: mrkdwn(text), accessory } : { type: 'section', text: mrkdwn(text) };
}

/**
 * A context block of ONE mrkdwn element: Slack draws a context's elements side by side with no
 * separator, so the parts of a line of facts are joined here (` · ` by default) and read the same in
 * every client.
 */
export function context(parts: string | readonly string[], separator = ' · '): ContextBlock {
  const text = typeof parts === 'string' ? parts : parts.join(separator);
  return { type: 'context', elements: [mrkdwn(text)] };
}

export function actions(blockId: string, elements: ActionsBlockElement[]): ActionsBlock {
  return { type: 'actions', block_id: blockId, elements: elements.slice(0, LIMITS.actionsElements) };
}

/** A link button, or nothing when the URL is not a web URL or is too long for Slack. */
export function linkButton(actionId: string, text: string, url: string | undefined): Button | undefined {
  if (url === undefined || !isWebUrl(url) || url.length > LIMITS.buttonUrl) return undefined;
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text: truncate(text, LIMITS.buttonText) }, url };
}

/** The fallback text: one line, within Slack's limit. Callers pass it already escaped. */
export function fallback(text: string): string {
  return truncate(oneLine(text), LIMITS.fallbackText) || ' ';
}
