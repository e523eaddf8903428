import type { AllMiddlewareArgs, SlackOptionsMiddlewareArgs } from '@slack/bolt';
import { ACTION_CHECKS, ACTION_GROUPS, checkOptions, groupOptions, tagOptions } from '../blocks/picker';
import { searchChecks } from '../catalogue/model';
import type { PickerDeps } from './deps';
import { within } from './status';
import { searchProblem } from '../grammar/parse';

type OptionsArgs = SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs;

/** Slack shows nothing after 3 s; answering empty before that beats answering late. */
const WAIT_MS = 2500;

/** Type-ahead of the picker's tags, groups and checks: at most 100 options, from the cache. */
export function pickerOptions(deps: PickerDeps) {
  return async ({ ack, payload }: OptionsArgs): Promise<void> => {
    const query = typeof payload.value === 'string' ? payload.value : '';
    // Too long or with control characters: no option can match, and the search is not worth running.
    if (searchProblem(query) !== undefined) {
      await ack({ options: [] });
      return;
    }
    const served = deps.catalogue.peek() ?? (await within(deps.catalogue.get(), WAIT_MS).catch(() => undefined));
    if (!served) {
      await ack({ options: [] });
      return;
    }
    const catalogue = served.value;
    const options =
      payload.action_id === ACTION_CHECKS
        ? checkOptions(searchChecks(catalogue.checks, query))
        : payload.action_id === ACTION_GROUPS
          ? groupOptions(catalogue.groups, query)
          : tagOptions(catalogue.tags, query);
    await ack({ options: deps.secrets.scrub(options) });
  };
}
