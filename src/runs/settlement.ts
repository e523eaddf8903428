/**
 * A run's last steps: its final state shown (posted first when it has no message), a rerun's line on
 * its parent kept current, and the sweep that finishes whatever a process left: a trigger cut off, a
 * final state not shown, a run nobody follows, a run past its timeout.
 */
import { errorText } from '../shared/error-text';
import type { AfterReply } from './ports';
import { type RunnerState, tracked } from './runner-state';
import { summarize } from './reruns';
import { allSessionsFinal, isFinal, isRunOver, isSettled, needsReply, unfinishedSessions } from './status';
import { changeRun } from './store';
import type { Run } from './types';

/** Longest pause between two tries of a final state Slack refused. */
const MAX_FINAL_BACKOFF_MS = 5 * 60_000;
/**
 * A final state nobody has tried to show yet belongs this long to the process that just recorded
 * it: a sweep in another replica showing it at the same moment would post the thread reply twice.
 */
const FINAL_GRACE_MS = 10_000;
/** A final state Slack still refuses this long after the run ended is given up on (and logged). */
const GIVE_UP_MS = 24 * 3_600_000;

export class Settlement {
  /** Runs another replica is starting, looked at again when its hold on them runs out. */
  private readonly holdChecks = new Map<string, NodeJS.Timeout>();
  private sweeping = false;

  constructor(private readonly state: RunnerState) {}

  /**
   * Shows an over run's final state (posting its message first when it has none) and records what
   * went through; what did not is tried again by the sweep, backing off. Never rejects.
   */
  showFinal(run: Run): Promise<void> {
    return tracked(this.state.finalsInFlight, this.showFinalNow(run));
  }

  private async showFinalNow(run: Run): Promise<void> {
    const { state } = this;
    const { store, messages, now, logger } = state.deps;
    if (state.showing.has(run.id) || state.stopped) return;
    state.showing.add(run.id);
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
          logger.warn(
            { runId: run.id, channel: run.channel },
            'Slack did not answer the post of a final state in time (it may have taken it); not posting it again',
          );
          await store.update(current.id, (r) => {
            r.settledAt = now();
          });
          return;
        }
        state.lifecycle.posted(current);
        if (current.error?.kind === 'not_posted') {
          logger.warn(
            { runId: run.id, channel: run.channel, ts: posted.ts },
            'posted the final state of a run whose first post Slack did not answer: if Slack took that one, the channel shows two messages for this run, and this is the second',
          );
        }
        current = (await store.update(current.id, (r) => {
          r.ts = posted.ts;
          r.shownDigest = posted.shownDigest;
        })) ?? { ...current, ts: posted.ts };
      }
      const outcome = await messages.finished(current);
      if (state.stopped && outcome.shown === false) return; // the next process shows it
      const at = now();
      await store.update(current.id, (r) => {
        if (outcome.shownDigest !== undefined) r.shownDigest = outcome.shownDigest;
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
      if (outcome.added)
        void tracked(
          state.finalsInFlight,
          outcome.added.then((added) => this.recordAdded(current, added)),
        );
    } catch (err) {
      logger.warn({ runId: run.id, err: errorText(err) }, 'showing a final state failed; the sweep tries again');
    } finally {
      state.showing.delete(run.id);
    }
  }

  /**
   * What went into a failure reply's thread after it: screenshots cut off by this process stopping
   * are the next process's (its sweep finds the run unsettled); once added, the run no longer asks for them.
   */
  private async recordAdded(run: Run, added: AfterReply): Promise<void> {
    const { store, logger } = this.state.deps;
    try {
      if (added === 'handed_over') {
        await store.update(run.id, (r) => {
          r.screenshotsDue = true;
          r.settledAt = undefined;
        });
        logger.info({ runId: run.id }, 'stopping: the failure screenshots are left to the next process');
      } else if (run.screenshotsDue) {
        await store.update(run.id, (r) => {
          r.screenshotsDue = undefined;
        });
      }
    } catch (err) {
      logger.warn({ runId: run.id, err: errorText(err) }, 'could not record the failure screenshots');
    }
  }

  /**
   * Keeps the line about a rerun on its parent's message current. A rerun's last line on a parent
   * that is over belongs to the parent's final state: the parent is unsettled until it is shown, so
   * that the sweep shows it when this process cannot (a plain change is dropped at shutdown).
   */
  async showInParent(run: Run): Promise<void> {
    if (!run.parentRunId) return;
    const counts = summarize(run);
    // Not while the rerun is starting here: a rerun whose trigger failed releases its claim instead.
    const last = isRunOver(run) && !this.state.starting.has(run.id);
    const changed = await changeRun(this.state.deps.store, run.parentRunId, (p) => {
      const ref = p.reruns?.find((r) => r.runId === run.id);
      if (ref) Object.assign(ref, counts);
      if (ref && last && isRunOver(p)) p.settledAt = undefined;
      return ref !== undefined;
    });
    if (!changed) return;
    const { run: parent, result: listed } = changed;
    // A rerun the parent does not list (a claim released when its trigger failed) changes nothing there.
    if (listed && last && isRunOver(parent)) {
      await this.showFinal(parent);
    } else {
      this.state.lifecycle.changed(parent);
      this.state.show(parent);
    }
  }

  /**
   * Ends a run past its timeout. Results the follower holds but could not record yet are recorded
   * with it: a run whose every session did finish is final, not abandoned. Never rejects: a store
   * that fails now leaves the run to the next sweep.
   */
  async abandon(runId: string): Promise<void> {
    const { state } = this;
    const { store, follower, now, logger } = state.deps;
    const held = follower.heldOutcomes(runId);
    let changed: Awaited<ReturnType<typeof changeRun<boolean>>>;
    try {
      changed = await changeRun(store, runId, (r) => {
        if (isRunOver(r) || r.phase === 'triggering') return false;
        for (const s of r.sessions) {
          const outcome = held.get(s.sessionId);
          if (outcome && !isFinal(s.status)) Object.assign(s, outcome);
        }
        r.phase = allSessionsFinal(r.sessions) ? 'final' : 'abandoned';
        r.finishedAt = now();
        return true;
      });
    } catch (err) {
      logger.warn({ runId, err: errorText(err) }, 'could not end a run past its timeout; the sweep tries again');
      return;
    }
    state.endFollow(runId);
    if (changed?.result) {
      const { run } = changed;
      state.lifecycle.over(run);
      if (run.phase === 'abandoned') logger.warn({ runId, unfinished: unfinishedSessions(run).length }, 'run timed out');
      await Promise.all([this.showFinal(run), this.showInParent(run)]);
    }
  }

  /**
   * Looks at every unsettled run and finishes what nobody is doing: a trigger past its bound is
   * resolved honestly, a final state not shown is shown (backing off), a run nobody follows is
   * followed, a run past its timeout is ended. Safe to run in several replicas at once: every step
   * is an atomic, guarded change of the stored run, and dispatching is idempotent. Never rejects.
   */
  async sweep(): Promise<void> {
    const { state } = this;
    if (this.sweeping || state.stopped) return;
    this.sweeping = true;
    const { store, now, logger, runTimeoutMs, sweepIntervalMs, dispatcher } = state.deps;
    try {
      const runs = await store.listUnfinished();
      for (const run of runs) {
        if (state.stopped) return;
        try {
          if (isSettled(run) || state.starting.has(run.id) || state.showing.has(run.id)) continue;
          const at = now();
          if (isRunOver(run)) {
            if (this.finalDue(run, at) && (await this.claimFinalTry(run, at))) await this.showFinal(run);
          } else if (run.phase === 'triggering') {
            await this.checkStart(run, at);
          } else if (at - run.createdAt >= runTimeoutMs + sweepIntervalMs) {
            // Its follower's timer did not end it (the store failed then, or nobody follows it).
            await this.abandon(run.id);
          } else if (!state.following.has(run.id)) {
            await dispatcher.dispatch(run.id);
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
    const { deps, starting } = this.state;
    if (run.phase !== 'triggering' || starting.has(run.id)) return false;
    const { starter } = run;
    if (starter && (starter.id === deps.processId || deps.alone || starter.until <= at)) return true;
    return at - (run.triggerSentAt ?? run.createdAt) >= deps.triggerTimeoutMs;
  }

  /**
   * Looks at a run another replica is starting again the moment that replica's hold on it runs out,
   * rather than at the next sweep: a replica that died mid-trigger leaves its run "Triggering…" for
   * its hold (10 s), not its hold and a sweep interval more.
   */
  private lookAgainAt(runId: string, until: number): void {
    if (this.holdChecks.has(runId) || this.state.stopped) return;
    const timer = setTimeout(
      () => {
        this.holdChecks.delete(runId);
        void this.resolveIfCutOff(runId);
      },
      Math.max(0, until - this.state.deps.now()) + 1,
    );
    timer.unref();
    this.holdChecks.set(runId, timer);
  }

  /** A run still 'triggering': ended when it was cut off, else looked at again when its starter's hold runs out. */
  private async checkStart(run: Run, at: number): Promise<void> {
    if (this.isCutOff(run, at)) await this.interrupted(run);
    else if (run.starter && run.starter.id !== this.state.deps.processId) this.lookAgainAt(run.id, run.starter.until);
  }

  private async resolveIfCutOff(runId: string): Promise<void> {
    const { store, now, logger } = this.state.deps;
    try {
      const run = await store.get(runId);
      if (run?.phase === 'triggering') await this.checkStart(run, now());
    } catch (err) {
      logger.warn({ runId, err: errorText(err) }, 'could not look at a run being started elsewhere; the sweep does');
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
    const { store, now, logger } = this.state.deps;
    const changed = await changeRun(store, run.id, (r) => {
      // Judged again on the run as stored: its starter may have renewed its hold in between.
      if (!this.isCutOff(r, now())) return false;
      r.phase = 'error';
      r.starter = undefined;
      r.error =
        r.ts !== undefined
          ? { kind: 'interrupted', message: 'The app restarted while starting this run.' }
          : { kind: 'not_started', message: 'The app restarted before starting this run.' };
      r.finishedAt = now();
      return true;
    });
    if (!changed?.result) return;
    const ended = changed.run;
    this.state.lifecycle.over(ended);
    logger.warn({ runId: run.id, error: ended.error?.kind }, 'run cut off while starting');
    await Promise.all([this.showFinal(ended), this.showInParent(ended)]);
  }

  /**
   * Claims the next try at showing a run's final state: the sweeps of two replicas that find it due
   * at the same moment would otherwise both show it, and post its thread reply twice.
   */
  private async claimFinalTry(run: Run, at: number): Promise<boolean> {
    const changed = await changeRun(this.state.deps.store, run.id, (r) => {
      if (isSettled(r) || r.finalTriedAt !== run.finalTriedAt) return false;
      r.finalTriedAt = at;
      return true;
    });
    return changed?.result === true;
  }

  /** Whether a final state Slack refused is due another try: backs off from the sweep's interval. */
  private finalDue(run: Run, at: number): boolean {
    if (run.finalTriedAt === undefined) return at - (run.finishedAt ?? run.createdAt) >= FINAL_GRACE_MS;
    const tries = run.finalTries ?? 1;
    const wait = Math.min(MAX_FINAL_BACKOFF_MS, this.state.deps.sweepIntervalMs * 2 ** Math.min(tries - 1, 20));
    return at - run.finalTriedAt >= wait;
  }

  /** Stops looking again at runs other replicas are starting. */
  stop(): void {
    for (const timer of this.holdChecks.values()) clearTimeout(timer);
    this.holdChecks.clear();
  }
}
