import { toRunError } from '../checkly/errors';
import type { TriggeredSession } from '../checkly/types';
import type { Logger } from '../log';
import type { ChecklyPort, RunMessages, Unreachable } from './ports';
import { allSessionsFinal, failingSessions, isFinal, isRunOver, unfinishedSessions } from './status';
import type { Dispatcher } from './dispatch';
import type { RunStore } from './store';
import type { SessionOutcome, SessionTracker } from './tracker';
import type { RerunKind, RerunRef, Run, RunError, Session, Target } from './types';

export interface RunRequest {
  teamId: string;
  channel: string;
  requester: string;
  target: Target;
  refreshCache: boolean;
  /** Reruns post their message in the thread of the run they came from. */
  threadTs?: string;
  /**
   * Told as soon as the run's message is posted, or the bot could not post it, before the trigger: a
   * modal must answer Slack within 3 s whether the run can go ahead in its channel.
   */
  onPosted?: (posted: { ts: string } | { unreachable: Unreachable }) => void;
}

export interface RunnerOptions {
  store: RunStore;
  checkly: ChecklyPort;
  messages: RunMessages;
  tracker: SessionTracker;
  dispatcher: Dispatcher;
  /** A run still unfinished after this long stops being followed. */
  runTimeoutMs: number;
  now: () => number;
  newId: () => string;
  logger: Logger;
}

export type StartResult = { run: Run } | { unreachable: Unreachable };

export type RerunResult =
  | { kind: 'started'; run: Run }
  | { kind: 'in_progress'; rerun: RerunRef; parent: Run }
  | { kind: 'unknown' }
  | { kind: 'nothing_to_rerun' }
  | { kind: 'failed'; error: RunError; parent: Run };

export type CancelResult =
  | { kind: 'cancelled'; count: number }
  | { kind: 'unknown' }
  | { kind: 'not_running' }
  | { kind: 'failed'; error: RunError; run: Run; cancelled: number };

/** A rerun claim whose process died before it triggered anything stops blocking the button. */
const STALE_CLAIM_MS = 2 * 60_000;
/**
 * A run still 'triggering' this long after it was created lost its process mid-trigger (retries
 * end well before): nobody knows whether Checkly started its sessions, so it ends with a note.
 */
const STALE_TRIGGER_MS = 2 * 60_000;

/**
 * The life of a run: post its message, trigger, follow every session to a final status, finish.
 * Posting comes before triggering, so that a channel the bot cannot post in triggers nothing.
 */
export class Runner {
  private readonly timeouts = new Map<string, NodeJS.Timeout>();
  /** Runs this process follows, each with what ends its follow. */
  private readonly following = new Map<string, () => void>();

  constructor(private readonly options: RunnerOptions) {}

  async start(request: RunRequest): Promise<StartResult> {
    const { store, messages, checkly, now, logger } = this.options;
    const run: Run = {
      id: this.options.newId(),
      teamId: request.teamId,
      channel: request.channel,
      threadTs: request.threadTs,
      requester: request.requester,
      target: request.target,
      refreshCache: request.refreshCache,
      phase: 'triggering',
      sessions: [],
      createdAt: now(),
    };
    await store.create(run);
    const posted = await messages.post(run);
    request.onPosted?.(posted);
    if ('unreachable' in posted) {
      await store.delete(run.id);
      return posted;
    }
    await store.update(run.id, (r) => {
      r.ts = posted.ts;
    });

    let triggered: TriggeredSession[];
    try {
      triggered = await checkly.trigger(toTriggerRequest(run));
    } catch (err) {
      const error = toRunError(err);
      logger.info({ runId: run.id, error: error.kind, status: error.status }, 'trigger failed');
      const failed = await store.update(run.id, (r) => {
        r.phase = 'error';
        r.error = error;
        r.finishedAt = now();
      });
      if (failed) await messages.finished(failed);
      return { run: failed ?? run };
    }

    const running = await store.update(run.id, (r) => {
      r.sessions = triggered.map(toSession);
      r.phase = allSessionsFinal(r.sessions) ? 'final' : 'running';
      if (r.phase === 'final') r.finishedAt = now();
    });
    if (!running) return { run };
    logger.info(
      { runId: run.id, teamId: run.teamId, channel: run.channel, sessions: running.sessions.map((s) => s.sessionId) },
      'run triggered',
    );
    if (running.phase === 'final') await messages.finished(running);
    else await this.options.dispatcher.dispatch(running.id);
    return { run: running };
  }

  /**
   * Follows a run's unfinished sessions until each is final or the run times out; the dispatcher
   * calls this in exactly one process at a time. Resolves when the run is over, or early when
   * `signal` hands the run over to another process.
   */
  async follow(runId: string, signal: AbortSignal): Promise<void> {
    const { store, tracker, messages, now, runTimeoutMs } = this.options;
    const run = await store.get(runId);
    if (!run || isRunOver(run) || signal.aborted) return;
    if (run.phase === 'triggering') {
      if (now() - run.createdAt >= STALE_TRIGGER_MS) await this.interrupted(run);
      return;
    }
    const over = new Promise<void>((resolve) => {
      this.following.set(runId, resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.options.logger.info({ runId }, 'following run');
    tracker.track(
      run.id,
      run.sessions.filter((s) => !isFinal(s.status)).map((s) => ({ sessionId: s.sessionId, checkId: s.checkId })),
    );
    const timer = setTimeout(() => void this.abandon(run.id), Math.max(0, run.createdAt + runTimeoutMs - now()));
    timer.unref();
    this.timeouts.set(run.id, timer);
    // This process may be the first to show the run (or the first since a restart): render it.
    messages.changed(run);
    await this.showInParent(run);
    await over;
    this.following.delete(runId);
    tracker.untrackRun(runId);
    this.forget(runId);
  }

  /** A run whose process died while triggering: say so rather than show "triggering" forever. */
  private async interrupted(run: Run): Promise<void> {
    const { store, messages, now } = this.options;
    const ended = await store.update(run.id, (r) => {
      if (r.phase !== 'triggering') return;
      r.phase = 'error';
      r.error = { kind: 'network', message: 'The app restarted while starting this run: check Checkly for its sessions.' };
      r.finishedAt = now();
    });
    if (ended?.phase === 'error') await messages.finished(ended);
  }

  /** Called by the tracker when a session reaches a final status. */
  async sessionFinal(runId: string, sessionId: string, outcome: SessionOutcome): Promise<void> {
    const { store, messages, now } = this.options;
    let finishedNow = false;
    const run = await store.update(runId, (r) => {
      finishedNow = false; // the store may apply a change more than once
      if (isRunOver(r)) return;
      const session = r.sessions.find((s) => s.sessionId === sessionId);
      if (!session) return;
      Object.assign(session, outcome);
      if (allSessionsFinal(r.sessions)) {
        r.phase = 'final';
        r.finishedAt = now();
        finishedNow = true;
      }
    });
    if (!run) return;
    if (finishedNow) {
      this.forget(runId);
      await Promise.all([messages.finished(run), this.showInParent(run)]);
      this.following.get(runId)?.();
    } else {
      messages.changed(run);
      await this.showInParent(run);
    }
  }

  /**
   * Reruns what a button names: the failed checks, everything, or one check. Two clicks at the same
   * moment claim the same key on the parent run atomically, so only one of them triggers.
   */
  async rerun(parentId: string, kind: RerunKind, requester: string, checkId?: string): Promise<RerunResult> {
    const { store, checkly, messages, now, logger } = this.options;
    const parent = await store.get(parentId);
    if (!parent) return { kind: 'unknown' };
    const target = rerunTarget(parent, kind, checkId);
    if (!target) return { kind: 'nothing_to_rerun' };

    const key = kind === 'check' ? `check:${checkId}` : kind;
    const ref: RerunRef = {
      runId: this.options.newId(),
      kind,
      key,
      requester,
      startedAt: now(),
      phase: 'triggering',
      total: target.checkIds.length,
      passed: 0,
      failing: 0,
      running: target.checkIds.length,
    };
    let inProgress: RerunRef | undefined;
    const claimed = await store.update(parentId, (p) => {
      inProgress = p.reruns?.find((r) => r.key === key && isClaimLive(r, now()));
      if (!inProgress) p.reruns = [...(p.reruns ?? []), ref];
    });
    if (!claimed) return { kind: 'unknown' };
    if (inProgress) return { kind: 'in_progress', rerun: inProgress, parent: claimed };

    let triggered: TriggeredSession[];
    try {
      triggered = await checkly.trigger(toTriggerRequest({ target, refreshCache: parent.refreshCache }));
    } catch (err) {
      // Nothing started: release the claim so the button works again, and leave the message as it was.
      await store.update(parentId, (p) => {
        p.reruns = p.reruns?.filter((r) => r.runId !== ref.runId);
      });
      return { kind: 'failed', error: toRunError(err), parent };
    }

    const run: Run = {
      id: ref.runId,
      teamId: parent.teamId,
      channel: parent.channel,
      threadTs: parent.threadTs ?? parent.ts,
      requester,
      target,
      refreshCache: parent.refreshCache,
      phase: 'running',
      sessions: triggered.map(toSession),
      createdAt: ref.startedAt,
      parentRunId: parent.id,
    };
    if (allSessionsFinal(run.sessions)) {
      run.phase = 'final';
      run.finishedAt = now();
    }
    await store.create(run);
    logger.info({ runId: run.id, parentRunId: parent.id, kind, sessions: run.sessions.map((s) => s.sessionId) }, 'rerun triggered');
    const posted = await messages.post(run);
    const current =
      'ts' in posted
        ? await store.update(run.id, (r) => {
            r.ts = posted.ts;
          })
        : run;
    const started = current ?? run;
    if (started.phase === 'final') await Promise.all([messages.finished(started), this.showInParent(started)]);
    else await this.options.dispatcher.dispatch(started.id);
    return { kind: 'started', run: started };
  }

  /** Cancels every session of a run that is not final yet; the tracker then sees them CANCELLED. */
  async cancel(runId: string): Promise<CancelResult> {
    const { store, checkly } = this.options;
    const run = await store.get(runId);
    if (!run) return { kind: 'unknown' };
    const pending = run.phase === 'running' ? run.sessions.filter((s) => !isFinal(s.status)) : [];
    if (pending.length === 0) return { kind: 'not_running' };
    const results = await Promise.allSettled(pending.map((s) => checkly.cancel(s.sessionId)));
    const cancelled = results.filter((r) => r.status === 'fulfilled').length;
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) return { kind: 'failed', error: toRunError(failure.reason), run, cancelled };
    return { kind: 'cancelled', count: cancelled };
  }

  /** Keeps the line about a rerun on its parent's message current. */
  private async showInParent(run: Run): Promise<void> {
    if (!run.parentRunId) return;
    const counts = summarize(run);
    const parent = await this.options.store.update(run.parentRunId, (p) => {
      const ref = p.reruns?.find((r) => r.runId === run.id);
      if (ref) Object.assign(ref, counts);
    });
    if (parent) this.options.messages.changed(parent);
  }

  get(runId: string): Promise<Run | undefined> {
    return this.options.store.get(runId);
  }

  /** The runs still in progress in a channel, oldest first. */
  async unfinishedIn(teamId: string, channel: string): Promise<Run[]> {
    const runs = await this.options.store.listUnfinished();
    return runs.filter((r) => r.teamId === teamId && r.channel === channel && r.ts !== undefined);
  }

  private async abandon(runId: string): Promise<void> {
    const { store, messages, tracker, now, logger } = this.options;
    let abandonedNow = false;
    const run = await store.update(runId, (r) => {
      abandonedNow = false; // the store may apply a change more than once
      if (isRunOver(r)) return;
      r.phase = 'abandoned';
      r.finishedAt = now();
      abandonedNow = true;
    });
    this.timeouts.delete(runId);
    tracker.untrackRun(runId);
    if (run && abandonedNow) {
      logger.warn({ runId, unfinished: run.sessions.filter((s) => !isFinal(s.status)).length }, 'run timed out');
      await Promise.all([messages.finished(run), this.showInParent(run)]);
    }
    this.following.get(runId)?.();
  }

  private forget(runId: string): void {
    clearTimeout(this.timeouts.get(runId));
    this.timeouts.delete(runId);
  }

  stop(): void {
    for (const timer of this.timeouts.values()) clearTimeout(timer);
    this.timeouts.clear();
  }
}

function isClaimLive(ref: RerunRef, now: number): boolean {
  if (ref.phase === 'running') return true;
  return ref.phase === 'triggering' && now - ref.startedAt < STALE_CLAIM_MS;
}

/** The target of a rerun, or undefined when there is nothing to rerun. */
export function rerunTarget(parent: Run, kind: RerunKind, checkId?: string): Target | undefined {
  if (kind === 'all') return parent.target;
  const checkIds =
    kind === 'failed'
      ? [...new Set(failingSessions(parent).map((s) => s.checkId))]
      : parent.sessions.some((s) => s.checkId === checkId)
        ? [checkId!]
        : [];
  return checkIds.length > 0 ? { tags: [], checkIds, all: false } : undefined;
}

function summarize(run: Run): Pick<RerunRef, 'phase' | 'total' | 'passed' | 'failing' | 'running'> {
  return {
    phase: run.phase,
    total: run.sessions.length,
    passed: run.sessions.filter((s) => s.status === 'PASSED').length,
    failing: failingSessions(run).length,
    running: unfinishedSessions(run).length,
  };
}

export function toTriggerRequest(run: Pick<Run, 'target' | 'refreshCache'>) {
  const { tags, checkIds, all } = run.target;
  const target: { matchTags?: string[][]; checkId?: string[] } = {};
  if (!all) {
    if (tags.length > 0) target.matchTags = tags;
    if (checkIds.length > 0) target.checkId = checkIds;
  }
  return { target, refreshCache: run.refreshCache };
}

function toSession(s: TriggeredSession): Session {
  return {
    sessionId: s.checkSessionId,
    checkId: s.checkId,
    name: s.name ?? s.checkId,
    checkType: s.checkType,
    link: s.checkSessionLink,
    status: s.status,
    locations: s.runLocations,
    failedLocations: [],
    ...(isFinal(s.status) ? { timeElapsed: s.timeElapsed } : {}),
  };
}
