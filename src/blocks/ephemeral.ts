/** Answers only the person who typed the command sees: help, input errors, "triggering…", status. */
import type { KnownBlock } from '@slack/types';
import { helpUsage } from '../grammar/usage';
import type { Run, Target } from '../runs/types';
import { codeSpan, escapeMrkdwn, escapeTruncated, link, mentionUser, oneLine } from './escape';
import { formatDuration, plural } from './format';
import { LIMITS, fallback, section, textLength, type SlackMessage } from './message';
import { countStatuses, formatCounts } from './progress';
import { SIZE_CAPS } from './size';
import { targetLabel, triggeringLine } from './target-label';

/** The examples of docs/commands.md#the-command: what typed tags select. */
const EXAMPLES: ReadonlyArray<[string, string]> = [
  ['run prod', 'checks tagged prod'],
  ['run prod,api staging', 'checks tagged both prod and api, or tagged staging'],
  ['run prod,!flaky', 'checks tagged prod but not flaky'],
  ['run "eu west",web', 'checks tagged both "eu west" and web'],
];

function command(commandName: string, args = ''): string {
  return codeSpan(args === '' ? commandName : `${commandName} ${args}`, 200);
}

/** Usage and examples; `unknown` is a subcommand that was typed but does not exist. */
export function renderHelp(commandName: string, unknown?: string): SlackMessage {
  const intro =
    unknown !== undefined
      ? `${codeSpan(unknown, 60)} is not a ${command(commandName)} command. Here is what is:`
      : `*${escapeTruncated(commandName, 50)}* runs your Checkly checks from Slack:`;
  // The usage text is mrkdwn with literal `<uuid>` placeholders, which Slack would read as links.
  const usage = escapeMrkdwn(helpUsage(commandName));
  const examples = EXAMPLES.map(([args, meaning]) => `• ${command(commandName, args)}: ${escapeMrkdwn(meaning)}`);
  return {
    text: fallback(
      escapeTruncated(
        `${commandName} help: ${commandName} alone opens a form; run <tags>, run --check <id>, run --all, checks <words>, failing, status, history <tags>, help`,
        300,
      ),
    ),
    blocks: [section(intro), section(usage), section(['*Examples*', ...examples].join('\n'))],
  };
}

/** What is wrong with the input (escaped: it quotes the input), then the right form. */
export function renderParseError(problem: string, usage: string, commandName: string): SlackMessage {
  const what = escapeTruncated(problem, 1000);
  return {
    text: fallback(`${escapeTruncated(oneLine(problem), 1000)} Nothing was triggered.`),
    blocks: [
      section(`⚠️ ${what}\nNothing was triggered.`),
      section(`*Usage*\n${escapeTruncated(usage, 2500)}`),
      section(`All commands: ${command(commandName, 'help')}`),
    ],
  };
}

export function renderTriggering(target: Target): SlackMessage {
  const line = triggeringLine(target);
  return { text: fallback(line), blocks: [section(line)] };
}

/**
 * The bot cannot post where the command was typed (`error`: Slack's refusal, runs/ports.ts
 * Unreachable): nothing was triggered, and how to fix it.
 */
export function renderNotInChannel(commandName: string, error: string): SlackMessage {
  if (error !== 'not_in_channel' && error !== 'channel_not_found') {
    const why = `Slack does not let me post in this conversation (${codeSpan(error, 66)}): it may be archived, read-only, or closed to apps by a workspace setting.`;
    return {
      text: fallback(`${why} Nothing was triggered.`),
      blocks: [section(`⚠️ ${why} Nothing was triggered.\nRun ${command(commandName, 'run …')} in another channel.`)],
    };
  }
  const why =
    error === 'not_in_channel'
      ? 'I can’t post in this channel because I’m not a member of it.'
      : 'I can’t see this conversation: private channels and direct messages need an invite before I can post there.';
  const fix =
    `Invite me with \`/invite @Checkly\`, then run ${command(commandName, 'run …')} again. ` +
    'In a direct message between people, run the command in a channel instead.';
  return { text: fallback(`${why} Nothing was triggered.`), blocks: [section(`⚠️ ${why} Nothing was triggered.\n${fix}`)] };
}

/** The run could not be started for a reason of ours; say so rather than stay silent. */
export function renderStartFailed(): SlackMessage {
  const line = '⚠️ Something went wrong while starting this run. If no run message appears in the channel, try again in a minute.';
  return { text: fallback(line), blocks: [section(line)] };
}

/** The run's message got no answer from Slack in time: it may be in the channel, but nothing was triggered. */
export function renderRunNotPosted(): SlackMessage {
  const line =
    '⚠️ Slack did not answer in time when I posted this run’s message, so nothing was triggered. ' +
    'A message for this run may still appear in the channel; it will say the same. Try again in a minute.';
  return { text: fallback(line), blocks: [section(line)] };
}

const STATUS_LINE_RUNS = 200;

/**
 * `/checkly status`: the runs still in progress, each with its progress and a link to its message.
 * `permalinks` maps run ids to their message's permalink.
 */
export function renderStatus(runs: readonly Run[], now: number, permalinks: Readonly<Record<string, string>> = {}): SlackMessage {
  const inProgress = runs.filter((r) => r.phase === 'triggering' || r.phase === 'running');
  if (inProgress.length === 0) {
    const line = 'No runs in progress in this channel.';
    return { text: line, blocks: [section(line)] };
  }
  const lines = inProgress.slice(0, STATUS_LINE_RUNS).map((run) => statusLine(run, now, permalinks[run.id]));
  const blocks: KnownBlock[] = [section(`*${plural(inProgress.length, 'run')} in progress in this channel*`)];
  // Leave one block and the room of the "more" line; stay within the text cap of a full message.
  const maxBlocks = LIMITS.blocks - 1;
  let text = textLength(blocks) + `…and ${plural(inProgress.length, 'more run')}`.length;
  let pending: string[] = [];
  let shown = 0;
  for (const line of lines) {
    const joined = [...pending, line].join('\n');
    if (text + line.length + 1 > SIZE_CAPS.full.text) break;
    if (joined.length <= LIMITS.sectionText) {
      pending.push(line);
    } else {
      if (blocks.length + 1 >= maxBlocks) break;
      blocks.push(section(pending.join('\n')));
      pending = [line];
    }
    text += line.length + 1;
    shown += 1;
  }
  if (pending.length > 0) blocks.push(section(pending.join('\n')));
  const more = inProgress.length - shown;
  if (more > 0) blocks.push(section(`…and ${plural(more, 'more run')}`));
  return { text: fallback(`${plural(inProgress.length, 'run')} in progress in this channel`), blocks };
}

function statusLine(run: Run, now: number, permalink: string | undefined): string {
  const label = targetLabel(run);
  const title = permalink !== undefined ? link(permalink, label, 150) : escapeTruncated(oneLine(label), 150);
  const progress = run.phase === 'triggering' ? 'triggering…' : formatCounts(countStatuses(run.sessions));
  return `• *${title}*: ${progress}, running for ${formatDuration(Math.max(0, now - run.createdAt))}, by ${mentionUser(run.requester)}`;
}
