import type { Change, CheckBefore, RunBefore } from './changes';
/** A session's status, Checkly's words (checkly/sessions.ts checks at compile time that they match the spec). */
export type SessionStatus = 'STARTED' | 'PROGRESS' | 'FAILED' | 'PASSED' | 'DEGRADED' | 'PROGRESS_FAILED' | 'PROGRESS_DEGRADED' | 'TIMED_OUT' | 'CANCELLED';

/** The kinds of check Checkly runs (checked against the spec like SessionStatus). */
export type CheckType =
  | 'AGENTIC'
  | 'API'
  | 'BROWSER'
  | 'HEARTBEAT'
  | 'ICMP'
  | 'MULTI_STEP'
  | 'TCP'
  | 'PLAYWRIGHT'
  | 'URL'
  | 'DNS'
  | 'SSL'
  | 'GRPC'
  | 'TRACEROUTE';

/** What a run triggers: the tag expression and/or check IDs of `/checkly run`, or everything. */
export interface Target {
  /** Tag groups as sent in `target.matchTags`: OR of groups, AND inside a group. */
  tags: string[][];
  /** Check UUIDs as sent in `target.checkId`. */
  checkIds: string[];
  /** `--all`: no filter at all. Never true together with tags or checkIds. */
  all: boolean;
}

/** Checkly's view of one check in a run, as far as the app knows it. */
export interface Session {
  sessionId: string;
  checkId: string;
  name: string;
  checkType: CheckType;
  /** Link to the session in the Checkly web app. */
  link: string;
  status: SessionStatus;
  locations: string[];
  /** Milliseconds the session took, once final. */
  timeElapsed?: number;
  /** Locations whose final result failed or degraded. */
  failedLocations: string[];
  /** First line of the first error of a failed or degraded result. */
  error?: string;
  /** For a failed or degraded session: its final result in each location, failing ones first. */
  results?: LocationResult[];
  /** Once final: the check's state just before the run (runs/changes.ts). */
  before?: CheckBefore;
  /** Once final: what the run did to the check; absent when that cannot be told. */
  change?: Change;
  /** For a flaky check: how many of its last runs in this app failed. */
  flaky?: { failed: number; of: number };
  /** Checkly retried it (a failed attempt before its final result): passed only on a retry. */
  retried?: boolean;
}

/** One location's final result, as the session's completion lists it: where to fetch its details. */
export interface LocationResult {
  resultId: string;
  location: string;
  /** The result in the Checkly web app. */
  link: string;
  /** Failed or degraded in this location. */
  failing: boolean;
  /**
   * Degraded by its response time alone: a protocol check over its degradation limit. Checkly keeps
   * no error for such a result, so nothing is read for its row (its response time says why).
   */
  slowOnly?: true;
  /** The time Checkly measured for it (for protocol checks the operation's time, not the whole run), ms. */
  responseTimeMs?: number;
}

export type RunPhase =
  | 'triggering' // message posted, trigger call in flight
  | 'running' // sessions known, some not final
  | 'final' // every session final
  | 'error' // the trigger failed; see `error`
  | 'abandoned'; // stopped following after the run timeout; some sessions never became final

export interface RunError {
  /**
   * Which class of Checkly error: lets renderers say what to do next. 'interrupted': the app lost
   * its process while triggering, so whether Checkly started the checks is unknown; 'not_started':
   * the app lost its process before triggering, so nothing was started; 'not_posted': the chat did
   * not answer the post of the run's message in time, so nothing was started (and a message may be
   * in the channel all the same).
   */
  kind:
    | 'interrupted'
    | 'not_started'
    | 'not_posted'
    | 'bad_request'
    | 'unauthorized'
    | 'payment_required'
    | 'forbidden'
    | 'not_found'
    | 'rate_limited'
    | 'server'
    | 'network';
  /** What Checkly said (already free of secrets), or what went wrong. */
  message: string;
  status?: number;
}

/**
 * A call to Checkly that failed, as the domain sees it: the ports to Checkly throw it, so that the
 * runner never needs to know Checkly's error classes or HTTP statuses.
 */
export class RunFailure extends Error {
  constructor(readonly error: RunError) {
    super(error.message);
    this.name = 'RunFailure';
  }
}

/** What a check result says about a failure (read out of Checkly's result in checkly/result-detail.ts). */
export interface AssertionRow {
  /** `STATUS_CODE`, `JSON_BODY`, `RESPONSE_TIME`, ... */
  source: string;
  property: string;
  comparison: string;
  /** What was expected. */
  target: string;
  /** What came, when Checkly says. */
  actual?: string;
  passed: boolean;
}

export interface ResultDetail {
  location: string;
  outcome: 'failed' | 'degraded' | 'passed' | 'cancelled';
  /** How many runs it took (1 = no retry). */
  attempts?: number;
  /** What the check spent, in ms (the request for API checks, the whole run for browser checks). */
  responseTimeMs?: number;
  /** Error messages, first first; each may span lines. */
  errors: string[];
  /** API checks: the request line only. */
  request?: { method: string; url: string };
  response?: { status?: number; statusText?: string };
  assertions: AssertionRow[];
  /** Browser and multi-step checks: the step (test title or source line) that failed, when Checkly says. */
  failingStep?: string;
  /** The job log's last lines, oldest first. */
  logTail: string[];
}

/** Checkly no longer has a check result. */
export class ResultGone extends Error {
  constructor(
    readonly resultId: string,
    /** What Checkly answered, for the log line. */
    readonly reason: Error,
  ) {
    super(reason.message);
    this.name = reason.name;
  }
}

/** Checkly no longer knows a session: asking again cannot help. */
export class SessionGone extends Error {
  constructor(readonly sessionId: string) {
    super(`session ${sessionId} is gone`);
    this.name = 'SessionGone';
  }
}

/** A session that reached its final status, as the follower needs it. */
export interface FinalSession {
  checkId: string;
  status: SessionStatus;
  timeElapsed: number;
  /** Every location that failed or degraded, once each. */
  failedLocations: string[];
  /** Each location's final result, failing ones first. */
  results: LocationResult[];
  /** Checkly retried it somewhere (a failed ATTEMPT result): a pass was only on a retry. */
  retried?: boolean;
}

/** What a failure says on a run; anything not from a port is not described (it may hold anything). */
export function runErrorOf(err: unknown): RunError {
  return err instanceof RunFailure ? err.error : { kind: 'network', message: 'Unexpected error while talking to Checkly.' };
}

/** What a rerun button reruns. */
export type RerunKind = 'failed' | 'all' | 'check';

/** A rerun started from a run's message, as that message shows it. */
export interface RerunSummary {
  runId: string;
  kind: RerunKind;
  /** One rerun of the same thing at a time: `failed`, `all` or `check:<checkId>`. */
  key: string;
  requester: string;
  /** Epoch milliseconds: a claim stuck in 'triggering' (its process died) expires. */
  startedAt: number;
  /** The rerun's own phase and counts, kept current while it runs. */
  phase: RunPhase;
  total: number;
  passed: number;
  /** Failed, degraded and timed out together (kept for summaries stored before the counts below). */
  failing: number;
  running: number;
  /** Once over: the names of the first few checks that still fail (RERUN_NAMES_KEPT), as its line names them. */
  stillFailing?: string[];
  /** The rerun's counts by status, as its own message counts them (absent in summaries stored before them). */
  failed?: number;
  degraded?: number;
  timedOut?: number;
  cancelled?: number;
  /** A `failed` rerun that included degraded checks (its button said "Rerun failed & degraded"). */
  includesDegraded?: boolean;
}

/**
 * What started a run: a person's slash command, button click or picker form, a machine through the HTTP API
 * with one of the tokens of RUN_API_TOKENS (by its name; the secret is never kept), or a Workflow Builder
 * step (its execution, which is completed when the run ends; the person it runs for, when the step names one).
 */
export type RunOrigin =
  | { kind: 'command'; userId: string }
  | { kind: 'button'; userId: string }
  | { kind: 'modal'; userId: string }
  | { kind: 'api'; token: string }
  | { kind: 'workflow'; executionId: string; userId?: string };

/** One trigger and its message. */
export interface Run {
  id: string;
  teamId: string;
  channel: string;
  /** The run message's timestamp, once posted. */
  ts?: string;
  /** For a rerun: the thread its message lives in (the original run's ts). */
  threadTs?: string;
  requester: string;
  target: Target;
  refreshCache: boolean;
  phase: RunPhase;
  error?: RunError;
  sessions: Session[];
  /** Epoch milliseconds. */
  createdAt: number;
  finishedAt?: number;
  /** For a rerun: the run whose button started it. */
  parentRunId?: string;
  /** Reruns started from this run's message, oldest first. */
  reruns?: RerunSummary[];
  /**
   * Epoch ms when the run's trigger request was sent (after its message was posted): a run still
   * 'triggering' well after this lost its process mid-trigger.
   */
  triggerSentAt?: number;
  /**
   * While 'triggering': the process starting the run (posting and triggering it), which holds it until
   * `until` (epoch ms) and renews that while it lives. A run whose starter is gone was cut off.
   */
  starter?: { id: string; until: number };
  /** Epoch ms of the last try to show the final state that did not go through (retries back off from it). */
  finalTriedAt?: number;
  /** Tries to show the final state that did not go through. */
  finalTries?: number;
  /** Epoch ms when the failure reply was posted in the thread (so that it is posted once). */
  repliedAt?: number;
  /**
   * The failure screenshots still have to go into the thread: the process adding them stopped first
   * and handed them over (the run is unsettled again, so that the next process's sweep adds them).
   */
  screenshotsDue?: boolean;
  /**
   * Epoch ms when the run was settled (see isSettled): its final state seen on the message and
   * its reply posted, or given up on. Unsettled over runs are shown again by the sweep.
   */
  settledAt?: number;
  /**
   * A digest of what the run's message shows, as last sent: a process that takes the run over
   * sends no update that would show the same again.
   */
  shownDigest?: string;
  /** What started the run; absent on runs stored before origins were recorded (a person: `requester`). */
  origin?: RunOrigin;
  /** What the run is about, as its starter said (`Deploy web@4f2c1a9`): shown in the message. */
  title?: string;
  /** A link to what started it (the CI job), shown on the title. */
  link?: string;
  /** Slack users (U…, W…) and user groups (S…) to mention in the thread when anything failed. */
  notify?: string[];
  /** Checkly's statuses of the checks just before the trigger (runs/changes.ts); absent on older runs. */
  before?: RunBefore;
}
