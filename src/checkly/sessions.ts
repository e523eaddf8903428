/**
 * The runner's port to Checkly (runs/ports.ts SessionStarter) over the wire: the trigger body, the
 * sessions it answers with as the run records them, and Checkly's errors as the domain's failures.
 */
import { isFinal } from '../runs/status';
import { RunFailure, SessionGone, type FinalSession, type Session, type Target } from '../runs/types';
import type { SessionStarter, SessionWatcher } from '../runs/ports';
import { NotFoundError, toRunError } from './errors';
import { failingResults, locationResults } from './results';
import { ResultReadings, type ResultReads } from './result-detail';
import type { CheckResult, CheckSession, CompletedSession, TriggerRequest, TriggeredSession } from './types';
import type { CheckType, SessionStatus } from '../runs/types';

// The domain names Checkly's statuses and check types itself; these fail to compile when a regenerated
// spec adds or drops one, so that the two lists never drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statusesMatch: Same<CheckSession['status'], SessionStatus> = true;
const checkTypesMatch: Same<CheckSession['checkType'], CheckType> = true;
void statusesMatch;
void checkTypesMatch;

/** The calls of ChecklyClient the run ports are built on (tests fake them). */
export interface ChecklyPort {
  trigger(request: TriggerRequest): Promise<TriggeredSession[]>;
  awaitCompletion(sessionId: string, maxWaitSeconds: number, signal?: AbortSignal): Promise<CompletedSession | null>;
  getCheckResult(checkId: string, checkResultId: string): Promise<CheckResult>;
  cancel(sessionId: string): Promise<void>;
}

export function sessionStarter(calls: Pick<ChecklyPort, 'trigger' | 'cancel'>): SessionStarter {
  return {
    async start(target, refreshCache) {
      let triggered: TriggeredSession[];
      try {
        triggered = await calls.trigger(toTriggerRequest(target, refreshCache));
      } catch (err) {
        throw new RunFailure(toRunError(err));
      }
      return triggered.map(toSession);
    },
    async cancel(sessionId) {
      try {
        await calls.cancel(sessionId);
      } catch (err) {
        throw new RunFailure(toRunError(err));
      }
    },
  };
}

/** `results`: where error lines are read; the app shares one with the evidence and the Details modal (one fetch a result). */
export function sessionWatcher(
  calls: Pick<ChecklyPort, 'awaitCompletion' | 'getCheckResult'>,
  results: ResultReads = new ResultReadings(calls),
): SessionWatcher {
  return {
    async awaitFinal(sessionId, maxWaitSeconds, signal) {
      let completed: CompletedSession | null;
      try {
        completed = await calls.awaitCompletion(sessionId, maxWaitSeconds, signal);
      } catch (err) {
        throw err instanceof NotFoundError ? new SessionGone(sessionId) : err;
      }
      return completed && toFinalSession(completed);
    },
    async errorLine(checkId, resultId) {
      return (await results.read(checkId, resultId, 'result')).errorLine;
    },
  };
}

function toFinalSession(session: CompletedSession): FinalSession {
  return {
    checkId: session.checkId,
    status: session.status,
    timeElapsed: session.timeElapsed,
    failedLocations: [...new Set(failingResults(session.results).map((r) => r.runLocation))],
    results: locationResults(session.results),
    ...(session.results.some((r) => r.resultType === 'ATTEMPT' && !r.isCancelled) ? { retried: true } : {}),
  };
}

/** The body of POST /v2/check-sessions/trigger for a target: no filter at all for `--all`. */
export function toTriggerRequest(target: Target, refreshCache: boolean): TriggerRequest {
  const { tags, checkIds, all } = target;
  const filter: { matchTags?: string[][]; checkId?: string[] } = {};
  if (!all) {
    if (tags.length > 0) filter.matchTags = tags;
    if (checkIds.length > 0) filter.checkId = checkIds;
  }
  return { target: filter, refreshCache };
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
