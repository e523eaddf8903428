/**
 * The right forms of `/checkly`, shown with parse errors and by help. mrkdwn text; the command name
 * is passed in because a second app (staging) may answer to another one (`SLACK_COMMAND`).
 */

export const DEFAULT_COMMAND = '/checkly';

export function runUsage(command: string = DEFAULT_COMMAND): string {
  return [
    `\`${command} run <tag expression>\` runs the checks matching the tags: \`prod,api staging\` means (prod AND api) OR staging, \`!flaky\` leaves a tag out, quotes keep spaces: \`"eu west",web\``,
    `\`${command} run --check <uuid> [--check <uuid> ...]\` runs these checks (or \`--check <uuid>,<uuid>\`)`,
    `\`${command} run --all\` runs every check`,
    'Add `--refresh-cache` to have Checkly refresh its check cache first.',
  ].join('\n');
}

export function statusUsage(command: string = DEFAULT_COMMAND): string {
  return `\`${command} status\` lists the runs still in progress in this channel`;
}

function pickUsage(command: string = DEFAULT_COMMAND): string {
  return `\`${command}\` (or \`${command} run\` alone) opens a form to pick checks by tag, group or name`;
}

export function checksUsage(command: string = DEFAULT_COMMAND): string {
  return `\`${command} checks <words>\` lists the checks whose name or tags contain the words, with a Run button each`;
}

export function failingUsage(command: string = DEFAULT_COMMAND): string {
  return `\`${command} failing\` lists the checks failing or degraded right now, with Run buttons`;
}

export function historyUsage(command: string = DEFAULT_COMMAND): string {
  return `\`${command} history <target>\` shows the last 10 runs of a target in this channel as a grid, a row per check (the target as \`run\` takes it)`;
}

export function helpUsage(command: string = DEFAULT_COMMAND): string {
  return [
    pickUsage(command),
    runUsage(command),
    checksUsage(command),
    failingUsage(command),
    statusUsage(command),
    `\`${command} alerts on <tag expression>\` sends the matching checks' alerts to this channel (\`alerts off\`, \`alerts\`: see docs/alerts.md)`,
    historyUsage(command),
    `\`${command} help\` shows this`,
  ].join('\n');
}
