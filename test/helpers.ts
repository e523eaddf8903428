/**
 * Helpers every test may use, in one place: free ports, waits, and Bolt's way of running a
 * listener's middleware.
 */
import type { AllMiddlewareArgs, AnyMiddlewareArgs, Middleware } from '@slack/bolt';

export { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs a listener's middleware in order, as Bolt does: each goes on only when the one before called
 * `next`, all with one context.
 */
export async function runChain<Args extends AnyMiddlewareArgs>(
  chain: ReadonlyArray<Middleware<Args>>,
  args: Omit<Args & AllMiddlewareArgs, 'next' | 'context'> & { context?: AllMiddlewareArgs['context'] },
): Promise<void> {
  const context = args.context ?? ({} as AllMiddlewareArgs['context']);
  const at = async (i: number): Promise<void> => {
    const middleware = chain[i];
    if (middleware) await middleware({ ...args, context, next: () => at(i + 1) } as unknown as Args & AllMiddlewareArgs);
  };
  await at(0);
}
