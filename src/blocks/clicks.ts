/** Ephemeral answers to clicks on a run message's buttons: only the clicker sees them. */
import type { RerunSummary, RunError, Target } from '../runs/types';
import { codeSpan, mentionUser } from './escape';
import { fallback, section, type SlackMessage } from './message';
import { runErrorText } from './run-error';
import { rerunLine } from './reruns';

function note(text: string): SlackMessage {
  return { text: fallback(text.replace(/[*`]/g, '')), blocks: [section(text)] };
}

export function renderRerunInProgress(ref: RerunSummary, permalink?: string): SlackMessage {
  const where = permalink ? `<${permalink}|See it in the thread>` : 'See it in the thread';
  return note(`That rerun is already in progress, started by ${mentionUser(ref.requester)}. ${where}.\n${rerunLine(ref)}`);
}

export function renderUnknownRun(commandName: string): SlackMessage {
  return note(
    'This app no longer knows that run: it may be older than the retention period, or from another ' +
      `deployment of the app. Start a new one with ${codeSpan(`${commandName} run <tags>`, 100)}.`,
  );
}

export function renderNothingToRerun(): SlackMessage {
  return note('Nothing in this run failed, so there is nothing to rerun. Use *Rerun all* to run every check again.');
}

export function renderRerunNotPosted(): SlackMessage {
  return note('*The rerun did not start:* its message could not be posted in this channel, so nothing was triggered. You can click again.');
}

export function renderRunNotRunning(): SlackMessage {
  return note('This run has finished already: there is nothing left to cancel.');
}

export function renderClickFailed(action: 'rerun' | 'cancel', error: RunError, target: Target): SlackMessage {
  const what = action === 'rerun' ? 'The rerun did not start' : 'Not every check could be cancelled';
  return note(`*${what}.* The message is unchanged; you can click again.\n${runErrorText(error, target)}`);
}

export function renderCancelled(count: number): SlackMessage {
  return note(`Cancelling ${count === 1 ? '1 check' : `${count} checks`}; the message shows them as cancelled in a moment.`);
}
