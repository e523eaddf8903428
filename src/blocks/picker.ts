/**
 * The picker modal of `/checkly` (and `/checkly run` alone): tags, check groups and checks by name,
 * each an external select that the app fills as the person types, a "refresh Checkly's cache" box,
 * and a line that says how many checks the choice matches. Pure; `now` is passed in.
 */
import type { InputBlock, ModalView, MultiExternalSelect, PlainTextOption } from '@slack/types';
import type { CheckEntry, GroupEntry, TagCount } from '../catalogue/model';
import type { Choice, Resolved } from '../catalogue/choice';
import { codeSpan, oneLine } from './escape';
import { truncate } from '../shared/truncate';
import { checkTypeLabel, plural, slackDate } from './format';
import { context, section } from './message';

/** What the picker's count line says: the catalogue is loading, unavailable, or ready with a resolved choice. */
export type PickerStatus =
  | { kind: 'loading' }
  | { kind: 'unavailable'; said: string }
  | { kind: 'ready'; total: number; catalogueAt: number; stale: boolean; resolved: Resolved };

export const CALLBACK_PICKER = 'checkly_picker';
const BLOCK_COUNT = 'picker_count';
const BLOCK_TAGS = 'picker_tags';
const BLOCK_GROUPS = 'picker_groups';
const BLOCK_CHECKS = 'picker_checks';
const BLOCK_REFRESH = 'picker_refresh';
/** Each input's element has the action id of its block: one name per input. */
const ACTION_TAGS = BLOCK_TAGS;
export const ACTION_GROUPS = BLOCK_GROUPS;
export const ACTION_CHECKS = BLOCK_CHECKS;
const ACTION_REFRESH = BLOCK_REFRESH;
/** Reads the account's checks again (a check created since the list was read). */
export const ACTION_RELOAD = 'picker_reload';
export const PICKER_INPUT_ACTIONS = [ACTION_TAGS, ACTION_GROUPS, ACTION_CHECKS] as const;
const REFRESH_VALUE = 'refresh';

/** Slack's modal limits (docs/commands.md#slacks-limits and the Block Kit reference). */
export const MODAL_LIMITS = { blocks: 100, privateMetadata: 3000, optionText: 75, optionValue: 150, options: 100, title: 24 } as const;

/** Where the run goes: the channel the modal was opened from. */
export interface PickerMetadata {
  channel: string;
}

function encodeMetadata(meta: PickerMetadata): string {
  return JSON.stringify({ channel: meta.channel });
}

export function parseMetadata(raw: string | undefined): PickerMetadata | undefined {
  try {
    const parsed = JSON.parse(raw ?? '') as unknown;
    const channel = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).channel : undefined;
    return typeof channel === 'string' && /^[CGD][A-Z0-9]{2,}$/.test(channel) ? { channel } : undefined;
  } catch {
    return undefined;
  }
}

export function countLine(status: PickerStatus): string {
  switch (status.kind) {
    case 'loading':
      return '⏳ Reading the checks from Checkly…';
    case 'unavailable':
      return `⚠️ Could not read the checks from Checkly: ${codeSpan(status.said, 300)}. Close and try again in a minute.`;
    case 'ready': {
      const note = status.stale ? `\nCheckly is unavailable: the list is from ${slackDate(status.catalogueAt)}.` : '';
      const r = status.resolved;
      if (r.kind === 'empty') return `Choose tags, groups or checks: the account has ${plural(status.total, 'check')}.${note}`;
      if (r.kind === 'too_many') return `⚠️ *${r.count} checks* chosen by group or name: at most 100. Choose a tag instead.${note}`;
      const left = r.deactivated > 0 ? ` (${r.deactivated} deactivated left out)` : '';
      if (r.matching.length === 0) return `⚠️ *No check matches* this choice${left}.${note}`;
      return `*${plural(r.matching.length, 'check matches', 'checks match')}*${left}.${note}`;
    }
  }
}

function externalInput(blockId: string, label: string, placeholder: string, hint?: string): InputBlock {
  const element: MultiExternalSelect = {
    type: 'multi_external_select',
    action_id: blockId,
    placeholder: { type: 'plain_text', text: placeholder },
    // Options load as soon as the menu opens, before anything is typed.
    min_query_length: 0,
  };
  const block: InputBlock = {
    type: 'input',
    block_id: blockId,
    optional: true,
    // Every change is sent at once (block_actions), so the count line can follow it.
    dispatch_action: true,
    label: { type: 'plain_text', text: label },
    element,
  };
  if (hint) block.hint = { type: 'plain_text', text: hint };
  return block;
}

export function renderPicker(meta: PickerMetadata, status: PickerStatus): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK_PICKER,
    private_metadata: encodeMetadata(meta),
    title: { type: 'plain_text', text: 'Run Checkly checks' },
    submit: { type: 'plain_text', text: 'Run' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        ...section(countLine(status), {
          type: 'button',
          action_id: ACTION_RELOAD,
          text: { type: 'plain_text', text: 'Reload the list' },
        }),
        block_id: BLOCK_COUNT,
      },
      externalInput(BLOCK_TAGS, 'Tags (every one chosen)', 'Type a tag', 'A check must carry every tag chosen, like prod,api.'),
      externalInput(BLOCK_GROUPS, 'Check groups (any of them)', 'Type a group name'),
      externalInput(BLOCK_CHECKS, 'Checks (any of them)', 'Type a name or tag'),
      {
        type: 'input',
        block_id: BLOCK_REFRESH,
        optional: true,
        label: { type: 'plain_text', text: 'Options' },
        element: {
          type: 'checkboxes',
          action_id: ACTION_REFRESH,
          options: [{ text: { type: 'plain_text', text: 'Ask Checkly to refresh its check cache first' }, value: REFRESH_VALUE }],
        },
      },
      context([`The run is posted in <#${meta.channel}>, like a typed run.`]),
    ],
  };
}

/**
 * The form once submitted while Slack is slow to take the run's post (the form must answer within 3 s):
 * it stays open and says so, then says how it went (`renderPickerNote`).
 */
export function renderPickerPending(channel: string): ModalView {
  return renderPickerNote(`⏳ Posting the run in <#${channel}>… Slack is slow to answer: this form says how it went.`);
}

/** The form with one line of mrkdwn and a Close button: what became of a run submitted while Slack was slow. */
export function renderPickerNote(text: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK_PICKER,
    title: { type: 'plain_text', text: 'Run Checkly checks' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [section(truncate(text, 3000))],
  };
}

function option(text: string, value: string, description?: string): PlainTextOption {
  const o: PlainTextOption = { text: { type: 'plain_text', text: truncate(oneLine(text), MODAL_LIMITS.optionText) || ' ' }, value };
  if (description) o.description = { type: 'plain_text', text: truncate(oneLine(description), MODAL_LIMITS.optionText) };
  return o;
}

/** Tags containing the query, most used first; values are the tags themselves (those over 150 characters cannot be offered). */
export function tagOptions(tags: readonly TagCount[], query: string): PlainTextOption[] {
  const q = query.trim().toLowerCase();
  return tags
    .filter((t) => t.tag.length <= MODAL_LIMITS.optionValue && t.tag.toLowerCase().includes(q))
    .slice(0, MODAL_LIMITS.options)
    .map((t) => option(`${t.tag} (${plural(t.checks, 'check')})`, t.tag));
}

export function groupOptions(groups: readonly GroupEntry[], query: string): PlainTextOption[] {
  const q = query.trim().toLowerCase();
  return groups
    .filter((g) => g.name.toLowerCase().includes(q))
    .slice(0, MODAL_LIMITS.options)
    .map((g) => option(`${g.name} (${plural(g.checks, 'check')})`, String(g.id)));
}

/** `found` comes best first from the search. */
export function checkOptions(found: readonly CheckEntry[]): PlainTextOption[] {
  return found.slice(0, MODAL_LIMITS.options).map((c) => {
    const tags = c.tags.length > 0 ? c.tags.join(', ') : 'no tags';
    return option(`${c.name}${c.activated ? '' : ' (deactivated)'}`, c.id, `${checkTypeLabel(c.checkType)} · ${tags}`);
  });
}

/** The modal's state as Slack sends it (`view.state.values`): block id → action id → element state. */
export type ViewStateValues = Record<string, Record<string, { selected_options?: Array<{ value?: string }> | null }>>;

export function choiceFromState(values: ViewStateValues | undefined): Choice & { refreshCache: boolean } {
  const selected = (block: string): string[] =>
    (values?.[block]?.[block]?.selected_options ?? []).map((o) => o?.value).filter((v): v is string => typeof v === 'string');
  return {
    tags: selected(BLOCK_TAGS),
    groupIds: selected(BLOCK_GROUPS)
      .map(Number)
      .filter((n) => Number.isInteger(n)),
    checkIds: selected(BLOCK_CHECKS).map((id) => id.toLowerCase()),
    refreshCache: selected(BLOCK_REFRESH).includes(REFRESH_VALUE),
  };
}

/** The error to show under an input when the choice cannot run (`response_action: errors`). */
export function choiceErrors(status: PickerStatus): Record<string, string> | undefined {
  if (status.kind === 'loading') return { [BLOCK_TAGS]: 'Still reading the checks from Checkly: try again in a moment.' };
  if (status.kind === 'unavailable') return { [BLOCK_TAGS]: truncate(`Could not read the checks from Checkly: ${status.said}`, 150) };
  const r = status.resolved;
  if (r.kind === 'empty') return { [BLOCK_TAGS]: 'Choose at least a tag, a group or a check.' };
  if (r.kind === 'too_many') return { [BLOCK_GROUPS]: `These groups and checks come to ${r.count} checks; at most 100. Choose a tag instead.` };
  if (r.matching.length === 0) return { [BLOCK_TAGS]: 'No activated check matches this choice: nothing would run.' };
  return undefined;
}

/** An error to show under the first input (a refusal, a channel the bot cannot post in). */
export function modalError(text: string): Record<string, string> {
  return { [BLOCK_TAGS]: truncate(oneLine(text), 150) };
}
