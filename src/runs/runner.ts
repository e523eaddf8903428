import pRetry from 'p-retry';
import type { Logger } from '../log';
import type { Posted, RunMessages, SessionStarter, Unreachable } from './ports';
import { allSessionsFinal, failingSessions, isFinal, isRunOver, isSettled, needsReply, unfinishedSessions } from './status';
import type { Dispatcher } from './dispatch';
import type { RunStore } from './store';
import { errorText } from '../shared/error-text';
import { settledWithin } from '../shared/settled';
import { afterPendingIo } from '../shared/turns';
import type { SessionOutcome, SessionFollower } from './follower';
import { runErrorOf, type RerunKind, type RerunSummary, type Run, type RunError, type RunOrigin, type Session, type Target } from './types';

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

export interface RunnerOptions {
  store: RunStore;
  checkly: SessionStarter;
  messages: RunMessages;
  follower: SessionFollower;
  dispatcher: Dispatcher;
  /** A run still unfinished after this long stops being followed. */
  runTimeoutMs: number;
  /**
   * A trigger unanswered this long (from when its run was created, or its request sent) lost its
   * process: longer than a trigger with all its retries can take.
   */
  triggerTimeoutMs: number;
  /** How often `sweep` runs (it backs off final states Slack refused from this). */
  sweepIntervalMs: number;
  /** This process as the starter of the runs it starts: new at every start. */
  processId: string;
  /**
   * Whether this process is the only one on its store (SQLite): a run another process was starting
   * was then cut off, and is resolved at once. Sharing it (replicas on Redis), such a run is another
   * replica's until that replica's hold on it (`startLeaseMs`, renewed while it lives) runs out.
   */
  alone: boolean;
  /** How long a starter's hold on a run lasts without renewal (default 10 s; renewed every third of it). */
  startLeaseMs?: number;
  now: () => number;
  newId: () => string;
  logger: Logger;
  /**
   * Resolves once the requests waiting for an answer have theirs (shared/foreground.ts): a run whose
   * caller was answered on `onStored` triggers after that. Default: after the I/O already pending.
   */
  afterAnswers?: () => Promise<void>;
}

export type StartResult = { run: Run } | { unreachable: Unreachable };

export type RerunResult =
  | { kind: 'started'; run: Run; parent: Run }
  | { kind: 'not_posted'; parent: Run }
  | { kind: 'in_progress'; rerun: RerunSummary; parent: Run }
  | { kind: 'unknown' }
  | { kind: 'nothing_to_rerun'; parent: Run }
  | { kind: 'failed'; error: RunError; parent: Run };

/** `pending`: the sessions the cancel was for (those not final when it was asked). */
export type CancelResult =
  | { kind: 'cancelled'; count: number; run: Run; pending: string[] }
  | { kind: 'not_running'; run: Run }
  | { kind: 'failed'; error: RunError; run: Run; cancelled: number; pending: string[] };

/** A rerun claim whose process died before it triggered anything stops blocking the button. */
const STALE_CLAIM_MS = 2 * 60_000;
/** How a run whose message the chat did not answer in time ends: its ts unknown, nothing triggered. */
const NOT_POSTED: RunError = {
  kind: 'not_posted',
  message: 'Slack did not answer in time when the app posted this run’s message.',
};
/** Longest pause between two tries of a final state Slack refused. */
const MAX_FINAL_BACKOFF_MS = 5 * 60_000;
/**
 * A final state nobody has tried to show yet belongs this long to the process that just recorded
 * it: a sweep in another replica showing it at the same moment would post the thread reply twice.
 */
const FINAL_GRACE_MS = 10_000;
/** A final state Slack still refuses this long after the run ended is given up on (and logged). */
const GIVE_UP_MS = 24 * 3_600_000;
/**
 * A starter's hold on a run it is triggering. Short, so that a replica that died mid-trigger leaves
 * its runs to the next sweep within seconds; renewed three times per hold, so that a live one whose
 * store answers slowly keeps them.
 */
const START_LEASE_MS = 10_000;

/**
 * The life of a run: post its message, trigger, follow every session to a final status, show it.
 * Each step is recorded before its side effect (the run before its post, its message before its
 * trigger), so that `sweep`, which looks at every unsettled run all the time, can finish whatever a
 * process left: a trigger cut off is resolved honestly, a final state not shown is shown, a run
 * nobody follows is followed. Posting comes before triggering, so that a channel the bot cannot
 * post in triggers nothing.
 */
export class Runner {
  private readonly timeouts = new Map<string, NodeJS.Timeout>();
  /** Runs another replica is starting, looked at again when its hold on them runs out. */
  private readonly holdChecks = new Map<string, NodeJS.Timeout>();
  /** Runs this process follows, each with what ends its follow. */
  private readonly following = new Map<string, () => void>();
  /** Runs this process is starting (posting or triggering): the sweep leaves them alone. */
  private readonly starting = new Set<string>();
  /** Runs whose final state this process is showing right now. */
  private readonly showing = new Set<string>();
  /** Commands and clicks in flight: `drain` waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Final states being shown (update, reply, evidence): `settle` waits for them. */
  private readonly finalsInFlight = new Set<Promise<unknown>>();
  private sweeping = false;
  private stopped = false;
  private readonly leaseMs: number;
  /** Renews the holds on the runs being started, while there are any. */
  private renewal?: NodeJS.Timeout;

  constructor(private readonly options: RunnerOptions) {
    this.leaseMs = options.startLeaseMs ?? START_LEASE_MS;
  }

  start(request: RunRequest): Promise<StartResult> {
    return tracked(this.inFlight, this.startRun(request));
  }

  private async startRun(request: RunRequest): Promise<StartResult> {
    const { store, messages, checkly, now, logger } = this.options;
    const run: Run = {
      id: request.id ?? this.options.newId(),
      teamId: request.teamId,
      channel: request.channel,
      threadTs: request.threadTs,
      requester: request.requester,
      target: request.target,
      refreshCache: request.refreshCache,
      phase: 'triggering',
      sessions: [],
      createdAt: now(),
      starter: this.hold(),
      origin: request.origin ?? { kind: 'command', userId: request.requester },
      ...optional({ title: request.title, link: request.link, notify: request.notify }),
    };
    this.beginStart(run.id);
    try {
      await store.create(run);
      let posted: Awaited<ReturnType<RunMessages['post']>>;
      try {
        posted = await messages.post(run, { answerWaits: request.onStored !== undefined });
      } catch (err) {
        // Nothing was triggered: leave no 'triggering' row behind (the command answers the error).
        await this.deleteQuietly(run.id);
        throw err;
      }
      if ('unanswered' in posted) return { run: await this.endUnposted(run) };
      request.onPosted?.(posted);
      if ('unreachable' in posted) {
        await this.deleteQuietly(run.id);
        return posted;
      }
      const recorded = await this.recordPosted(run, posted);
      if (!recorded) return { run: { ...run, ts: posted.ts, phase: 'error' } };
      if (request.onStored) {
        request.onStored(recorded);
        // The caller has its answer; the trigger is the background now. In a burst of API requests,
        // the requests still waiting are answered first (they wait for their own posts).
        await (this.options.afterAnswers ?? afterPendingIo)();
      }
      return { run: await this.trigger(recorded) };
    } finally {
      this.endStart(run.id);
    }
  }

  /**
   * Records a run's posted message before its trigger. When the store will not take it (even after a
   * few tries), nothing is triggered and the message says so at once: the sweep, which would not
   * know its ts, must not be left to post a second one.
   */
  private async recordPosted(run: Run, posted: Posted): Promise<Run | undefined> {
    const { store, messages, now, logger } = this.options;
    const { ts, shownDigest } = posted;
    try {
      const recorded = await this.retryStore(() =>
        store.update(run.id, (r) => {
          r.ts = ts;
          r.shownDigest = shownDigest;
          r.triggerSentAt = now();
        }),
      );
      if (recorded) return recorded;
    } catch (err) {
      logger.warn({ runId: run.id, err: errorText(err) }, 'could not record a posted run; nothing triggered');
    }
    const ended: Run = { ...run, ts, phase: 'error', error: { kind: 'not_started', message: 'The app could not save this run.' }, finishedAt: now() };
    await messages.finished(ended).catch(() => undefined);
    await this.deleteQuietly(run.id);
    return undefined;
  }

  /**
   * A run whose message the chat did not answer in time: it may be in the channel or not, and its ts
   * is unknown, so nothing is triggered. The run ends saying so (its starter tells the requester),
   * and its final state goes out as a new message, which speaks of the first should it be there.
   */
  private async endUnposted(run: Run): Promise<Run> {
    const { now, logger } = this.options;
    logger.warn({ runId: run.id, channel: run.channel }, 'Slack did not answer the post of a run message in time (it may have taken it); nothing triggered');
    const ended = await this.endStarting(run.id, NOT_POSTED);
    if (!ended) return { ...run, phase: 'error', error: NOT_POSTED, finishedAt: now() };
    // The requester hears first; the channel after, or from the sweep when this process stops.
    void this.showFinal(ended);
    return ended;
  }

  /** Ends a run still starting with `error` (unless the sweep ended it first), bridging a short store outage. */
  private endStarting(runId: string, error: RunError): Promise<Run | undefined> {
    const { store, now } = this.options;
    return this.retryStore(() =>
      store.update(runId, (r) => {
        if (r.phase !== 'triggering') return;
        r.phase = 'error';
        r.error = error;
        r.finishedAt = now();
        r.starter = undefined;
      }),
    );
  }

  /** A write that must not be lost to a short store outage: tried a few times over about 3 s. */
  private retryStore<T>(write: () => Promise<T>): Promise<T> {
    return pRetry(write, { retries: 4, minTimeout: 200, factor: 2, randomize: false });
  }

  /**
   * Triggers a run whose message is posted and recorded, records its sessions, and has it followed
   * (or shows it final). A trigger that fails ends the run with Checkly's error on its message.
   */
  private async trigger(run: Run): Promise<Run> {
    const { store, checkly, now, logger } = this.options;
    let triggered: Session[];
    try {
      triggered = await checkly.start(run.target, run.refreshCache);
    } catch (err) {
      const error = runErrorOf(err);
      logger.info({ runId: run.id, error: error.kind, status: error.status }, 'trigger failed');
      const failed = await this.endStarting(run.id, error);
      // A rerun's parent is left as it was: rerun() releases its claim.
      if (failed) await this.showFinal(failed);
      return failed ?? run;
    }

    // Checkly started the sessions: recording them must outlast a short store outage.
    const running = await this.retryStore(() => store.update(run.id, (r) => {
      // The sweep may have resolved the run meanwhile (a trigger slower than its bound): the
      // sessions did start, so they are followed after all and the message tells the truth.
      r.sessions = structuredClone(triggered);
      r.starter = undefined;
      r.error = undefined;
      r.finishedAt = undefined;
      r.settledAt = undefined;
      r.phase = allSessionsFinal(r.sessions) ? 'final' : 'running';
      if (r.phase === 'final') r.finishedAt = now();
    }));
    if (!running) return run;
    logger.info(
      { runId: run.id, teamId: run.teamId, channel: run.channel, sessions: running.sessions.map((s) => s.sessionId) },
      run.parentRunId ? 'rerun triggered' : 'run triggered',
    );
    if (running.phase === 'final') await Promise.all([this.showFinal(running), this.showInParent(running)]);
    else await this.dispatchQuietly(running.id);
    return running;
  }

  /**
   * Follows a run's unfinished sessions until each is final or the run times out; the dispatcher
   * calls this in exactly one process at a time. Resolves when the run is over, or early when
   * `signal` (the run's own: shutdown, or a replica losing the run) hands the run over.
   */
  async follow(runId: string, signal: AbortSignal): Promise<void> {
    const { store, follower, messages, now, runTimeoutMs } = this.options;
    const run = await store.get(runId);
    // A run still triggering is the starter's, or the sweep's once its trigger is overdue.
    if (!run || isRunOver(run) || run.phase === 'triggering' || signal.aborted || this.following.has(runId)) return;
    let end = (): void => {};
    const over = new Promise<void>((resolve) => {
      end = resolve;
    });
    const onAbort = (): void => end();
    this.following.set(runId, end);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      this.options.logger.info({ runId }, 'following run');
      follower.follow(
        run.id,
        // The sessions started just after the run was created: their durations count from then.
        run.sessions.filter((s) => !isFinal(s.status)).map((s) => ({ sessionId: s.sessionId, checkId: s.checkId, checkType: s.checkType, startedAt: run.createdAt })),
      );
      const timer = setTimeout(() => void this.abandon(run.id), Math.max(0, run.createdAt + runTimeoutMs - now()));
      timer.unref();
      this.timeouts.set(run.id, timer);
      // This process may be the first to show the run (or the first since a restart): render it.
      messages.changed(run);
      await this.showInParent(run);
      await over;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.following.delete(runId);
      follower.unfollowRun(runId);
      this.forget(runId);
    }
  }

  /**
   * A run whose process died while starting it: say so rather than show "Triggering…" forever.
   * With its message posted, Checkly may have started its checks (the trigger was sent) and the app
   * cannot know which (Checkly lists no sessions to look them up by), so it never triggers again
   * by itself: the message says so, with "Open in Checkly" and a Rerun. Without its message, nothing
   * was triggered and the message still has to be posted.
   */
  private async interrupted(run: Run): Promise<void> {
    const { store, now, logger } = this.options;
    const ended = await store.update(run.id, (r) => {
      // Judged again on the run as stored: its starter may have renewed its hold in between.
      if (!this.isCutOff(r, now())) return;
      r.phase = 'error';
      r.starter = undefined;
      r.error =
        r.ts !== undefined
          ? { kind: 'interrupted', message: 'The app restarted while starting this run.' }
          : { kind: 'not_started', message: 'The app restarted before starting this run.' };
      r.finishedAt = now();
    });
    if (ended?.phase !== 'error') return;
    logger.warn({ runId: run.id, error: ended.error?.kind }, 'run cut off while starting');
    await Promise.all([this.showFinal(ended), this.showInParent(ended)]);
  }

  /**
   * Called by the follower when a session reaches a final status. Rejects only when the store did
   * not record it: the follower then tries again.
   */
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
      this.following.get(runId)?.();
      await Promise.all([this.showFinal(run), this.showInParent(run)]);
    } else {
      messages.changed(run);
      await this.showInParent(run);
    }
  }

  /**
   * Reruns what a button names: the failed checks, everything, or one check. Two clicks at the same
   * moment claim the same key on the parent run atomically, so only one of them triggers.
   */
  rerun(parent: Run, kind: RerunKind, requester: string, checkId?: string): Promise<RerunResult> {
    return tracked(this.inFlight, this.startRerun(parent, kind, requester, checkId));
  }

  private async startRerun(parent: Run, kind: RerunKind, requester: string, checkId?: string): Promise<RerunResult> {
    const { store, messages, now, logger } = this.options;
    const parentId = parent.id;
    const target = rerunTarget(parent, kind, checkId);
    if (!target) return { kind: 'nothing_to_rerun', parent };

    const key = kind === 'check' ? `check:${checkId}` : kind;
    const ref: RerunSummary = {
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
    let inProgress: RerunSummary | undefined;
    const claimed = await store.update(parentId, (p) => {
      const at = now();
      // A claim whose process died before its rerun even had a run would otherwise show
      // "starting" on the parent forever, the next time the parent is shown.
      p.reruns = p.reruns?.filter((r) => r.phase !== 'triggering' || isClaimLive(r, at));
      inProgress = p.reruns?.find((r) => r.key === key && isClaimLive(r, at));
      if (!inProgress) p.reruns = [...(p.reruns ?? []), ref];
    });
    if (!claimed) return { kind: 'unknown' };
    if (inProgress) return { kind: 'in_progress', rerun: inProgress, parent: claimed };

    // The rerun's message is posted (and recorded) before anything is triggered: a message that
    // cannot be posted triggers nothing, and a process that dies after the trigger leaves a message
    // the sweep can finish.
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
      starter: this.hold(),
      parentRunId: parent.id,
      origin: { kind: 'button', userId: requester },
    };
    const release = () =>
      store
        .update(parentId, (p) => {
          p.reruns = p.reruns?.filter((r) => r.runId !== ref.runId);
        })
        .catch((err: unknown) => logger.warn({ runId: parentId, err: errorText(err) }, 'could not release a rerun claim'));
    this.beginStart(run.id);
    try {
      let posted: Awaited<ReturnType<RunMessages['post']>> | undefined;
      try {
        await store.create(run);
        posted = await messages.post(run);
      } catch (err) {
        logger.warn({ runId: run.id, parentRunId: parent.id, err: errorText(err) }, 'posting a rerun failed; nothing triggered');
      }
      if (posted && 'unanswered' in posted) {
        await release();
        await this.endUnposted(run);
        return { kind: 'not_posted', parent };
      }
      if (!posted || 'unreachable' in posted) {
        await this.deleteQuietly(run.id);
        await release();
        return { kind: 'not_posted', parent };
      }
      const recorded = await this.recordPosted(run, posted);
      if (!recorded) {
        await release();
        return { kind: 'not_posted', parent };
      }
      const started = await this.trigger(recorded);
      if (started.phase === 'error') {
        // Nothing started: the button works again at once; the rerun's message says why.
        await release();
        return { kind: 'failed', error: started.error ?? { kind: 'network', message: 'The rerun did not start.' }, parent };
      }
      return { kind: 'started', run: started, parent };
    } finally {
      this.endStart(run.id);
    }
  }

  /** Cancels every session of a run that is not final yet; the follower then sees them CANCELLED. */
  async cancel(run: Run): Promise<CancelResult> {
    const { checkly } = this.options;
    const pending = run.phase === 'running' ? run.sessions.filter((s) => !isFinal(s.status)).map((s) => s.sessionId) : [];
    if (pending.length === 0) return { kind: 'not_running', run };
    const results = await Promise.allSettled(pending.map((sessionId) => checkly.cancel(sessionId)));
    const cancelled = results.filter((r) => r.status === 'fulfilled').length;
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) return { kind: 'failed', error: runErrorOf(failure.reason), run, cancelled, pending };
    return { kind: 'cancelled', count: cancelled, run, pending };
  }

  /**
   * Keeps the line about a rerun on its parent's message current. A rerun's last line on a parent
   * that is over belongs to the parent's final state: the parent is unsettled until it is shown, so
   * that the sweep shows it when this process cannot (a plain change is dropped at shutdown).
   */
  private async showInParent(run: Run): Promise<void> {
    if (!run.parentRunId) return;
    const counts = summarize(run);
    // Not while the rerun is starting here: a rerun whose trigger failed releases its claim instead.
    const last = isRunOver(run) && !this.starting.has(run.id);
    let listed = false;
    const parent = await this.options.store.update(run.parentRunId, (p) => {
      const ref = p.reruns?.find((r) => r.runId === run.id);
      listed = ref !== undefined; // the store may apply a change more than once
      if (ref) Object.assign(ref, counts);
      if (ref && last && isRunOver(p)) p.settledAt = undefined;
    });
    if (!parent) return;
    // A rerun the parent does not list (a claim released when its trigger failed) changes nothing there.
    if (listed && last && isRunOver(parent)) await this.showFinal(parent);
    else this.options.messages.changed(parent);
  }

  get(runId: string): Promise<Run | undefined> {
    return this.options.store.get(runId);
  }

  /** The runs still in progress in a channel, oldest first. */
  async unfinishedIn(teamId: string, channel: string): Promise<Run[]> {
    const runs = await this.options.store.listUnfinished();
    // Over runs whose final state is still to be shown are not in progress.
    return runs.filter((r) => !isRunOver(r) && r.teamId === teamId && r.channel === channel && r.ts !== undefined);
  }

  /**
   * Ends a run past its timeout. Results the follower holds but could not record yet are recorded
   * with it: a run whose every session did finish is final, not abandoned. Never rejects: a store
   * that fails now leaves the run to the next sweep.
   */
  private async abandon(runId: string): Promise<void> {
    const { store, follower, now, logger } = this.options;
    const held = follower.heldOutcomes(runId);
    let abandonedNow = false;
    let run: Run | undefined;
    try {
      run = await store.update(runId, (r) => {
        abandonedNow = false; // the store may apply a change more than once
        if (isRunOver(r) || r.phase === 'triggering') return;
        for (const s of r.sessions) {
          const outcome = held.get(s.sessionId);
          if (outcome && !isFinal(s.status)) Object.assign(s, outcome);
        }
        r.phase = allSessionsFinal(r.sessions) ? 'final' : 'abandoned';
        r.finishedAt = now();
        abandonedNow = true;
      });
    } catch (err) {
      logger.warn({ runId, err: errorText(err) }, 'could not end a run past its timeout; the sweep tries again');
      return;
    }
    this.forget(runId);
    follower.unfollowRun(runId);
    this.following.get(runId)?.();
    if (run && abandonedNow) {
      if (run.phase === 'abandoned') logger.warn({ runId, unfinished: unfinishedSessions(run).length }, 'run timed out');
      await Promise.all([this.showFinal(run), this.showInParent(run)]);
    }
  }

  /**
   * Shows an over run's final state (posting its message first when it has none) and records what
   * went through; what did not is tried again by the sweep, backing off. Never rejects.
   */
  private showFinal(run: Run): Promise<void> {
    return tracked(this.finalsInFlight, this.showFinalNow(run));
  }

  private async showFinalNow(run: Run): Promise<void> {
    const { store, messages, now, logger } = this.options;
    if (this.showing.has(run.id) || this.stopped) return;
    this.showing.add(run.id);
    try {
      // A rerun's last line on its parent first: once this run is settled, nothing would show it.
      if (run.parentRunId) await this.showInParent(run);
      let current = run;
      if (current.ts === undefined) {
        const posted = await messages.post(current);
        if ('unreachable' in posted) {
          // Nowhere to show it: nothing was triggered, nothing is left to do.
          await store.delete(current.id);
          return;
        }
        if ('unanswered' in posted) {
          // It may be in the channel: posting again could show it twice. The requester was told.
          logger.warn({ runId: run.id, channel: run.channel }, 'Slack did not answer the post of a final state in time (it may have taken it); not posting it again');
          await store.update(current.id, (r) => {
            r.settledAt = now();
          });
          return;
        }
        if (current.error?.kind === 'not_posted') {
          logger.warn(
            { runId: run.id, channel: run.channel, ts: posted.ts },
            'posted the final state of a run whose first post Slack did not answer: if Slack took that one, the channel shows two messages for this run, and this is the second',
          );
        }
        current =
          (await store.update(current.id, (r) => {
            r.ts = posted.ts;
            r.shownDigest = posted.shownDigest;
          })) ?? { ...current, ts: posted.ts };
      }
      const outcome = await messages.finished(current);
      if (this.stopped && outcome.shown === false) return; // the next process shows it
      const at = now();
      await store.update(current.id, (r) => {
        if (outcome.replied && needsReply(r)) r.repliedAt ??= at;
        const done = outcome.shown !== false && (outcome.replied || !needsReply(r));
        const givenUp = at - (r.finishedAt ?? r.createdAt) >= GIVE_UP_MS;
        if (done || givenUp) {
          r.settledAt = at;
        } else {
          r.finalTriedAt = at;
          r.finalTries = (r.finalTries ?? 0) + 1;
        }
      });
      if (outcome.shown === 'gone') logger.warn({ runId: run.id }, 'the run message is gone: its final state cannot be shown');
    } catch (err) {
      logger.warn({ runId: run.id, err: errorText(err) }, 'showing a final state failed; the sweep tries again');
    } finally {
      this.showing.delete(run.id);
    }
  }

  /**
   * Looks at every unsettled run and finishes what nobody is doing: a trigger past its bound is
   * resolved honestly, a final state not shown is shown (backing off), a run nobody follows is
   * followed, a run past its timeout is ended. Safe to run in several replicas at once: every step
   * is an atomic, guarded change of the stored run, and dispatching is idempotent. Never rejects.
   */
  async sweep(): Promise<void> {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    const { store, now, logger, runTimeoutMs } = this.options;
    try {
      const runs = await store.listUnfinished();
      for (const run of runs) {
        if (this.stopped) return;
        try {
          if (isSettled(run) || this.starting.has(run.id) || this.showing.has(run.id)) continue;
          const at = now();
          if (isRunOver(run)) {
            if (this.finalDue(run, at) && (await this.claimFinalTry(run, at))) await this.showFinal(run);
          } else if (run.phase === 'triggering') {
            await this.checkStart(run, at);
          } else if (at - run.createdAt >= runTimeoutMs + this.options.sweepIntervalMs) {
            // Its follower's timer did not end it (the store failed then, or nobody follows it).
            await this.abandon(run.id);
          } else if (!this.following.has(run.id)) {
            await this.options.dispatcher.dispatch(run.id);
          }
        } catch (err) {
          logger.warn({ runId: run.id, err: errorText(err) }, 'sweeping a run failed; next sweep tries again');
        }
      }
    } catch (err) {
      logger.warn({ err: errorText(err) }, 'the sweep could not list the unsettled runs');
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * Whether a run still 'triggering' lost its starter: a run this process is not starting (any
   * more), one whose starter is another process while this one is alone on the store (a previous
   * start), one whose starter's hold ran out (a replica that died), or, whoever holds it, one whose
   * trigger has gone unanswered longer than any trigger with its retries takes.
   */
  private isCutOff(run: Run, at: number): boolean {
    if (run.phase !== 'triggering' || this.starting.has(run.id)) return false;
    const { starter } = run;
    if (starter && (starter.id === this.options.processId || this.options.alone || starter.until <= at)) return true;
    return at - (run.triggerSentAt ?? run.createdAt) >= this.options.triggerTimeoutMs;
  }

  /**
   * Looks at a run another replica is starting again the moment that replica's hold on it runs out,
   * rather than at the next sweep: a replica that died mid-trigger leaves its run "Triggering…" for
   * its hold (10 s), not its hold and a sweep interval more.
   */
  private lookAgainAt(runId: string, until: number): void {
    if (this.holdChecks.has(runId) || this.stopped) return;
    const timer = setTimeout(() => {
      this.holdChecks.delete(runId);
      void this.resolveIfCutOff(runId);
    }, Math.max(0, until - this.options.now()) + 1);
    timer.unref();
    this.holdChecks.set(runId, timer);
  }

  /** A run still 'triggering': ended when it was cut off, else looked at again when its starter's hold runs out. */
  private async checkStart(run: Run, at: number): Promise<void> {
    if (this.isCutOff(run, at)) await this.interrupted(run);
    else if (run.starter && run.starter.id !== this.options.processId) this.lookAgainAt(run.id, run.starter.until);
  }

  private async resolveIfCutOff(runId: string): Promise<void> {
    try {
      const run = await this.options.store.get(runId);
      if (run?.phase === 'triggering') await this.checkStart(run, this.options.now());
    } catch (err) {
      this.options.logger.warn({ runId, err: errorText(err) }, 'could not look at a run being started elsewhere; the sweep does');
    }
  }

  /** A new hold of this process on a run it starts. */
  private hold(): { id: string; until: number } {
    return { id: this.options.processId, until: this.options.now() + this.leaseMs };
  }

  private beginStart(runId: string): void {
    this.starting.add(runId);
    if (this.renewal || this.stopped) return;
    this.renewal = setInterval(() => void this.renewStarts(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.renewal.unref();
  }

  private endStart(runId: string): void {
    this.starting.delete(runId);
    if (this.starting.size > 0) return;
    clearInterval(this.renewal);
    this.renewal = undefined;
  }

  /** Renews this process's hold on the runs it is starting. Never rejects. */
  private async renewStarts(): Promise<void> {
    const { store, logger } = this.options;
    if (this.starting.size === 0 || this.stopped) return;
    const renewed = this.hold();
    await Promise.all(
      [...this.starting].map((runId) =>
        store
          .update(runId, (r) => {
            if (r.phase === 'triggering' && r.starter?.id === renewed.id) r.starter.until = renewed.until;
          })
          .catch((err: unknown) => logger.warn({ runId, err: errorText(err) }, 'could not renew the hold on a run being started')),
      ),
    );
  }

  /**
   * Claims the next try at showing a run's final state: the sweeps of two replicas that find it due
   * at the same moment would otherwise both show it, and post its thread reply twice.
   */
  private async claimFinalTry(run: Run, at: number): Promise<boolean> {
    let claimed = false;
    await this.options.store.update(run.id, (r) => {
      claimed = false; // the store may apply a change more than once
      if (isSettled(r) || r.finalTriedAt !== run.finalTriedAt) return;
      r.finalTriedAt = at;
      claimed = true;
    });
    return claimed;
  }

  /** Whether a final state Slack refused is due another try: backs off from the sweep's interval. */
  private finalDue(run: Run, at: number): boolean {
    if (run.finalTriedAt === undefined) return at - (run.finishedAt ?? run.createdAt) >= FINAL_GRACE_MS;
    const tries = run.finalTries ?? 1;
    const wait = Math.min(MAX_FINAL_BACKOFF_MS, this.options.sweepIntervalMs * 2 ** Math.min(tries - 1, 20));
    return at - run.finalTriedAt >= wait;
  }

  private forget(runId: string): void {
    clearTimeout(this.timeouts.get(runId));
    this.timeouts.delete(runId);
  }

  private async deleteQuietly(runId: string): Promise<void> {
    try {
      await this.options.store.delete(runId);
    } catch (err) {
      // The sweep resolves the row (nothing was triggered).
      this.options.logger.warn({ runId, err: errorText(err) }, 'could not delete a run that never started');
    }
  }

  private async dispatchQuietly(runId: string): Promise<void> {
    try {
      await this.options.dispatcher.dispatch(runId);
    } catch (err) {
      this.options.logger.warn({ runId, err: errorText(err) }, 'could not hand a run to a follower; the sweep tries again');
    }
  }

  /**
   * Waits for the commands and clicks in flight (their triggers recorded), at most `timeoutMs`:
   * what is still in flight then is finished by the next process's sweep.
   */
  drain(timeoutMs: number): Promise<void> {
    return settledWithin(this.inFlight, timeoutMs);
  }

  /**
   * Waits for the final states being shown (their update, reply and evidence), at most `timeoutMs`:
   * what is cut off after that was not recorded as shown, and the next process's sweep shows it.
   */
  settle(timeoutMs: number): Promise<void> {
    return settledWithin(this.finalsInFlight, timeoutMs);
  }

  /** Commands and clicks in flight (for tests and metrics). */
  get handling(): number {
    return this.inFlight.size;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.renewal);
    this.renewal = undefined;
    for (const timer of this.holdChecks.values()) clearTimeout(timer);
    this.holdChecks.clear();
    for (const timer of this.timeouts.values()) clearTimeout(timer);
    this.timeouts.clear();
  }
}

/** Keeps `work` in `set` until it settles. */
function tracked<T>(set: Set<Promise<unknown>>, work: Promise<T>): Promise<T> {
  set.add(work);
  const done = () => set.delete(work);
  work.then(done, done);
  return work;
}

function isClaimLive(ref: RerunSummary, now: number): boolean {
  if (ref.phase === 'running') return true;
  return ref.phase === 'triggering' && now - ref.startedAt < STALE_CLAIM_MS;
}

/** The target of a rerun, or undefined when there is nothing to rerun. */
function rerunTarget(parent: Run, kind: RerunKind, checkId?: string): Target | undefined {
  if (kind === 'all') return parent.target;
  const checkIds =
    kind === 'failed'
      ? [...new Set(failingSessions(parent).map((s) => s.checkId))]
      : parent.sessions.some((s) => s.checkId === checkId)
        ? [checkId!]
        : [];
  return checkIds.length > 0 ? { tags: [], checkIds, all: false } : undefined;
}

function summarize(run: Run): Pick<RerunSummary, 'phase' | 'total' | 'passed' | 'failing' | 'running'> {
  return {
    phase: run.phase,
    total: run.sessions.length,
    passed: run.sessions.filter((s) => s.status === 'PASSED').length,
    failing: failingSessions(run).length,
    running: unfinishedSessions(run).length,
  };
}

/** The fields whose value is defined: a stored run carries no `"title": undefined`. */
function optional<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
