import type { App } from '@slack/bolt';
import { PICKER_INPUT_ACTIONS } from '../blocks/picker';
import type { FindDeps } from '../listener-deps';
import { pickerOptions } from './picker-options';

/** External selects ask here for their options (block_suggestion). */
export function registerOptions(app: App, deps: FindDeps): void {
  for (const actionId of PICKER_INPUT_ACTIONS) app.options({ action_id: actionId }, pickerOptions(deps));
}
