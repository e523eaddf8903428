/**
 * The runner's port to Checkly (runs/ports.ts SessionStarter) over the wire: the trigger body, the
 * sessions it answers with as the run records them, and Checkly's errors as the domain's failures.
 */
import { isFinal } from '../runs/status';
import { RunFailure, type Session, type Target } from '../runs/types';
import type { SessionStarter } from '../runs/ports';
import { toRunError } from './errors';
import type { TriggerRequest, TriggeredSession } from './types';

/** The calls the port needs (ChecklyClient has them). */
export interface SessionCalls {
  trigger(request: TriggerRequest): Promise<TriggeredSession[]>;
  cancel(sessionId: string): Promise<void>;
}

export function sessionStarter(calls: SessionCalls): SessionStarter {
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
