/**
 * Which followed session the next poll goes to (follower.ts polls it), from what the DurationModel
 * learned of its check and its type:
 *
 * 1. sessions overdue: past the window where their end was likely; and sessions not asked about for
 *    the starvation bound (as many as when they were followed at least): none waits longer;
 * 2. sessions in their window (poll-window.ts), the likeliest to end within a poll's wait first; one
 *    whose window has not opened is not polled until then (or until the starvation bound);
 * 3. every session of a check nothing is known of, least recently answered first: round robin.
 */
import { DurationModel, type CheckHistory, type DurationPlan, type EndEstimate, type RunningSession } from './duration-model';
import { pollWindow, pollWorth, type PollWindow } from './poll-window';

/** The plan is built again this often while sessions run (they have taken longer: the model learns from that too). */
const REPLAN_MS = 1_000;

/** A followed session as the choice sees it. */
export interface Candidate {
  checkId?: string;
  checkType?: string;
  /** Its check is being looked up: not polled until known (or until the lookup gives up). */
  lookingUp?: boolean;
  /** When the session started (or shortly before); its estimate counts from there. */
  startedAt: number;
  /** Where its end is likely and when to poll it, as of `plan` (none when nothing is known of its check). */
  placed?: { plan: DurationPlan; estimate?: EndEstimate; window?: PollWindow };
  followedAt: number;
  /** The starvation bound when it was followed. */
  boundMs: number;
  /** When Checkly last answered about this session; undefined until the first answer. */
  answeredAt?: number;
  state: 'idle' | 'polling' | 'retrying' | 'finishing';
  /** Its final outcome is known (nothing left to poll). */
  outcome?: unknown;
}

/** What to poll next (or nothing before `wakeAt`), and how many sessions could be polled now. */
export interface Choice<T> {
  entry?: T;
  eligible: number;
  wakeAt: number;
}

export class PollChoice {
  private readonly model = new DurationModel();
  private plan?: { at: number; plan: DurationPlan };

  constructor(private readonly pollWaitMs: number) {}

  /** What is known of a check's sessions (its past ones, its response times). */
  know(checkId: string, checkType: string | undefined, history: CheckHistory): void {
    this.model.know(checkId, checkType, history);
  }

  /** How long a session of the check took, for its next sessions and those of its type still running. */
  learn(checkId: string, checkType: string | undefined, ms: number): void {
    this.model.learn(checkId, checkType, ms);
  }

  /** The next choice builds the plan afresh (what is known changed). */
  replan(): void {
    this.plan = undefined;
  }

  /** The session most worth a poll now (see the class comment), or when to look again. `bound`: the starvation bound now. */
  pick<T extends Candidate>(followed: Iterable<T>, now: number, bound: number): Choice<T> {
    const entries = [...followed];
    const plan = this.currentPlan(entries, now);
    let best: T | undefined;
    let bestRank = Infinity;
    let bestKey = Infinity;
    let bestTie = Infinity;
    let wakeAt = Infinity;
    let eligible = 0;
    for (const entry of entries) {
      if (entry.state !== 'idle' || entry.lookingUp) continue;
      const last = entry.answeredAt ?? entry.followedAt;
      const { estimate, window } = this.placed(entry, plan);
      let rank: number;
      let key: number;
      let tie = 0;
      // As long as when it was followed, at least: as a run's sessions end the bound shrinks, and
      // every session of it not asked about yet would come due at once, crowding out those whose end is.
      const starvedAt = last + Math.max(bound, entry.boundMs);
      if (window && now >= window.overdueAt) {
        rank = 0;
        key = window.overdueAt - bound;
      } else if (now >= starvedAt) {
        // A session's end may also come unforeseen: cancelled, perhaps by another replica.
        rank = 0;
        key = last;
      } else if (estimate && window) {
        if (now < window.opensAt) {
          wakeAt = Math.min(wakeAt, window.opensAt, starvedAt);
          continue;
        }
        rank = 1;
        // The likeliest to end within a poll's wait first; among equals, the window opened first.
        key = -pollWorth(estimate, entry.startedAt, now, this.pollWaitMs);
        tie = window.opensAt;
      } else {
        rank = 2;
        // Never answered first (oldest first), then least recently answered.
        key = entry.answeredAt ?? entry.followedAt - 1e15;
      }
      eligible += 1;
      if (rank < bestRank || (rank === bestRank && (key < bestKey || (key === bestKey && tie < bestTie)))) {
        best = entry;
        bestRank = rank;
        bestKey = key;
        bestTie = tie;
      }
    }
    return best ? { entry: best, eligible, wakeAt } : { eligible, wakeAt };
  }

  /** The model's plan with the sessions followed now, built again when it is older than REPLAN_MS. */
  private currentPlan(entries: readonly Candidate[], now: number): DurationPlan {
    if (this.plan && now - this.plan.at < REPLAN_MS) return this.plan.plan;
    const running: RunningSession[] = [];
    for (const entry of entries) {
      if (entry.checkId === undefined || entry.outcome) continue;
      running.push({ checkId: entry.checkId, ...(entry.checkType !== undefined ? { checkType: entry.checkType } : {}), elapsedMs: now - entry.startedAt });
    }
    const plan = this.model.plan(running);
    this.plan = { at: now, plan };
    return plan;
  }

  /** Where the entry's end is likely and when to poll it, as of `plan`. */
  private placed(entry: Candidate, plan: DurationPlan): { estimate?: EndEstimate; window?: PollWindow } {
    if (entry.placed?.plan === plan) return entry.placed;
    const estimate = entry.checkId !== undefined ? plan.estimate(entry.checkId, entry.checkType) : undefined;
    entry.placed = estimate ? { plan, estimate, window: pollWindow(estimate, entry.startedAt, this.pollWaitMs) } : { plan };
    return entry.placed;
  }
}
