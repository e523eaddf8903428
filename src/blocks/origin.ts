/**
 * Who or what started a run, as its message says it: a person by mention, an API token by name
 * ("Started by *deploy-web* via API"), a workflow step (for the person it names), with the title the
 * pipeline or the workflow gave, linked to its job.
 */
import type { Run } from '../runs/types';
import { escapeTruncated, link, mentionUser, oneLine } from './escape';

const TITLE_MAX = 150;
const NAME_MAX = 64;

/** "Triggered by <@U1>", "Started by *deploy-web* via API", or "Started by a workflow (for <@U1>)". */
export function startedBy(run: Pick<Run, 'origin' | 'requester'>): string {
  if (run.origin?.kind === 'api') return `Started by *${escapeTruncated(oneLine(run.origin.token), NAME_MAX)}* via API`;
  if (run.origin?.kind === 'workflow') return `Started by a workflow${run.origin.userId !== undefined ? ` for ${mentionUser(run.origin.userId)}` : ''}`;
  return `Triggered by ${mentionUser(run.requester)}`;
}

/** The run's title, linked to what started it when there is a web link; undefined without a title. */
export function titleLine(run: Pick<Run, 'title' | 'link'>): string | undefined {
  if (run.title === undefined || oneLine(run.title) === '') return undefined;
  return run.link !== undefined ? link(run.link, run.title, TITLE_MAX) : escapeTruncated(oneLine(run.title), TITLE_MAX);
}

/**
 * Whom the failure reply in the thread mentions: the people and groups the run names in `notify`, or
 * else the person who started it. An API run without `notify` pings nobody (its name is plain text).
 */
export function mentionsFor(run: Pick<Run, 'notify' | 'requester'>): string {
  if (run.notify !== undefined && run.notify.length > 0) return run.notify.map(mentionId).join(' ');
  return mentionUser(run.requester);
}

/** `<@U…>` for a user, `<!subteam^S…>` for a user group, escaped text for anything else. */
function mentionId(id: string): string {
  return /^S[A-Z0-9]{2,20}$/.test(id) ? `<!subteam^${id}>` : mentionUser(id);
}
