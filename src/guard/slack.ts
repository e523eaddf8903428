/**
 * The guard as Bolt listener middleware: a listener is registered after it (`app.action(id,
 * ...loaders, guarded(deps, asked, refuse), listener)`), and runs only when access is allowed.
 */
import type { AllMiddlewareArgs, AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Refusal } from '../access/policy';
import { guard, type Asked, type GuardDeps } from './index';

/**
 * `asked` reads what is asked from the request (and what earlier middleware put in its context);
 * undefined lets the request through unchecked (nothing in it acts). `refuse` answers a refusal the
 * way this kind of request is answered (an acknowledgement, an ephemeral note, a modal's errors).
 */
export function guarded<Args extends AnyMiddlewareArgs>(
  deps: GuardDeps,
  asked: (args: Args & AllMiddlewareArgs) => Asked | undefined,
  refuse: (args: Args & AllMiddlewareArgs, refusal: Refusal) => Promise<void>,
): Middleware<Args> {
  return async (args) => {
    const what = asked(args);
    if (what === undefined || (await guard(deps, what, (refusal) => refuse(args, refusal)))) await args.next();
  };
}
