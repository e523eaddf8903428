/**
 * A storm's roll-up (product.md section 12): one message counting the checks that joined it, and
 * one reply in its thread listing them, within Slack's limits however many there are.
 */
import { earlierPostNote } from './alert';
import { escapeTruncated, oneLine } from './escape';
import { plural, slackDate } from './format';
import { LIMITS, context, fallback, section, type SlackMessage } from './message';

export interface RollupView {
  /** Epoch ms when it began. */
  since: number;
  entries: ReadonlyArray<{ checkId: string; name: string; recovered: boolean }>;
  /** Posts of this message tried: over one, an earlier post may be in the channel (see IncidentView.posts). */
  posts?: number;
}

export const EARLIER_ROLLUP = earlierPostNote('outage message');

/** Lines per section of the list (20 of at most ~110 characters: within 3,000). */
const LINES_PER_SECTION = 20;
/** The list's text in all: under Slack's cap on a message's text (docs/commands.md#slacks-limits). */
const LIST_TEXT_MAX = 10_000;
const NAME_MAX = 100;

export function rollupCounts(view: RollupView): { failing: number; recovered: number } {
  const recovered = view.entries.filter((e) => e.recovered).length;
  return { failing: view.entries.length - recovered, recovered };
}

export function renderRollup(view: RollupView): SlackMessage {
  const { failing, recovered } = rollupCounts(view);
  const over = failing === 0;
  const title = over ? `✅ *Outage over:* ${plural(recovered, 'check')} recovered` : `🔴 *Outage: ${plural(failing, 'check')} failing*`;
  const more = !over && recovered > 0 ? ` · ${recovered} recovered` : '';
  return {
    text: fallback(over ? `Outage over: ${plural(recovered, 'check')} recovered` : `Outage: ${plural(failing, 'check')} failing`),
    blocks: [
      section(`${title}${more}`),
      context([`Since ${slackDate(view.since)} · too many alerts at once for a message each: the checks are listed in the thread.`]),
      ...((view.posts ?? 0) > 1 ? [context([EARLIER_ROLLUP])] : []),
    ],
  };
}

export function renderRollupList(view: RollupView): SlackMessage {
  const lines = view.entries.map((e) => `${e.recovered ? '✅' : '🔴'} ${escapeTruncated(oneLine(e.name) || e.checkId, NAME_MAX)}`);
  const shown: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (used + line.length + 1 > LIST_TEXT_MAX) break;
    shown.push(line);
    used += line.length + 1;
  }
  const blocks = [];
  for (let i = 0; i < shown.length; i += LINES_PER_SECTION) blocks.push(section(shown.slice(i, i + LINES_PER_SECTION).join('\n')));
  if (lines.length > shown.length) blocks.push(context([`…and ${lines.length - shown.length} more: see Checkly.`]));
  if (blocks.length === 0) blocks.push(section('_No checks yet._'));
  const { failing, recovered } = rollupCounts(view);
  return { text: fallback(`${plural(failing, 'check')} failing, ${recovered} recovered`), blocks: blocks.slice(0, LIMITS.blocks) };
}
