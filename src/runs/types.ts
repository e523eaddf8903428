import type { CheckType, SessionStatus } from '../checkly/types';

export type { CheckType, SessionStatus };

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
   * the app lost its process before triggering, so nothing was started.
   */
  kind:
    | 'interrupted'
    | 'not_started'
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

/** What a rerun button reruns. */
export type RerunKind = 'failed' | 'all' | 'check';

/** A rerun started from a run's message, as that message shows it. */
export interface RerunRef {
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
  failing: number;
  running: number;
}

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
  reruns?: RerunRef[];
  /**
   * Epoch ms when the run's trigger request was sent (after its message was posted): a run still
   * 'triggering' well after this lost its process mid-trigger.
   */
  triggerSentAt?: number;
  /** Epoch ms of the last try to show the final state that did not go through (retries back off from it). */
  finalTriedAt?: number;
  /** Tries to show the final state that did not go through. */
  finalTries?: number;
  /** Epoch ms when the failure reply was posted in the thread (so that it is posted once). */
  repliedAt?: number;
  /**
   * Epoch ms when the run was settled (see isSettled): its final state seen on the message and
   * its reply posted, or given up on. Unsettled over runs are shown again by the sweep.
   */
  settledAt?: number;
  /**
   * A digest of what the run's message shows, as last sent: a process that takes the run over
   * sends no update that would show the same again.
   */
  shown?: string;
}
