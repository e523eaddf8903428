/** A run as the HTTP API answers it (docs/ci-api.md): plain JSON, stable names, no Slack markup. */
import { isFinal, runOutcome } from '../runs/status';
import { describeTarget } from '../grammar/describe';
import type { BeforeState, Change } from '../runs/changes';
import type { Run, SessionStatus } from '../runs/types';
import { messageLink } from '../shared/urls';

export type ApiRunStatus = 'triggering' | 'running' | 'passed' | 'failed' | 'degraded' | 'cancelled' | 'error';
export type ApiCheckStatus = 'passed' | 'failed' | 'degraded' | 'timedOut' | 'cancelled' | 'running';

export interface MessageRef {
  channel: string;
  ts: string | null;
  permalink: string | null;
}

export interface RunCounts {
  passed: number;
  failed: number;
  degraded: number;
  timedOut: number;
  cancelled: number;
  running: number;
  /** Failures this run brought: checks passing before it (or new since), failing now (product.md section 13). */
  new: number;
}

export interface RunView {
  id: string;
  status: ApiRunStatus;
  target: string;
  title: string | null;
  link: string | null;
  channel: string;
  message: MessageRef;
  startedAt: string;
  finishedAt: string | null;
  counts: RunCounts;
  checks: Array<{
    checkId: string;
    name: string;
    status: ApiCheckStatus;
    locations: string[];
    durationMs: number | null;
    error: string | null;
    link: string;
    /** The check's state just before the run; null until it is final. */
    before: BeforeState | null;
    /** What the run did to the check; null while running, or when it cannot be told. */
    change: Change | null;
  }>;
  error: string | null;
}

/**
 * `failed` when anything failed or timed out (a run the app stopped following before every check
 * finished counts as timed out), `degraded` when nothing failed but something degraded.
 */
export function apiStatus(run: Run): ApiRunStatus {
  switch (run.phase) {
    case 'triggering':
    case 'running':
      return run.phase;
    case 'error':
      return 'error';
    case 'abandoned':
      return 'failed';
    case 'final': {
      const outcome = runOutcome(run);
      return outcome === 'abandoned' ? 'failed' : outcome;
    }
  }
}

function isApiFinal(status: ApiRunStatus): boolean {
  return status !== 'triggering' && status !== 'running';
}

function checkStatus(status: SessionStatus): ApiCheckStatus {
  switch (status) {
    case 'PASSED':
      return 'passed';
    case 'FAILED':
      return 'failed';
    case 'DEGRADED':
      return 'degraded';
    case 'TIMED_OUT':
      return 'timedOut';
    case 'CANCELLED':
      return 'cancelled';
    default:
      return 'running';
  }
}

/** The run message's link (shared/urls.ts, messageLink), or null before it is posted. */
export function permalink(workspaceUrl: string | undefined, run: Pick<Run, 'channel' | 'ts' | 'threadTs'>): string | null {
  return run.ts === undefined ? null : (messageLink(workspaceUrl, { channel: run.channel, ts: run.ts, threadTs: run.threadTs }) ?? null);
}

export function messageRef(workspaceUrl: string | undefined, run: Run): MessageRef {
  return { channel: run.channel, ts: run.ts ?? null, permalink: permalink(workspaceUrl, run) };
}

export function runView(run: Run, workspaceUrl: string | undefined): RunView {
  const counts: RunCounts = { passed: 0, failed: 0, degraded: 0, timedOut: 0, cancelled: 0, running: 0, new: 0 };
  for (const session of run.sessions) {
    counts[checkStatus(session.status)] += 1;
    if (session.change === 'new') counts.new += 1;
  }
  const status = apiStatus(run);
  return {
    id: run.id,
    status,
    target: describeTarget(run.target) + (run.refreshCache ? ' --refresh-cache' : ''),
    title: run.title ?? null,
    link: run.link ?? null,
    channel: run.channel,
    message: messageRef(workspaceUrl, run),
    startedAt: new Date(run.createdAt).toISOString(),
    finishedAt: isApiFinal(status) && run.finishedAt !== undefined ? new Date(run.finishedAt).toISOString() : null,
    counts,
    checks: run.sessions.map((s) => ({
      checkId: s.checkId,
      name: s.name,
      status: checkStatus(s.status),
      locations: s.locations,
      durationMs: isFinal(s.status) && s.timeElapsed !== undefined ? s.timeElapsed : null,
      error: s.error ?? null,
      link: s.link,
      before: s.before?.state ?? null,
      change: s.change ?? null,
    })),
    error: runError(run),
  };
}

function runError(run: Run): string | null {
  if (run.phase === 'error') return run.error?.message ?? 'The trigger failed.';
  if (run.phase === 'abandoned') {
    const left = run.sessions.filter((s) => !isFinal(s.status)).length;
    return `The app stopped following the run (RUN_TIMEOUT_SECONDS) before ${left} check(s) had a final result.`;
  }
  return null;
}
