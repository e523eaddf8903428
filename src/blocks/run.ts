/**
 * The run message: one per run, re-rendered from the run's state on every change.
 * Top to bottom: header, context, progress, rows, buttons (docs/commands.md#the-run-message).
 */
import type { ActionsBlockElement, Button, KnownBlock } from '@slack/types';
import { rerunFailedScope } from '../runs/status';
import type { Run } from '../runs/types';
import { ACTION_OPEN, cancelButton, rerunAllButton, rerunFailedButton, runMoreMenu } from './actions';
import { escapeTruncated, link } from './escape';
import { changeSummary } from './changes';
import { detailsMenu } from './evidence';
import { formatDuration, plural, slackDate } from './format';
import { LIMITS, actions, context, fallback, header, linkButton, section, textLength, type SlackMessage } from './message';
import { countStatuses, formatCounts, formatCountsPlain, progressBar, type StatusCounts } from './progress';
import { runErrorSummary, runErrorText } from './run-error';
import { startedBy, titleLine } from './origin';
import { renderReruns } from './reruns';
import { renderRows } from './rows';
import { SIZE_CAPS, type MessageSize } from './size';
import { targetLabel, triggeringLine } from './target-label';

export interface RenderRunOptions {
  /** Epoch milliseconds; stands in for `finishedAt` when a final run lacks one. */
  now: number;
  /** Whether to show Cancel and Rerun buttons (the link to Checkly is always shown). */
  interactive: boolean;
  /** The run's results in the Checkly web app, for the link button and "see Checkly". */
  checklyAppUrl?: string;
  /** How much to show (default 'full', within 10,000 characters of text); smaller when Slack refused it. */
  size?: MessageSize;
}

const ACTIONS_BLOCK_ID = 'run_actions';

export function renderRun(run: Run, opts: RenderRunOptions): SlackMessage {
  const counts = countStatuses(run.sessions);
  // Blocks added under the context (a line about reruns) go into `head`: the rows' cap follows.
  const head: KnownBlock[] = [header(`Checkly run: ${targetLabel(run)}`), runContext(run, opts.now), ...renderReruns(run.reruns)];
  const buttons: ActionsBlockElement[] = runButtons(run, counts, opts);
  // A final run's failing checks: one "Details…" menu rather than a button per row (blocks and text stay small).
  const menu = opts.interactive && run.phase !== 'running' ? detailsMenu(run) : undefined;
  if (menu) buttons.push(menu);
  // An over run's "…": pin its target to one's Home tab (or unpin it).
  if (opts.interactive && offersNextSteps(run)) buttons.push(runMoreMenu(run.id));
  const tail: KnownBlock[] = buttons.length > 0 ? [actions(ACTIONS_BLOCK_ID, buttons)] : [];
  const body = runBody(run, counts, opts, {
    blocks: LIMITS.blocks - head.length - tail.length,
    text: SIZE_CAPS[opts.size ?? 'full'].text - textLength(head) - textLength(tail),
  });
  return { text: runFallback(run, counts), blocks: [...head, ...body, ...tail] };
}

/** Who, how many, when, and how long. */
function runContext(run: Run, now: number): KnownBlock {
  const title = titleLine(run);
  const parts = [...(title !== undefined ? [title] : []), startedBy(run)];
  if (run.sessions.length > 0) parts.push(plural(run.sessions.length, 'check'));
  parts.push(`started ${slackDate(run.createdAt)}`);
  if (run.phase === 'final') parts.push(`took ${formatDuration((run.finishedAt ?? now) - run.createdAt)}`);
  return context(parts);
}

/** Everything between the context and the buttons; within `room` (blocks, characters of text). */
function runBody(run: Run, counts: StatusCounts, opts: RenderRunOptions, room: { blocks: number; text: number }): KnownBlock[] {
  switch (run.phase) {
    case 'triggering':
      return [section(triggeringLine(run.target))];
    case 'error':
      return [section(runErrorText(run.error, run.target))];
    case 'running':
    case 'final':
    case 'abandoned': {
      const progress = section(`${progressBar(counts)}  ${formatCounts(counts)}`);
      const changes = changeSections(run);
      const note = run.phase === 'abandoned' ? [section(abandonedText(run, counts, opts))] : [];
      const rows = renderRows(run.sessions, {
        runId: run.id,
        maxBlocks: room.blocks - 1 - changes.length - note.length,
        maxText: room.text - textLength([progress, ...changes, ...note]),
        errorMax: SIZE_CAPS[opts.size ?? 'full'].errorMax,
        rerunButtons: opts.interactive && run.phase !== 'running',
        moreLink: opts.checklyAppUrl,
        // The thread reply lists every failed check of a final run (see thread.ts).
        listedInThread: run.phase === 'final',
      });
      return [progress, ...changes, ...rows, ...note];
    }
  }
}

/** The line saying which failures are new (blocks/changes.ts), when the run can tell. */
function changeSections(run: Run): KnownBlock[] {
  const summary = changeSummary(run);
  return summary !== undefined ? [section(summary)] : [];
}

function abandonedText(run: Run, counts: StatusCounts, opts: RenderRunOptions): string {
  const after = run.finishedAt !== undefined ? ` after ${formatDuration(run.finishedAt - run.createdAt)}` : '';
  const url = checklyUrl(run, opts);
  const see = url !== undefined ? link(url, 'See Checkly') : 'See Checkly';
  return `⏹️ Stopped following${after}: ${plural(counts.running, 'check')} still had no final result. ${see}.`;
}

/** The run's results in Checkly: the one session itself, or the run's page, or the first session. */
function checklyUrl(run: Run, opts: RenderRunOptions): string | undefined {
  const [first] = run.sessions;
  if (run.sessions.length === 1 && first !== undefined) return first.link;
  return opts.checklyAppUrl ?? first?.link;
}

function runButtons(run: Run, counts: StatusCounts, opts: RenderRunOptions): Button[] {
  const buttons: Array<Button | undefined> = [];
  if (opts.interactive && run.phase === 'running' && counts.running > 0) {
    buttons.push(cancelButton(run.id, counts.running));
  }
  if (opts.interactive && offersNextSteps(run)) {
    const scope = rerunFailedScope(run);
    if (scope.checkIds.length > 0) buttons.push(rerunFailedButton(run.id, scope.checkIds.length, scope.degraded));
    const started = new Set(run.sessions.map((s) => s.checkId)).size;
    buttons.push(rerunAllButton(run.id, started > 0 ? started : knownChecks(run)));
  }
  buttons.push(linkButton(ACTION_OPEN, 'Open in Checkly', checklyUrl(run, opts)));
  return buttons.filter((b): b is Button => b !== undefined);
}

/** How many checks a run without sessions names: its check IDs when it names nothing else. */
function knownChecks(run: Run): number | undefined {
  const { target } = run;
  return !target.all && target.tags.length === 0 && target.checkIds.length > 0 ? target.checkIds.length : undefined;
}

/**
 * Over for what its message offers: final, abandoned, or cut off while starting (which may or may not
 * have started its checks: a Rerun starts them afresh).
 */
function offersNextSteps(run: Run): boolean {
  const cutOff = run.phase === 'error' && (run.error?.kind === 'interrupted' || run.error?.kind === 'not_started' || run.error?.kind === 'not_posted');
  return run.phase === 'final' || run.phase === 'abandoned' || cutOff;
}

/** The run in one line, as its message's fallback text says it (a workflow step's `summary`). */
export function runSummaryLine(run: Run): string {
  return runFallback(run, countStatuses(run.sessions));
}

/** One line: "Checkly run prod,api: 7 passed, 2 failed, 3 running (12 checks)". */
function runFallback(run: Run, counts: StatusCounts): string {
  const label = escapeTruncated(targetLabel(run), 300);
  switch (run.phase) {
    case 'triggering':
      return fallback(`Checkly run ${label}: triggering checks…`);
    case 'error':
      return fallback(`Checkly run ${label} could not start: ${escapeTruncated(runErrorSummary(run.error, run.target), 600)}`);
    case 'abandoned':
      return fallback(`Checkly run ${label}: ${formatCountsPlain(counts)}; stopped following before every check finished`);
    default:
      return fallback(`Checkly run ${label}: ${formatCountsPlain(counts)}`);
  }
}
