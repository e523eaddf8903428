/**
 * The audit trail: one structured line per trigger, rerun and cancel (allowed or refused), so an
 * operator can answer "who ran what, where" from the logs alone. Secrets have no field here, and
 * the logger scrubs every line besides.
 */
import type { Logger } from '../shared/log';
import { describeTarget } from '../grammar/describe';
import type { RunOrigin, Target } from '../runs/types';

export type AuditAction = 'trigger' | 'rerun' | 'cancel';

export interface AuditEvent {
  action: AuditAction;
  userId: string;
  teamId: string;
  channelId: string;
  /** The target as typed (see auditTarget). */
  target: string;
  /** Absent when no run was created (refused, or the bot could not post). */
  runId?: string;
  /** The check sessions started or cancelled; empty when none. */
  sessions: readonly string[];
  /** `started`, `refused`, `unreachable`, `failed`, `cancelled`, …: what came of it. */
  outcome?: string;
  /** For a refusal, which rule said no (`channel`, `user`, `all`); for a failure, the error kind. */
  reason?: string;
  /** For a rerun, the run it came from. */
  fromRunId?: string;
  /** The entrance: a slash command, a button, the picker form, a workflow step, or the HTTP API (implied by `token`). */
  via?: RunOrigin['kind'];
  /** For a request through the HTTP API, the name of its token (never the secret). */
  token?: string;
}

/** A target is user input: long enough to read, short enough that one line stays one line. */
const MAX_TARGET_LENGTH = 1000;
const MAX_SESSIONS = 500;

export function audit(logger: Pick<Logger, 'info'>, event: AuditEvent): void {
  const sessions = event.sessions.slice(0, MAX_SESSIONS);
  logger.info(
    {
      audit: true,
      action: event.action,
      userId: event.userId,
      teamId: event.teamId,
      channelId: event.channelId,
      target: clip(event.target),
      runId: event.runId,
      sessions,
      ...(event.sessions.length > sessions.length ? { sessionsOmitted: event.sessions.length - sessions.length } : {}),
      outcome: event.outcome,
      reason: event.reason,
      fromRunId: event.fromRunId,
      ...(event.token !== undefined ? { via: 'api', token: event.token } : event.via !== undefined ? { via: event.via } : {}),
    },
    `audit: ${event.action}`,
  );
}

/** `prod,api staging`, `--check <uuid>`, or `--all`: the target in the form it is typed. */
export function auditTarget(target: Target): string {
  return describeTarget(target);
}

function clip(text: string): string {
  const chars = [...text];
  return chars.length > MAX_TARGET_LENGTH ? `${chars.slice(0, MAX_TARGET_LENGTH).join('')}…` : text;
}
