/** What the run message says when the trigger failed: what Checkly said, and what to do about it. */
import type { RunError, Target } from '../runs/types';
import { describeTarget } from '../grammar/describe';
import { codeSpan } from './escape';

const SAID_MAX = 500;

interface ErrorText {
  /** mrkdwn, shown in the message. */
  advice: string;
  /** Plain words for the fallback text (escaped by the caller). */
  summary: string;
}

function explain(error: RunError | undefined, target: Target): ErrorText {
  switch (error?.kind) {
    case 'interrupted':
      return {
        advice:
          'The app restarted while it was asking Checkly to start these checks. ' +
          '*Checkly may have started them*, and the app cannot know which: see Checkly for their results, ' +
          'or rerun them from here.',
        summary: 'the app restarted while starting this run; Checkly may have started these checks',
      };
    case 'not_started':
      return {
        advice: 'The app restarted before it asked Checkly to start these checks: *nothing was started*. Run them again.',
        summary: 'the app restarted before starting this run; nothing was started',
      };
    case 'not_posted':
      return {
        advice:
          'Slack did not answer in time when the app posted this run’s message, so the app did not ask Checkly to start these checks: ' +
          '*nothing was started*. If an earlier message for this run still says it is starting, it is this run. Run them again.',
        summary: 'Slack did not answer in time when this run’s message was posted; nothing was started',
      };
    case 'not_found': {
      const expression = target.all ? '--all' : describeTarget(target);
      return {
        advice:
          `No check matches ${codeSpan(expression, 500)}.\n` +
          'Check the tags (or check IDs) in Checkly: `prod,api` needs both tags on the same check, ' +
          '`prod api` matches either, and only activated checks run.',
        summary: `no check matches ${expression}`,
      };
    }
    case 'unauthorized':
      return {
        advice:
          'Checkly did not accept the API key or the account ID. ' + 'Ask an admin to check `CHECKLY_API_KEY` and `CHECKLY_ACCOUNT_ID` in the app’s settings.',
        summary: 'Checkly did not accept the API key or account ID',
      };
    case 'forbidden':
      return {
        advice: 'The API key is not allowed to run these checks. ' + 'Ask an admin for a key with permission to trigger checks in `CHECKLY_API_KEY`.',
        summary: 'the API key is not allowed to run these checks',
      };
    case 'payment_required':
      return {
        advice: 'Your Checkly plan does not allow this run: a plan limit was reached. Ask an account owner to check the plan.',
        summary: 'a Checkly plan limit was reached',
      };
    case 'rate_limited':
      return {
        advice: 'Checkly is receiving too many requests from this account. Try again in a minute.',
        summary: 'Checkly is rate limiting; try again in a minute',
      };
    case 'server':
      return {
        advice: 'Checkly is unavailable right now. Try again later.',
        summary: 'Checkly is unavailable; try again later',
      };
    case 'network':
      return {
        advice: 'Could not reach Checkly. Try again later.',
        summary: 'could not reach Checkly; try again later',
      };
    case 'bad_request':
      return {
        advice: 'Checkly rejected the request.',
        summary: `Checkly rejected the request: ${error.message}`,
      };
    default:
      return { advice: 'Something went wrong while starting this run. Try again later.', summary: 'something went wrong' };
  }
}

/** The error as mrkdwn lines for one section. */
export function runErrorText(error: RunError | undefined, target: Target): string {
  if (error?.kind === 'interrupted' || error?.kind === 'not_started' || error?.kind === 'not_posted') {
    return ['⚠️ *This run was cut off while starting.*', explain(error, target).advice].join('\n');
  }
  const lines = ['❌ *Checkly could not start this run.*', explain(error, target).advice];
  if (error !== undefined && error.message.trim() !== '') {
    const status = error.status !== undefined ? ` (HTTP ${error.status})` : '';
    // A network error never reached Checkly, so nothing was "said".
    const label = error.kind === 'network' ? 'Error' : 'Checkly said';
    lines.push(`${label}: ${codeSpan(error.message, SAID_MAX)}${status}`);
  }
  return lines.join('\n');
}

/** Plain words for the fallback text; not escaped. */
export function runErrorSummary(error: RunError | undefined, target: Target): string {
  return explain(error, target).summary;
}
