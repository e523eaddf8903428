/** What the Rerun and Cancel buttons share: acknowledged at once, their run read, and their answers. */
import type { AllMiddlewareArgs, BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { parseButtonValue } from '../blocks/actions';
import type { Run } from '../runs/types';
import type { ButtonDeps } from './deps';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction>;

/** The button's value and the run it names (undefined when the store no longer knows it), as `loadRun` found them. */
export interface Clicked {
  value: NonNullable<ReturnType<typeof parseButtonValue>> | undefined;
  run: Run | undefined;
}

export const clickedOf = (args: { context: AllMiddlewareArgs['context'] }): Clicked => args.context.clicked as Clicked;

/** An ephemeral answer beside the message clicked. */
export function answer(args: ButtonArgs, message: object): Promise<unknown> {
  return args.respond({ response_type: 'ephemeral', replace_original: false, ...message });
}

/**
 * Acknowledges the click, then reads the run its value names into the context. `ok` says whether the
 * value is one this button can act on at all; when it is not, `refuse` answers and nothing goes on.
 */
export function loadRun(deps: ButtonDeps, ok: (value: Clicked['value']) => boolean, refuse: (args: ButtonArgs) => Promise<unknown>): Middleware<ButtonArgs> {
  return async (args) => {
    await args.ack();
    const value = parseButtonValue(args.action.value);
    if (!ok(value)) {
      await refuse(args);
      return;
    }
    const run = value ? await deps.runs.read(value.run) : undefined;
    args.context.clicked = { value, run } satisfies Clicked;
    await args.next();
  };
}

/** The channel a click came from, or the run's own when Slack did not say. */
export function channelOf(args: ButtonArgs, run: Run | undefined): string {
  return args.body.channel?.id ?? run?.channel ?? '';
}
