/**
 * The run message's buttons and their action ids. A button carries only the run id (and, for one
 * row, the check id): the app looks the run up, so values stay small whatever the run's size.
 */
import type { Button, ConfirmationDialog, Overflow } from '@slack/types';
import { plural } from './format';
import { LIMITS } from './message';
import { parseJsonObject } from '../shared/json';

export const ACTION_CANCEL = 'run_cancel';
export const ACTION_RERUN_FAILED = 'run_rerun_failed';
export const ACTION_RERUN_ALL = 'run_rerun_all';
const ACTION_RERUN_CHECK = 'run_rerun_check';
export const ACTION_OPEN = 'run_open';
/** The run message's "…" menu (runMoreMenu). */
export const ACTION_RUN_MORE = 'run_more';
/** Per-row rerun buttons are `run_rerun_check:<n>`: action ids must be unique within a message. */
export const ACTION_RERUN_CHECK_PATTERN = /^run_rerun_check:\d+$/;

export interface ButtonValue {
  run: string;
  check?: string;
}

export function encodeButtonValue(value: ButtonValue): string {
  return JSON.stringify(value.check === undefined ? { run: value.run } : { run: value.run, check: value.check });
}

/** The value back from a click; undefined when it is not one of ours. */
export function parseButtonValue(raw: string | undefined): ButtonValue | undefined {
  const parsed = parseJsonObject(raw);
  if (parsed === undefined) return undefined;
  const { run, check } = parsed;
  if (typeof run !== 'string' || run === '') return undefined;
  if (check === undefined) return { run };
  return typeof check === 'string' && check !== '' ? { run, check } : undefined;
}

/** An action button, or nothing when its value would not fit Slack's limit. */
function actionButton(actionId: string, text: string, value: ButtonValue, extra: Pick<Button, 'style' | 'confirm'> = {}): Button | undefined {
  const encoded = encodeButtonValue(value);
  if (encoded.length > LIMITS.buttonValue || actionId.length > LIMITS.id) return undefined;
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value: encoded, ...extra };
}

export function cancelButton(runId: string, stillRunning: number): Button | undefined {
  const confirm: ConfirmationDialog = {
    title: { type: 'plain_text', text: 'Cancel this run?' },
    text: { type: 'plain_text', text: `Cancel the ${plural(stillRunning, 'check')} still running?` },
    confirm: { type: 'plain_text', text: 'Cancel checks' },
    deny: { type: 'plain_text', text: 'Keep running' },
    style: 'danger',
  };
  return actionButton(ACTION_CANCEL, 'Cancel', { run: runId }, { style: 'danger', confirm });
}

/** A button that starts more checks than this asks first (docs/commands.md#the-run-message). */
export const CONFIRM_ABOVE_CHECKS = 5;

/**
 * "Are you sure?" before a button starts `checks` checks, when they are more than a few or not known
 * (undefined: a run cut off before it had sessions starts whatever its target matches).
 */
export function startConfirm(checks: number | undefined, title: string, confirm: string): ConfirmationDialog | undefined {
  if (checks !== undefined && checks <= CONFIRM_ABOVE_CHECKS) return undefined;
  const what = checks !== undefined ? plural(checks, 'check') : 'every check the run matches';
  return {
    title: { type: 'plain_text', text: title },
    text: { type: 'plain_text', text: `This starts ${what} in Checkly.` },
    confirm: { type: 'plain_text', text: confirm },
    deny: { type: 'plain_text', text: 'Not now' },
  };
}

/** What `Rerun failed` reruns, as its button and the rerun's line on the run say it. */
export function rerunFailedWords(includesDegraded: boolean): string {
  return includesDegraded ? 'failed & degraded' : 'failed';
}

/**
 * "Rerun failed (2)", or "Rerun failed & degraded (3)" when degraded checks are among them: `checks`
 * is what the rerun starts (runs/status.ts rerunFailedScope).
 */
export function rerunFailedButton(runId: string, checks: number, includesDegraded: boolean): Button | undefined {
  const words = rerunFailedWords(includesDegraded);
  const confirm = startConfirm(checks, `Rerun ${checks} checks?`, 'Rerun');
  return actionButton(ACTION_RERUN_FAILED, `Rerun ${words} (${checks})`, { run: runId }, { style: 'primary', ...(confirm && { confirm }) });
}

/** "Rerun all": `checks` is how many the run started (its target may match more or fewer by now); undefined when unknown. */
export function rerunAllButton(runId: string, checks: number | undefined): Button | undefined {
  const confirm = startConfirm(checks, 'Rerun every check?', 'Rerun all');
  return actionButton(ACTION_RERUN_ALL, 'Rerun all', { run: runId }, confirm ? { confirm } : {});
}

/** `index` makes the action id unique among the rows that carry a button. */
export function rerunCheckButton(runId: string, checkId: string, index: number): Button | undefined {
  return actionButton(`${ACTION_RERUN_CHECK}:${index}`, 'Rerun', { run: runId, check: checkId });
}

/** What the "…" menu of a run's message does with the run's target and channel, for the person who chose it. */
export type RunMoreChoice = 'pin' | 'unpin';

/**
 * The run message's "…" menu: pin the run's target, in its channel, to the Home tab of whoever
 * chooses it (docs/commands.md#the-home-tab), or unpin it. Each option carries the run id.
 */
export function runMoreMenu(runId: string): Overflow {
  const option = (choice: RunMoreChoice, text: string) => ({ text: { type: 'plain_text' as const, text }, value: `${choice}:${runId}` });
  return { type: 'overflow', action_id: ACTION_RUN_MORE, options: [option('pin', '📌 Pin to my Home'), option('unpin', 'Unpin from my Home')] };
}

/** The choice back from the menu; undefined when it is not one of ours. */
export function parseRunMoreValue(raw: string | undefined): { choice: RunMoreChoice; run: string } | undefined {
  const match = /^(pin|unpin):(.+)$/.exec(raw ?? '');
  return match ? { choice: match[1] as RunMoreChoice, run: match[2] as string } : undefined;
}
