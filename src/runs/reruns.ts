/**
 * Reruns: the failed checks, everything, or one check, as a new run in the parent's thread. A rerun
 * claims its key on the parent run first, atomically, so that two clicks at the same moment start
 * one rerun; its parent shows a line about it (settlement.ts showInParent).
 */
import { errorText } from '../shared/error-text';
import type { Launched, Launcher } from './launch';
import type { RunnerState } from './runner-state';
import { failingSessions, rerunFailedScope, unfinishedSessions } from './status';
import { changeRun } from './store';
import type { RerunKind, RerunSummary, Run, RunError, Target } from './types';

export type RerunResult =
  | { kind: 'started'; run: Run; parent: Run }
  | { kind: 'not_posted'; parent: Run }
  | { kind: 'in_progress'; rerun: RerunSummary; parent: Run }
  | { kind: 'unknown' }
  | { kind: 'nothing_to_rerun'; parent: Run }
  | { kind: 'failed'; error: RunError; parent: Run };

/** A rerun claim whose process died before it triggered anything stops blocking the button. */
const STALE_CLAIM_MS = 2 * 60_000;

/**
 * Reruns what a button names. The rerun's message is posted (and recorded) before anything is
 * triggered: a message that cannot be posted triggers nothing, and a process that dies after the
 * trigger leaves a message the sweep can finish. Whatever does not start releases the claim, so the
 * button works again at once.
 */
export async function rerun(state: RunnerState, launcher: Launcher, parent: Run, kind: RerunKind, requester: string, checkId?: string): Promise<RerunResult> {
  const { store, now, newId, logger } = state.deps;
  const target = rerunTarget(parent, kind, checkId);
  if (!target) return { kind: 'nothing_to_rerun', parent };

  const key = kind === 'check' ? `check:${checkId}` : kind;
  const ref: RerunSummary = {
    runId: newId(),
    kind,
    key,
    requester,
    startedAt: now(),
    phase: 'triggering',
    total: target.checkIds.length,
    passed: 0,
    failing: 0,
    running: target.checkIds.length,
    ...(kind === 'failed' && rerunFailedScope(parent).degraded ? { includesDegraded: true } : {}),
  };
  const claimed = await changeRun(store, parent.id, (p) => {
    const at = now();
    // A claim whose process died before its rerun even had a run would otherwise show
    // "starting" on the parent forever, the next time the parent is shown.
    p.reruns = p.reruns?.filter((r) => r.phase !== 'triggering' || isClaimLive(r, at));
    const going = p.reruns?.find((r) => r.key === key && isClaimLive(r, at));
    if (!going) p.reruns = [...(p.reruns ?? []), ref];
    return going;
  });
  if (!claimed) return { kind: 'unknown' };
  if (claimed.result) return { kind: 'in_progress', rerun: claimed.result, parent: claimed.run };

  const run: Run = {
    id: ref.runId,
    teamId: parent.teamId,
    channel: parent.channel,
    threadTs: parent.threadTs ?? parent.ts,
    requester,
    target,
    refreshCache: parent.refreshCache,
    phase: 'triggering',
    sessions: [],
    createdAt: ref.startedAt,
    starter: launcher.hold(),
    parentRunId: parent.id,
    origin: { kind: 'button', userId: requester },
  };
  const release = () =>
    store
      .update(parent.id, (p) => {
        p.reruns = p.reruns?.filter((r) => r.runId !== ref.runId);
      })
      .catch((err: unknown) => logger.warn({ runId: parent.id, err: errorText(err) }, 'could not release a rerun claim'));
  let launched: Launched;
  try {
    launched = await launcher.launch(run);
  } catch (err) {
    logger.warn({ runId: run.id, parentRunId: parent.id, err: errorText(err) }, 'posting a rerun failed; nothing triggered');
    await release();
    return { kind: 'not_posted', parent };
  }
  switch (launched.kind) {
    case 'unanswered':
      await release();
      await launcher.endUnposted(launched.run);
      return { kind: 'not_posted', parent };
    case 'unreachable':
    case 'not_recorded':
      await release();
      return { kind: 'not_posted', parent };
    case 'triggered': {
      const started = launched.run;
      if (started.phase !== 'error') return { kind: 'started', run: started, parent };
      // Nothing started: the button works again at once; the rerun's message says why.
      await release();
      return { kind: 'failed', error: started.error ?? { kind: 'network', message: 'The rerun did not start.' }, parent };
    }
  }
}

/** A rerun's counts, as its line on the parent shows them. */
export function summarize(
  run: Run,
): Pick<RerunSummary, 'phase' | 'total' | 'passed' | 'failing' | 'running' | 'failed' | 'degraded' | 'timedOut' | 'cancelled' | 'stillFailing'> {
  const count = (status: string) => run.sessions.filter((s) => s.status === status).length;
  const failing = failingSessions(run);
  const over = run.phase === 'final' || run.phase === 'abandoned';
  return {
    phase: run.phase,
    total: run.sessions.length,
    passed: count('PASSED'),
    failing: failing.length,
    running: unfinishedSessions(run).length,
    failed: count('FAILED'),
    degraded: count('DEGRADED'),
    timedOut: count('TIMED_OUT'),
    cancelled: count('CANCELLED'),
    ...(over && failing.length > 0
      ? {
          stillFailing: failing
            .map((s) => s.name || s.checkId)
            .sort()
            .slice(0, RERUN_NAMES_KEPT),
        }
      : {}),
  };
}

/** Checks a rerun's line names as still failing; the rest are counted. */
export const RERUN_NAMES_KEPT = 3;

function isClaimLive(ref: RerunSummary, now: number): boolean {
  if (ref.phase === 'running') return true;
  return ref.phase === 'triggering' && now - ref.startedAt < STALE_CLAIM_MS;
}

/** The target of a rerun, or undefined when there is nothing to rerun. */
function rerunTarget(parent: Run, kind: RerunKind, checkId?: string): Target | undefined {
  if (kind === 'all') return parent.target;
  const checkIds =
    kind === 'failed' ? rerunFailedScope(parent).checkIds : checkId !== undefined && parent.sessions.some((s) => s.checkId === checkId) ? [checkId] : [];
  return checkIds.length > 0 ? { tags: [], checkIds, all: false } : undefined;
}
