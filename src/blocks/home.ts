/**
 * The Home tab (docs/commands.md#the-home-tab): what is failing in the account now, the person's
 * pinned targets with a Run button each, a form to pin another, and their last runs with Run again.
 * Pure: the home room gathers the content, `now` is passed in.
 */
import type { Button, KnownBlock, View } from '@slack/types';
import { runOutcome } from '../runs/status';
import type { Run, RunError } from '../runs/types';
import { codeSpan, escapeMrkdwn, link } from './escape';
import { plural, slackDate } from './format';
import { listedRowText, type ListedRow } from './listing';
import { actions, context, header, section } from './message';
import { targetLabel } from './target-label';

/** A pin's Run and Unpin are `home_run_pin:<n>` and `home_unpin:<n>`, a run's Run again `home_run_again:<n>` (unique in the view). */
export const ACTION_RUN_PIN_PATTERN = /^home_run_pin:\d+$/;
export const ACTION_UNPIN_PATTERN = /^home_unpin:\d+$/;
export const ACTION_RUN_AGAIN_PATTERN = /^home_run_again:\d+$/;
export const ACTION_PIN = 'home_pin';
/** The pin form's inputs: block and action ids alike. */
export const PIN_TARGET_INPUT = 'home_pin_target';
export const PIN_CHANNEL_INPUT = 'home_pin_channel';
/** The failing checks shown, as the first rows of `/checkly failing`. */
export const FAILING_SHOWN = 5;

export interface HomePin {
  id: string;
  /** The target as `/checkly run` takes it. */
  target: string;
  channel: string;
}

export interface HomeContent {
  now: number;
  commandName: string;
  /** What came of the person's last click here (mrkdwn), shown on top. */
  notice?: string;
  /** `/checkly failing`'s rows, worst first, of `checks` in the account; or why they could not be read. */
  failing: { rows: readonly ListedRow[]; checks: number } | { unavailable: RunError };
  pins: readonly HomePin[];
  /** The person's last runs, newest first, each with its message's link when it has one. */
  runs: ReadonlyArray<{ run: Run; link?: string }>;
}

export function renderHome(content: HomeContent): View {
  const blocks: KnownBlock[] = [header('Checkly')];
  if (content.notice !== undefined) blocks.push(section(content.notice));
  blocks.push(...failingNow(content), { type: 'divider' }, ...pinned(content), { type: 'divider' }, ...recent(content));
  blocks.push(context([`Updated ${slackDate(content.now)}`]));
  return { type: 'home', blocks };
}

function failingNow(content: HomeContent): KnownBlock[] {
  const { failing, commandName, now } = content;
  if ('unavailable' in failing)
    return [section(`⚠️ Could not read the checks’ states from Checkly: ${codeSpan(failing.unavailable.message || 'nothing said', 200)}`)];
  if (failing.rows.length === 0) return [section(`✅ Nothing is failing or degraded right now (${plural(failing.checks, 'check')}).`)];
  const shown = failing.rows.slice(0, FAILING_SHOWN);
  return [
    section(`*${plural(failing.rows.length, 'check')} failing or degraded* right now, worst first:`),
    ...shown.map((row) => section(listedRowText(row, now, true))),
    ...(failing.rows.length > shown.length
      ? [context([`…and ${failing.rows.length - shown.length} more: ${codeSpan(`${commandName} failing`, 40)} lists them all.`])]
      : []),
  ];
}

function pinned(content: HomeContent): KnownBlock[] {
  const head = section(
    content.pins.length === 0
      ? '*📌 Pinned runs*\nNone yet: pin a target below, or from the “…” menu of a run’s message.'
      : '*📌 Pinned runs*, each in its channel:',
  );
  const pins = content.pins.flatMap((pin, i): KnownBlock[] => [
    section(`${codeSpan(pin.target, 300)} in <#${pin.channel}>`),
    actions(`home_pin_${i}`, [button(`home_run_pin:${i}`, 'Run', pin.id, true), button(`home_unpin:${i}`, 'Unpin', pin.id)]),
  ]);
  const form: KnownBlock[] = [
    {
      type: 'input',
      block_id: PIN_TARGET_INPUT,
      optional: true,
      label: { type: 'plain_text', text: 'Pin a target' },
      hint: { type: 'plain_text', text: `As ${content.commandName} run takes it: tags such as prod,api, or --check <uuid>.` },
      element: { type: 'plain_text_input', action_id: PIN_TARGET_INPUT, placeholder: { type: 'plain_text', text: 'prod,api' } },
    },
    {
      type: 'input',
      block_id: PIN_CHANNEL_INPUT,
      optional: true,
      label: { type: 'plain_text', text: 'Runs in' },
      element: {
        type: 'conversations_select',
        action_id: PIN_CHANNEL_INPUT,
        placeholder: { type: 'plain_text', text: 'A channel' },
        filter: { include: ['public', 'private'], exclude_bot_users: true },
      },
    },
    actions('home_pin_form', [button(ACTION_PIN, 'Pin', 'pin')]),
  ];
  return [head, ...pins, ...form];
}

function recent(content: HomeContent): KnownBlock[] {
  if (content.runs.length === 0)
    return [section(`*🕘 Your recent runs*\nNone yet: ${codeSpan(`${content.commandName} run prod`, 60)} in a channel starts one.`)];
  return [
    section('*🕘 Your recent runs*'),
    ...content.runs.map(({ run, link: url }, i) => {
      const where = `${codeSpan(targetLabel(run), 200)} in <#${run.channel}> · ${slackDate(run.createdAt)}`;
      const message = url !== undefined ? ` · ${link(url, 'message')}` : '';
      return section(`${glyph(run)} ${where}${message}`, button(`home_run_again:${i}`, 'Run again', run.id));
    }),
  ];
}

/** How the run went, at a glance. */
function glyph(run: Run): string {
  if (run.phase === 'triggering') return '⏳';
  if (run.phase === 'running') return '🔄';
  const glyphs = { passed: '✅', failed: '❌', degraded: '⚠️', cancelled: '🚫', error: '⚠️', abandoned: '⏹️' } as const;
  return glyphs[runOutcome(run)];
}

function button(actionId: string, text: string, value: string, primary = false): Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value, ...(primary ? { style: 'primary' as const } : {}) };
}

/** What the Home tab says on top after a click there (mrkdwn; channel IDs are checked to be IDs). */
export const homeNotice = {
  started: (target: string, channel: string) => `▶️ Started ${codeSpan(target, 300)} in <#${channel}>: its message is there.`,
  startFailed: () => '⚠️ Something went wrong while starting this run. If no run message appears in its channel, try again in a minute.',
  pinned: (target: string, channel: string) => `📌 Pinned ${codeSpan(target, 300)} in <#${channel}>.`,
  alreadyPinned: (target: string, channel: string) => `📌 ${codeSpan(target, 300)} in <#${channel}> is pinned already.`,
  unpinned: (target: string, channel: string) => `Unpinned ${codeSpan(target, 300)} in <#${channel}>.`,
  full: (max: number) => `⚠️ You have ${max} pins, the most the Home tab shows: unpin one first.`,
  badTarget: (problem: string) => `⚠️ Nothing was pinned: ${escapeMrkdwn(problem)}`,
  noChannel: () => '⚠️ Nothing was pinned: pick the channel the target runs in.',
  gone: () => '⚠️ That is no longer here (unpinned, or a run past its retention): nothing was done.',
} as const;
