/** The picker (`/checkly` alone): its inputs changing, their type-ahead, and its Run. The command opens it (open.ts). */
import type { App } from '@slack/bolt';
import { ACTION_RELOAD, CALLBACK_PICKER, PICKER_INPUT_ACTIONS } from '../blocks/picker';
import { pickerChangeAction } from './change';
import type { PickerDeps } from './deps';
import { pickerOptions } from './options';
import { pickerSubmit } from './submit';

export function registerPicker(app: App, deps: PickerDeps): void {
  for (const actionId of PICKER_INPUT_ACTIONS) app.action(actionId, pickerChangeAction(deps));
  app.action(ACTION_RELOAD, pickerChangeAction(deps, true));
  // External selects ask here for their options (block_suggestion).
  for (const actionId of PICKER_INPUT_ACTIONS) app.options({ action_id: actionId }, pickerOptions(deps));
  app.view(CALLBACK_PICKER, ...pickerSubmit(deps));
}
