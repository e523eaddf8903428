import type { CheckResult, CompletedSession, TriggerRequest, TriggeredSession } from '../checkly/types';
import type { Run } from './types';

/** What the run domain needs of Checkly (implemented by ChecklyClient). */
export interface ChecklyPort {
  trigger(request: TriggerRequest): Promise<TriggeredSession[]>;
  awaitCompletion(sessionId: string, maxWaitSeconds: number, signal?: AbortSignal): Promise<CompletedSession | null>;
  getCheckResult(checkId: string, checkResultId: string): Promise<CheckResult>;
  cancel(sessionId: string): Promise<void>;
}

export type Unreachable = 'not_in_channel' | 'channel_not_found';

/** What the run domain needs of the chat: the run's message (implemented over Slack). */
export interface RunMessages {
  /** Posts the run's first message; says so when the bot may not post in the channel. */
  post(run: Run): Promise<{ ts: string } | { unreachable: Unreachable }>;
  /** The run changed: show it, when the update budget allows. */
  changed(run: Run): void;
  /**
   * The run is over: show its final state at once, then tell the requester if anything failed (unless
   * `run.repliedAt` says that was done). One try of each: the runner records what went through and
   * tries the rest again later. Never rejects.
   */
  finished(run: Run): Promise<FinishOutcome>;
}

export interface FinishOutcome {
  /**
   * The message shows the final state now (true), not yet (false: Slack failed, or the app is
   * stopping), or never can ('gone': the message or its channel is gone, or has no ts).
   */
  shown: boolean | 'gone';
  /** The failure reply was posted now, or none is due. */
  replied: boolean;
}
