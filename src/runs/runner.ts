import { settledWithin } from '../shared/settled';
import type { SessionOutcome } from './follower';
import { Launcher } from './launch';
import type { RunObserver } from './lifecycle';
import type { Posted, Unreachable } from './ports';
import { rerun, type RerunResult } from './reruns';
import { RunnerState, tracked, type RunnerDeps } from './runner-state';
import { Settlement } from './settlement';
import { markChange, type Outcomes } from './changes';
import { allSessionsFinal, isFailing, isFinal, isRunOver } from './status';
import { changeRun } from './store';
import { targetKey } from './target-key';
import { runErrorOf, type RerunKind, type Run, type RunError, type RunOrigin, type Target } from './types';

export type { RunnerDeps } from './runner-state';
export type { RerunResult } from './reruns';

export interface RunRequest {
  teamId: string;
  channel: string;
  requester: string;
  target: Target;
  refreshCache: boolean;
  /** Reruns post their message in the thread of the run they came from; an API run where it is asked. */
  threadTs?: string;
  /**
   * Told as soon as the run's message is posted, or the bot could not post it, before the trigger: a
   * modal must answer Slack within 3 s whether the run can go ahead in its channel.
   */
  onPosted?: (posted: Posted | { unreachable: Unreachable }) => void;
  /** Default: the requester's slash command. */
  origin?: RunOrigin;
  title?: string;
  link?: string;
  notify?: string[];
  /** The run's id, when the caller must know it before the run exists (an idempotency key names it). */
  id?: string;
  /**
   * Told once the run is stored and its message posted and recorded, before the trigger is sent: an
   * API caller answers then, while `start` goes on to trigger.
   */
  onStored?: (run: Run) => void;
}

export type StartResult = { run: Run } | { unreachable: Unreachable };

/** `pending`: the sessions the cancel was for (those not final when it was asked). */
export type CancelResult =
  | { kind: 'cancelled'; count: number; run: Run; pending: string[] }
  | { kind: 'not_running'; run: Run }
  | { kind: 'failed'; error: RunError; run: Run; cancelled: number; pending: string[] };

/**
 * The life of a run: post its message, trigger, follow every session to a final status, show it.
 * Starting is launch.ts's (for reruns too, reruns.ts), the last steps and the sweep are
 * settlement.ts's; the runner is the one writer of a run, and tells its observers what happened
 * (lifecycle.ts).
 */
export class Runner {
  private readonly state: RunnerState;
  private readonly settlement: Settlement;
  private readonly launcher: Launcher;

  constructor(deps: RunnerDeps) {
    this.state = new RunnerState(deps);
    this.settlement = new Settlement(this.state);
    this.launcher = new Launcher(this.state, this.settlement);
  }

  /** Hears what happens to runs from now on: posted, changed, over. */
  observe(observer: RunObserver): void {
    this.state.lifecycle.observe(observer);
  }

  start(request: RunRequest): Promise<StartResult> {
    return tracked(this.state.inFlight, this.startRun(request));
  }

  private async startRun(request: RunRequest): Promise<StartResult> {
    const { now, newId } = this.state.deps;
    const run: Run = {
      id: request.id ?? newId(),
      teamId: request.teamId,
      channel: request.channel,
      threadTs: request.threadTs,
      requester: request.requester,
      target: request.target,
      refreshCache: request.refreshCache,
      phase: 'triggering',
      sessions: [],
      createdAt: now(),
      starter: this.launcher.hold(),
      origin: request.origin ?? { kind: 'command', userId: request.requester },
      ...optional({ title: request.title, link: request.link, notify: request.notify }),
    };
    // Nothing triggered when the post fails: the command answers the error.
    const launched = await this.launcher.launch(run, { onPosted: request.onPosted, onStored: request.onStored });
    const { lifecycle } = this.state;
    switch (launched.kind) {
      case 'unanswered': {
        const ended = await this.launcher.endUnposted(launched.run);
        lifecycle.started(ended);
        return { run: ended };
      }
      case 'unreachable':
        lifecycle.unreachable(run, launched.why);
        return { unreachable: launched.why };
      case 'not_recorded':
      case 'triggered':
        lifecycle.started(launched.run);
        return { run: launched.run };
    }
  }

  /**
   * Follows a run's unfinished sessions until each is final or the run times out; the dispatcher
   * calls this in exactly one process at a time. Resolves when the run is over, or early when
   * `signal` (the run's own: shutdown, or a replica losing the run) hands the run over.
   */
  async follow(runId: string, signal: AbortSignal): Promise<void> {
    const { state } = this;
    const { store, follower, now, runTimeoutMs, logger } = state.deps;
    const run = await store.get(runId);
    // A run still triggering is the starter's, or the sweep's once its trigger is overdue.
    if (!run || isRunOver(run) || run.phase === 'triggering' || signal.aborted || state.following.has(runId)) return;
    let end = (): void => {};
    const over = new Promise<void>((resolve) => {
      end = resolve;
    });
    const onAbort = (): void => end();
    state.following.set(runId, end);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      logger.info({ runId }, 'following run');
      follower.follow(
        run.id,
        // The sessions started just after the run was created: their durations count from then.
        run.sessions
          .filter((s) => !isFinal(s.status))
          .map((s) => ({ sessionId: s.sessionId, checkId: s.checkId, checkType: s.checkType, startedAt: run.createdAt })),
      );
      const timer = setTimeout(() => void this.settlement.abandon(run.id), Math.max(0, run.createdAt + runTimeoutMs - now()));
      timer.unref();
      state.timeouts.set(run.id, timer);
      // This process may be the first to show the run (or the first since a restart): render it.
      state.show(run);
      await this.settlement.showInParent(run);
      await over;
    } finally {
      signal.removeEventListener('abort', onAbort);
      state.following.delete(runId);
      follower.unfollowRun(runId);
      state.forget(runId);
    }
  }

  /**
   * Called by the follower when a session reaches a final status. Rejects only when the store did
   * not record it: the follower then tries again.
   */
  async sessionFinal(runId: string, sessionId: string, outcome: SessionOutcome): Promise<void> {
    const { state, settlement } = this;
    const { store, now } = state.deps;
    const outcomes = await this.recordOutcome(runId, sessionId, outcome);
    const changed = await changeRun(store, runId, (r) => {
      if (isRunOver(r)) return false;
      const session = r.sessions.find((s) => s.sessionId === sessionId);
      if (!session) return false;
      Object.assign(session, outcome);
      if (outcomes) markChange(session, r.before, outcomes);
      if (!allSessionsFinal(r.sessions)) return false;
      r.phase = 'final';
      r.finishedAt = now();
      return true;
    });
    if (!changed) return;
    const { run, result: finishedNow } = changed;
    if (finishedNow) {
      state.forget(runId);
      state.following.get(runId)?.();
      state.lifecycle.over(run);
      await Promise.all([settlement.showFinal(run), settlement.showInParent(run)]);
    } else {
      state.lifecycle.changed(run);
      state.show(run);
      await settlement.showInParent(run);
    }
  }

  /**
   * Adds a final session's outcome to its check's last outcomes (for `flaky`), and answers them, when
   * the run classifies its checks (it read their states before). Never rejects.
   */
  private async recordOutcome(runId: string, sessionId: string, outcome: SessionOutcome): Promise<Outcomes | undefined> {
    const { changes, store } = this.state.deps;
    if (!changes || outcome.status === 'CANCELLED') return undefined;
    const run = await store.get(runId).catch(() => undefined);
    const session = run?.sessions.find((s) => s.sessionId === sessionId);
    // Recorded once: a session already final was recorded when it became so.
    if (!run?.before || !session || isFinal(session.status)) return undefined;
    return changes.outcomes.record(session.checkId, isFailing(outcome.status));
  }

  /**
   * Reruns what a button names: the failed checks, everything, or one check. Two clicks at the same
   * moment claim the same key on the parent run atomically, so only one of them triggers.
   */
  rerun(parent: Run, kind: RerunKind, requester: string, checkId?: string): Promise<RerunResult> {
    return tracked(this.state.inFlight, rerun(this.state, this.launcher, parent, kind, requester, checkId));
  }

  /** Cancels every session of a run that is not final yet; the follower then sees them CANCELLED. */
  async cancel(run: Run): Promise<CancelResult> {
    const { checkly } = this.state.deps;
    const pending = run.phase === 'running' ? run.sessions.filter((s) => !isFinal(s.status)).map((s) => s.sessionId) : [];
    if (pending.length === 0) return { kind: 'not_running', run };
    const results = await Promise.allSettled(pending.map((sessionId) => checkly.cancel(sessionId)));
    const cancelled = results.filter((r) => r.status === 'fulfilled').length;
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) return { kind: 'failed', error: runErrorOf(failure.reason), run, cancelled, pending };
    return { kind: 'cancelled', count: cancelled, run, pending };
  }

  get(runId: string): Promise<Run | undefined> {
    return this.state.deps.store.get(runId);
  }

  /** The runs still in progress in a channel, oldest first. */
  async unfinishedIn(teamId: string, channel: string): Promise<Run[]> {
    const runs = await this.state.deps.store.listUnfinished();
    // Over runs whose final state is still to be shown are not in progress.
    return runs.filter((r) => !isRunOver(r) && r.teamId === teamId && r.channel === channel && r.ts !== undefined);
  }

  /** A target's last `limit` runs in a channel, newest first (reruns not among them). */
  recent(teamId: string, channel: string, target: Target, limit: number): Promise<Run[]> {
    return this.state.deps.store.listRecent(teamId, channel, targetKey(target), limit);
  }

  /** See Settlement.sweep: every unsettled run is looked at all the time. Never rejects. */
  sweep(): Promise<void> {
    return this.settlement.sweep();
  }

  /**
   * Waits for the commands and clicks in flight (their triggers recorded), at most `timeoutMs`:
   * what is still in flight then is finished by the next process's sweep.
   */
  drain(timeoutMs: number): Promise<void> {
    return settledWithin(this.state.inFlight, timeoutMs);
  }

  /**
   * Waits for the final states being shown (their update, reply, evidence and screenshots), at most
   * `timeoutMs`: what is cut off after that was not recorded as shown, and the next process's sweep
   * shows it.
   */
  settle(timeoutMs: number): Promise<void> {
    return settledWithin(this.state.finalsInFlight, timeoutMs);
  }

  /** Commands and clicks in flight (for tests and metrics). */
  get handling(): number {
    return this.state.inFlight.size;
  }

  stop(): void {
    this.state.stopped = true;
    this.launcher.stop();
    this.settlement.stop();
    for (const timer of this.state.timeouts.values()) clearTimeout(timer);
    this.state.timeouts.clear();
  }
}

/** The fields whose value is defined: a stored run carries no `"title": undefined`. */
function optional<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
