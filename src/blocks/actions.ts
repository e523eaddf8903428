/**
 * The run message's buttons and their action ids. A button carries only the run id (and, for one
 * row, the check id): the app looks the run up, so values stay small whatever the run's size.
 */
import type { Button, ConfirmationDialog } from '@slack/types';
import { plural } from './format';
import { LIMITS } from './message';
import { parseJsonObject } from '../shared/json';

export const ACTION_CANCEL = 'run_cancel';
export const ACTION_RERUN_FAILED = 'run_rerun_failed';
export const ACTION_RERUN_ALL = 'run_rerun_all';
const ACTION_RERUN_CHECK = 'run_rerun_check';
export const ACTION_OPEN = 'run_open';
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

export function rerunFailedButton(runId: string, failed: number): Button | undefined {
  return actionButton(ACTION_RERUN_FAILED, `Rerun failed (${failed})`, { run: runId }, { style: 'primary' });
}

export function rerunAllButton(runId: string): Button | undefined {
  return actionButton(ACTION_RERUN_ALL, 'Rerun all', { run: runId });
}

/** `index` makes the action id unique among the rows that carry a button. */
export function rerunCheckButton(runId: string, checkId: string, index: number): Button | undefined {
  return actionButton(`${ACTION_RERUN_CHECK}:${index}`, 'Rerun', { run: runId, check: checkId });
}
