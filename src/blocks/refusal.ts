/** The ephemeral answer to a refused command or click. */
import { fallback, section, type SlackMessage } from './message';

/** `reason` is the access decision's (already mrkdwn). */
export function renderRefusal(reason: string): SlackMessage {
  return { text: fallback(reason), blocks: [section(reason)] };
}
