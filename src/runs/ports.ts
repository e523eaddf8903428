import type { RunBefore } from './changes';
import type { FinalSession, LocationResult, ResultDetail, Run, Session, Target } from './types';

/**
 * What the runner needs of Checkly: start a target's sessions, cancel one. Both fail with a
 * `RunFailure` (implemented in checkly/sessions.ts, over ChecklyClient).
 */
export interface SessionStarter {
  /** Starts the sessions of every check the target matches, as the run records them. */
  start(target: Target, refreshCache: boolean): Promise<Session[]>;
  cancel(sessionId: string): Promise<void>;
}

/** What the follower needs of Checkly while it follows sessions (implemented in checkly/sessions.ts). */
export interface SessionWatcher {
  /**
   * The session once final, or null when it is still running after `maxWaitSeconds`. Fails with
   * `SessionGone` when Checkly no longer knows the session.
   */
  awaitFinal(sessionId: string, maxWaitSeconds: number, signal?: AbortSignal): Promise<FinalSession | null>;
  /** The first line of the first error in one location's result. */
  errorLine(checkId: string, resultId: string): Promise<string | undefined>;
}

/** What the failure evidence needs of Checkly (implemented in checkly/result-detail.ts). */
export interface EvidencePort {
  /** What one result says about its failure; fails with `ResultGone` when Checkly no longer has it. */
  resultDetail(checkId: string, resultId: string, signal?: AbortSignal): Promise<ResultDetail>;
  /** The bytes (at most `maxBytes`) of a result's PNG screenshot, or undefined when it has none. */
  screenshot(checkId: string, resultId: string, maxBytes: number): Promise<Buffer | undefined>;
}

/**
 * What the Details modal reads of Checkly, a person waiting (implemented in checkly/result-detail.ts).
 * Fails with a `RunFailure`; `resultDetail` with `ResultGone` when Checkly no longer has the result.
 */
export interface ResultReader {
  /** Where a session's results are, for a session the run does not know them for (a run from before the app kept them). */
  sessionResults(sessionId: string): Promise<LocationResult[]>;
  resultDetail(checkId: string, resultId: string): Promise<ResultDetail>;
}

/**
 * Slack refused a run's message for its channel, and no retry changes that: Slack's error code.
 * `not_in_channel` an invite fixes; `channel_not_found`, `is_archived`, `restricted_action` and the
 * like name a conversation the bot cannot post in (slack/errors.ts, channelRefusal). Nothing is
 * triggered for a run whose message could not be posted.
 */
export type Unreachable = string;

/** Links to run messages, for answers that point at one (implemented over Slack's chat.getPermalink). */
export interface Permalinks {
  /** The message's permalink, or undefined when the chat cannot give one now. Never rejects. */
  of(channel: string, ts: string): Promise<string | undefined>;
}

export interface PostOptions {
  /**
   * The caller answers only once the message is posted (the HTTP API): post at once, rather than
   * after the requests already waiting, which commands let go first.
   */
  answerWaits?: boolean;
}

/**
 * A run's message, just posted: its ts, and a digest of what it shows, which the caller keeps with
 * the run in the same write as the ts (the process that follows the run then sends no duplicate).
 */
export interface Posted {
  ts: string;
  shownDigest?: string;
}

/**
 * The chat did not answer a post in time: the message may be in the channel or not, and its ts is
 * unknown. Posting it again could show it twice.
 */
export interface Unanswered {
  unanswered: true;
}

/** What the run domain needs of the chat: the run's message (implemented over Slack). */
export interface RunMessages {
  /**
   * Posts the run's first message; says so when the bot may not post in the channel, or when the
   * chat did not answer in time.
   */
  post(run: Run, options?: PostOptions): Promise<Posted | { unreachable: Unreachable } | Unanswered>;
  /**
   * The run changed: show it, when the update budget allows. Resolves once an update after this call
   * was answered, with the digest of what the message shows when this call's update went out (the
   * runner keeps it with the run), or undefined when nothing new was sent. Never rejects.
   */
  changed(run: Run, options?: ChangeOptions): Promise<string | undefined>;
  /**
   * The run is over: show its final state at once, then tell the requester if anything failed (unless
   * `run.repliedAt` says that was done). One try of each: the runner records what went through and
   * tries the rest again later. Never rejects.
   */
  finished(run: Run): Promise<FinishOutcome>;
}

export interface ChangeOptions {
  /**
   * Told, before an update of a run in progress is sent, the digest it will show, for the runner to
   * keep with the run first: a process killed between Slack taking the update and its answer then
   * leaves the next follower nothing to resend. Should Slack not take it, the run's next state (its
   * final state at the latest) is sent anyway.
   */
  beforeSend?: (shownDigest: string) => Promise<void>;
}

export interface FinishOutcome {
  /**
   * The message shows the final state now (true), not yet (false: Slack failed, or the app is
   * stopping), or never can ('gone': the message or its channel is gone, or has no ts).
   */
  shown: boolean | 'gone';
  /** The failure reply was posted now, or none is due. */
  replied: boolean;
  /** Digest of what the message shows, when the final state went out now (kept with the run). */
  shownDigest?: string;
  /**
   * What goes into the thread after the reply (the failure screenshots), still on its way: 'added';
   * 'handed_over' when this process stopped first (the runner marks the run for the next one);
   * 'failed' (logged, nothing to record). Absent when nothing is to be added.
   */
  added?: Promise<AfterReply>;
}

/** How the additions to a failure reply went (see FinishOutcome.added). */
export type AfterReply = 'added' | 'handed_over' | 'failed';

/**
 * Checkly's view of every check just before a run (implemented over GET /v1/check-statuses and the
 * alerts' since when): what tells a new failure from an old one (runs/changes.ts). Rejects when it
 * cannot be read.
 */
export interface CheckStates {
  read(): Promise<NonNullable<RunBefore['checks']>>;
}
