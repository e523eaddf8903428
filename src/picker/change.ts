import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { choiceFromState, parseMetadata, renderPicker } from '../blocks/picker';
import type { PickerDeps } from './deps';
import { readyStatus, within, type PickerStatus } from './status';
import { platformError } from '../slack/errors';
import { runErrorOf } from '../runs/types';

type ChangeArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

/** How long a change waits for a cold catalogue before leaving the line as it is. */
const WAIT_MS = 2500;

/**
 * A choice in the picker changed: the count line follows it (views.update). With `reload`, the
 * "Reload the list" button: the account's checks are read again first.
 */
export function pickerChangeAction(deps: PickerDeps, reload = false) {
  return async ({ ack, body, client }: ChangeArgs): Promise<void> => {
    await ack();
    const view = body.view;
    const meta = parseMetadata(view?.private_metadata);
    if (!view || !meta) return;
    let status: PickerStatus;
    if (reload) {
      try {
        status = readyStatus(await deps.catalogue.reload(), choiceFromState(view.state.values));
      } catch (err) {
        status = { kind: 'unavailable', said: runErrorOf(err).message };
      }
    } else {
      const served = deps.catalogue.peek() ?? (await within(deps.catalogue.get(), WAIT_MS).catch(() => undefined));
      if (!served) return;
      status = readyStatus(served, choiceFromState(view.state.values));
    }
    // The hash makes Slack refuse this update when a later one got there first.
    await client.views.update({ view_id: view.id, hash: view.hash, view: deps.secrets.scrub(renderPicker(meta, status)) }).catch((err: unknown) => {
      const code = platformError(err);
      if (code !== 'hash_conflict') deps.logger.warn({ code }, 'views.update of the picker count failed');
    });
  };
}
