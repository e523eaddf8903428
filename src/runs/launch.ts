/**
 * The one way a run starts, a new one or a rerun: create → post → record → trigger. Each step is
 * recorded before its side effect (the run before its post, its message before its trigger), so that
 * the sweep can finish whatever a process left; posting comes before triggering, so that a channel
 * the bot cannot post in triggers nothing. While it starts a run, this process holds it.
 */
import { errorText } from '../shared/error-text';
import { afterPendingIo } from '../shared/turns';
import type { RunBefore } from './changes';
import type { Posted, Unreachable } from './ports';
import type { RunnerState } from './runner-state';
import type { Settlement } from './settlement';
import { allSessionsFinal } from './status';
import { changeRun } from './store';
import { runErrorOf, type Run, type RunError, type Session } from './types';

/** How a run whose message the chat did not answer in time ends: its ts unknown, nothing triggered. */
const NOT_POSTED: RunError = {
  kind: 'not_posted',
  message: 'Slack did not answer in time when the app posted this run’s message.',
};
/**
 * A starter's hold on a run it is triggering. Short, so that a replica that died mid-trigger leaves
 * its runs to the next sweep within seconds; renewed three times per hold, so that a live one whose
 * store answers slowly keeps them.
 */
const START_LEASE_MS = 10_000;
/** The longest a trigger waits for the checks' states before it goes without them. */
const BEFORE_WAIT_MS = 5_000;

export interface LaunchOptions {
  /** Told once the message is posted, or the bot could not post it, before the trigger. */
  onPosted?: (posted: Posted | { unreachable: Unreachable }) => void;
  /**
   * Told once the run is stored and its message posted and recorded, before the trigger: the caller
   * answers then, and the trigger waits for the requests already waiting for their answers.
   */
  onStored?: (run: Run) => void;
}

/** How far a launch went. The caller ends an unanswered one (`endUnposted`) once it has let go of what it holds. */
export type Launched =
  /** Posted, recorded and triggered: the run as the trigger left it (ended with Checkly's error when it failed). */
  | { kind: 'triggered'; run: Run }
  /** Slack refused the channel: nothing stored, nothing triggered. */
  | { kind: 'unreachable'; why: Unreachable }
  /** Slack did not answer the post in time: nothing triggered; the run is still to be ended. */
  | { kind: 'unanswered'; run: Run }
  /** The store did not take the posted message: nothing triggered, the message says so. */
  | { kind: 'not_recorded'; run: Run };

export class Launcher {
  private readonly leaseMs: number;
  /** Renews the holds on the runs being started, while there are any. */
  private renewal?: NodeJS.Timeout;

  constructor(
    private readonly state: RunnerState,
    private readonly settlement: Settlement,
  ) {
    this.leaseMs = state.deps.startLeaseMs ?? START_LEASE_MS;
  }

  /** A new hold of this process on a run it starts. */
  hold(): { id: string; until: number } {
    return { id: this.state.deps.processId, until: this.state.deps.now() + this.leaseMs };
  }

  /**
   * Creates `run` (new, 'triggering', held by this process), posts its message, records it, and
   * triggers. Rejects when the run could not be created or its post failed (nothing was triggered,
   * and no 'triggering' row is left behind).
   */
  async launch(run: Run, options: LaunchOptions = {}): Promise<Launched> {
    const { store, messages, afterAnswers } = this.state.deps;
    this.beginStart(run.id);
    // Read while the message is posted: the checks' states before this run touches them.
    const before = this.readBefore();
    try {
      await store.create(run);
      let posted: Awaited<ReturnType<typeof messages.post>>;
      try {
        posted = await messages.post(run, { answerWaits: options.onStored !== undefined });
      } catch (err) {
        await this.state.deleteQuietly(run.id);
        throw err;
      }
      if ('unanswered' in posted) return { kind: 'unanswered', run };
      if ('ts' in posted) this.state.lifecycle.posted(run);
      options.onPosted?.(posted);
      if ('unreachable' in posted) {
        await this.state.deleteQuietly(run.id);
        return { kind: 'unreachable', why: posted.unreachable };
      }
      const recorded = await this.recordPosted(run, posted);
      if (!recorded) return { kind: 'not_recorded', run: { ...run, ts: posted.ts, phase: 'error' } };
      if (options.onStored) {
        options.onStored(recorded);
        // The caller has its answer; the trigger is the background now. In a burst of API requests,
        // the requests still waiting are answered first (they wait for their own posts).
        await (afterAnswers ?? afterPendingIo)();
      }
      return { kind: 'triggered', run: await this.trigger(recorded, await before) };
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
    const { state } = this;
    const { store, messages, now, logger } = state.deps;
    const { ts, shownDigest } = posted;
    try {
      const recorded = await state.retryStore(() =>
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
    state.lifecycle.over(ended);
    await messages.finished(ended).catch(() => undefined);
    await state.deleteQuietly(run.id);
    return undefined;
  }

  /**
   * A run whose message the chat did not answer in time: it may be in the channel or not, and its ts
   * is unknown, so nothing is triggered. The run ends saying so (its starter tells the requester),
   * and its final state goes out as a new message, which speaks of the first should it be there.
   */
  async endUnposted(run: Run): Promise<Run> {
    const { now, logger } = this.state.deps;
    logger.warn({ runId: run.id, channel: run.channel }, 'Slack did not answer the post of a run message in time (it may have taken it); nothing triggered');
    const ended = await this.endStarting(run.id, NOT_POSTED);
    if (!ended) return { ...run, phase: 'error', error: NOT_POSTED, finishedAt: now() };
    // The requester hears first; the channel after, or from the sweep when this process stops.
    void this.settlement.showFinal(ended);
    return ended;
  }

  /** Ends a run still starting with `error` (unless the sweep ended it first), bridging a short store outage. */
  private async endStarting(runId: string, error: RunError): Promise<Run | undefined> {
    const { store, now } = this.state.deps;
    const changed = await this.state.retryStore(() =>
      changeRun(store, runId, (r) => {
        if (r.phase !== 'triggering') return false;
        r.phase = 'error';
        r.error = error;
        r.finishedAt = now();
        r.starter = undefined;
        return true;
      }),
    );
    if (changed?.result) this.state.lifecycle.over(changed.run);
    return changed?.run;
  }

  /**
   * Triggers a run whose message is posted and recorded, records its sessions, and has it followed
   * (or shows it final). A trigger that fails ends the run with Checkly's error on its message.
   */
  private async trigger(run: Run, before: RunBefore | undefined): Promise<Run> {
    const { state, settlement } = this;
    const { store, checkly, now, logger } = state.deps;
    let triggered: Session[];
    try {
      triggered = await checkly.start(run.target, run.refreshCache);
    } catch (err) {
      const error = runErrorOf(err);
      logger.info({ runId: run.id, error: error.kind, status: error.status }, 'trigger failed');
      const failed = await this.endStarting(run.id, error);
      // A rerun's parent is left as it was: its claim is released instead.
      if (failed) await settlement.showFinal(failed);
      return failed ?? run;
    }

    // Checkly started the sessions: recording them must outlast a short store outage.
    const running = await state.retryStore(() =>
      store.update(run.id, (r) => {
        // The sweep may have resolved the run meanwhile (a trigger slower than its bound): the
        // sessions did start, so they are followed after all and the message tells the truth.
        r.sessions = structuredClone(triggered);
        if (before) r.before = ofTheseChecks(before, triggered);
        r.starter = undefined;
        r.error = undefined;
        r.finishedAt = undefined;
        r.settledAt = undefined;
        r.phase = allSessionsFinal(r.sessions) ? 'final' : 'running';
        if (r.phase === 'final') r.finishedAt = now();
      }),
    );
    if (!running) return run;
    logger.info(
      { runId: run.id, teamId: run.teamId, channel: run.channel, sessions: running.sessions.map((s) => s.sessionId) },
      run.parentRunId ? 'rerun triggered' : 'run triggered',
    );
    if (running.phase === 'final') {
      state.lifecycle.over(running);
      await Promise.all([settlement.showFinal(running), settlement.showInParent(running)]);
    } else {
      state.lifecycle.changed(running);
      await state.dispatchQuietly(running.id);
    }
    return running;
  }

  /**
   * Every check's state as Checkly says just before the trigger, within `waitMs`; `checks` left out
   * when it could not be read in time (the run then cannot tell new failures from old). Never rejects.
   */
  private async readBefore(): Promise<RunBefore | undefined> {
    const { changes, now, logger } = this.state.deps;
    if (!changes) return undefined;
    const at = now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), changes.waitMs ?? BEFORE_WAIT_MS);
    });
    try {
      const checks = await Promise.race([changes.states.read(), late]);
      if (checks === undefined) logger.warn('the checks’ states were not read in time; the run cannot tell new failures from old');
      return checks === undefined ? { at } : { at, checks };
    } catch (err) {
      logger.warn({ err: errorText(err) }, 'could not read the checks’ states; the run cannot tell new failures from old');
      return { at };
    } finally {
      clearTimeout(timer);
    }
  }

  private beginStart(runId: string): void {
    this.state.starting.add(runId);
    if (this.renewal || this.state.stopped) return;
    this.renewal = setInterval(() => void this.renewStarts(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.renewal.unref();
  }

  private endStart(runId: string): void {
    this.state.starting.delete(runId);
    if (this.state.starting.size > 0) return;
    this.stop();
  }

  /** Renews this process's hold on the runs it is starting. Never rejects. */
  private async renewStarts(): Promise<void> {
    const { starting, stopped, deps } = this.state;
    if (starting.size === 0 || stopped) return;
    const renewed = this.hold();
    await Promise.all(
      [...starting].map((runId) =>
        deps.store
          .update(runId, (r) => {
            if (r.phase === 'triggering' && r.starter?.id === renewed.id) r.starter.until = renewed.until;
          })
          .catch((err: unknown) => deps.logger.warn({ runId, err: errorText(err) }, 'could not renew the hold on a run being started')),
      ),
    );
  }

  /** Stops renewing holds. */
  stop(): void {
    clearInterval(this.renewal);
    this.renewal = undefined;
  }
}

/**
 * The states of the run's own checks only: the account's every check, kept with each run and written
 * with each of its updates, would cost a large account's runs their store writes.
 */
function ofTheseChecks(before: RunBefore, sessions: readonly Session[]): RunBefore {
  if (before.checks === undefined) return before;
  const checks: NonNullable<RunBefore['checks']> = {};
  for (const { checkId } of sessions) {
    const state = before.checks[checkId];
    if (state !== undefined) checks[checkId] = state;
  }
  return { at: before.at, checks };
}
