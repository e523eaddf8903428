import type { App } from '@slack/bolt';
import { CALLBACK_PICKER } from '../blocks/picker';
import type { FindDeps } from '../listener-deps';
import { pickerSubmit } from './picker-submit';

export function registerViews(app: App, deps: FindDeps): void {
  app.view(CALLBACK_PICKER, pickerSubmit(deps));
}
