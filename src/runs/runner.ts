import { toRunError } from '../checkly/errors';
import type { TriggeredSession } from '../checkly/types';
import type { Logger } from '../log';
import type { ChecklyPort, RunMessages, Unreachable } from './ports';
import { allSessionsFinal, isFinal, isRunOver } from './status';
import type { RunStore } from './store';
import type { SessionOutcome, SessionTracker } from './tracker';
import type { Run, Session, Target } from './types';

export interface RunRequest {
  teamId: string;
  channel: string;
  requester: string;
  target: Target;
  refreshCache: boolean;
  /** Reruns post their message in the thread of the run they came from. */
  threadTs?: string;
}

export interface RunnerOptions {
  store: RunStore;
  checkly: ChecklyPort;
  messages: RunMessages;
  tracker: SessionTracker;
  /** A run still unfinished after this long stops being followed. */
  runTimeoutMs: number;
  now: () => number;
  newId: () => string;
  logger: Logger;
}

export type StartResult = { run: Run } | { unreachable: Unreachable };

/**
 * The life of a run: post its message, trigger, follow every session to a final status, finish.
 * Posting comes before triggering, so that a channel the bot cannot post in triggers nothing.
 */
export class Runner {
  private readonly timeouts = new Map<string, NodeJS.Timeout>();

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
    else {
      messages.changed(running);
      this.follow(running);
    }
    return { run: running };
  }

  /** Follows a run's unfinished sessions until each is final or the run times out. */
  follow(run: Run): void {
    const { tracker, now, runTimeoutMs } = this.options;
    const pending = run.sessions.filter((s) => !isFinal(s.status)).map((s) => s.sessionId);
    tracker.track(run.id, pending);
    const remaining = Math.max(0, run.createdAt + runTimeoutMs - now());
    const timer = setTimeout(() => void this.abandon(run.id), remaining);
    timer.unref();
    this.timeouts.set(run.id, timer);
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
      await messages.finished(run);
    } else {
      messages.changed(run);
    }
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
      await messages.finished(run);
    }
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
