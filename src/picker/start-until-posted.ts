import type { PickerDeps } from './deps';
import { within } from './status';
import type { Unreachable } from '../runs/ports';
import type { RunRequest, StartResult } from '../runs/runner';
import { errorText } from '../shared/error-text';

export type Posting =
  | { kind: 'posted' }
  | { kind: 'unreachable'; why: Unreachable }
  /** Starting failed before the message was posted (a store error): nothing was triggered. */
  | { kind: 'failed' }
  /** Slack has not taken the post within the wait; the run goes on. */
  | { kind: 'pending' };

/**
 * Starts a run and waits only until its message is posted (or the bot turned out unable to post),
 * at most `waitMs`: a modal must answer Slack within 3 s, while the trigger may take longer.
 * `settled` is the same answer without the limit.
 */
export async function startUntilPosted(
  deps: Pick<PickerDeps, 'runs' | 'logger'>,
  request: Omit<RunRequest, 'onPosted'>,
  waitMs: number,
): Promise<{ posting: Posting; settled: Promise<Posting>; done: Promise<StartResult | undefined> }> {
  let reportPosted: (posting: Posting) => void = () => undefined;
  const posted = new Promise<Posting>((resolve) => {
    reportPosted = resolve;
  });
  const done = deps.runs
    .start({ ...request, onPosted: (p) => reportPosted('unreachable' in p ? { kind: 'unreachable', why: p.unreachable } : { kind: 'posted' }) })
    .catch((err: unknown) => {
      deps.logger.error({ err: errorText(err), channel: request.channel }, 'starting a run from the picker failed');
      return undefined;
    });
  // A start that ends without ever posting failed before its message.
  const ended = done.then((): Posting => ({ kind: 'failed' }));
  const settled = Promise.race([posted, ended]);
  const posting = (await within(settled, waitMs)) ?? { kind: 'pending' };
  return { posting, settled, done };
}
