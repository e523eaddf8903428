/**
 * The audit line of every run started (docs/operations.md#the-audit-trail), as an observer of the
 * runner (runs/lifecycle.ts): who asked, where, what was triggered, and what came of it. What only an
 * entrance knows (a refusal, a rerun already going, a cancel) it writes itself.
 */
import type { RunObserver } from '../runs/lifecycle';
import type { Run } from '../runs/types';
import type { Logger } from '../shared/log';
import { audit, auditTarget, type AuditEvent } from './audit';

export function runAudit(logger: Pick<Logger, 'info'>): RunObserver {
  return {
    started(run) {
      audit(logger, {
        ...whoAsked(run),
        runId: run.id,
        sessions: run.sessions.map((s) => s.sessionId),
        outcome: run.phase === 'error' ? 'failed' : 'started',
        reason: run.error?.kind,
      });
    },
    unreachable(run, why) {
      audit(logger, { ...whoAsked(run), sessions: [], outcome: 'unreachable', reason: why });
    },
  };
}

/** The person or token that started the run, and where, as the audit line names them. */
function whoAsked(run: Run): Pick<AuditEvent, 'action' | 'userId' | 'teamId' | 'channelId' | 'target' | 'via' | 'token'> {
  const origin = run.origin ?? { kind: 'command', userId: run.requester };
  const where = { action: 'trigger' as const, teamId: run.teamId, channelId: run.channel, target: auditTarget(run.target) };
  if (origin.kind === 'api') return { ...where, userId: `api:${origin.token}`, token: origin.token };
  return { ...where, userId: origin.userId ?? run.requester, via: origin.kind };
}
