/**
 * When a session is likely to end, learned rather than assumed. A check's sessions vary from run to
 * run, and Checkly's statuses give response times, a part of a session only. So the model learns
 * relations per check type, from every session it sees end (and every one still running, which has
 * taken at least so long): how a session compares with its check's status response times (their
 * typical one, or the shortest or longest alone), and how it compares with its check's past sessions.
 * A session is then placed by whichever is the narrowest for its type: a check never seen before by
 * its response times, from the first sessions of a run on.
 * Pure: no clock, no I/O; the follower tells it what ends and what runs.
 */
import { Survival } from './survival';

/** What is known of a check before following a session of it (the store, Checkly's statuses). */
export interface CheckHistory {
  /** Its past sessions' durations in ms, most recent first. */
  pastMs: readonly number[];
  /** Its shortest and longest response times (GET /v1/check-statuses): a part of a session, never all of it. */
  responseTimes?: ResponseTimes;
}

export interface ResponseTimes {
  shortestMs: number;
  longestMs?: number;
}

/** A session being followed, as the model counts it: still running after `elapsedMs`. */
export interface RunningSession {
  checkId: string;
  checkType?: string;
  elapsedMs: number;
}

/** Where a session's end is likely, in ms from its start. */
export interface EndEstimate {
  /** An end before this is unlikely (LIKELY_FROM of sessions end sooner). */
  fromMs: number;
  /** An end after this is unlikely: past it the session is overdue. Infinity while nothing bounds it. */
  toMs: number;
  /** The chance that a session still running after `elapsedMs` ends within `spanMs` more. */
  endsWithin(elapsedMs: number, spanMs: number): number;
}

/** The share of sessions allowed to end before their estimate's `fromMs`, and after its `toMs`. */
export const LIKELY_FROM = 0.02;
export const LIKELY_TO = 0.98;
/** Sessions seen end before a relation is trusted; fewer, and a session is placed by its hard bounds. */
export const MIN_EVENTS = 10;
/** Past sessions kept per check (the store keeps as many: DURATIONS_KEPT). */
const PAST_KEPT = 10;
/** Checks remembered (the most recently seen). */
const MAX_CHECKS = 5_000;
/** Sessions a relation is learned from: those of the most recently seen checks, enough to know its spread. */
const MAX_EVENTS = 1_000;

/**
 * What a session is compared with: its check's status response times (their geometric mean, or the
 * shortest or the longest alone: one end may follow the sessions better, as when slow runs widen the
 * longest), or its check's past sessions.
 */
type StatusBasis = 'status' | 'shortest' | 'longest';
type Basis = StatusBasis | 'own';
/** Spreads (in log ratio) closer than this are the same. */
const SAME_SPREAD = 1e-9;
const STATUS_BASES: readonly StatusBasis[] = ['status', 'shortest', 'longest'];
const BASES: readonly Basis[] = [...STATUS_BASES, 'own'];
const ALL_TYPES = '*';

interface Known {
  checkType?: string;
  pastMs: number[];
  responseTimes?: ResponseTimes;
}

/** The session's reference duration on a basis: its status's typical response time, or its past sessions' typical duration. */
function reference(check: Pick<Known, 'pastMs' | 'responseTimes'>, basis: Basis): number | undefined {
  if (basis !== 'own') {
    const r = check.responseTimes;
    if (!r || !(r.shortestMs > 0)) return undefined;
    const longest = r.longestMs !== undefined && r.longestMs >= r.shortestMs ? r.longestMs : undefined;
    if (basis === 'shortest') return r.shortestMs;
    if (basis === 'longest') return longest;
    return longest !== undefined ? Math.sqrt(r.shortestMs * longest) : r.shortestMs;
  }
  const past = check.pastMs.filter((ms) => ms > 0);
  if (past.length === 0) return undefined;
  return Math.exp(past.reduce((sum, ms) => sum + Math.log(ms), 0) / past.length);
}

/** How sessions of a check relate to its references, as log ratios: what ended, and what still runs. */
interface Relations {
  events: Map<string, number[]>;
  censored: Map<string, number[]>;
}

export class DurationModel {
  private readonly checks = new Map<string, Known>();

  /** What the store and the statuses say of a check; what this process learned itself is kept when it knows more. */
  know(checkId: string, checkType: string | undefined, history: CheckHistory): void {
    const known = this.checks.get(checkId);
    const pastMs = known && known.pastMs.length >= history.pastMs.length ? known.pastMs : history.pastMs.slice(0, PAST_KEPT);
    const next: Known = { pastMs: [...pastMs] };
    const type = checkType ?? known?.checkType;
    if (type !== undefined) next.checkType = type;
    const responseTimes = history.responseTimes ?? known?.responseTimes;
    if (responseTimes) next.responseTimes = responseTimes;
    this.remember(checkId, next);
  }

  /** A session of the check ended after `ms`. */
  learn(checkId: string, checkType: string | undefined, ms: number): void {
    if (!(ms > 0)) return;
    const known = this.checks.get(checkId) ?? { pastMs: [] };
    const next: Known = { ...known, pastMs: [ms, ...known.pastMs].slice(0, PAST_KEPT) };
    if (checkType !== undefined) next.checkType = checkType;
    this.remember(checkId, next);
  }

  /**
   * The relations as they stand with these sessions running: a plan that places each of them. Build it
   * again when a session ends or time has moved on (what runs has then taken longer).
   */
  plan(running: readonly RunningSession[]): DurationPlan {
    const relations: Relations = { events: new Map(), censored: new Map() };
    // The most recently seen checks first, until a relation has enough.
    for (const check of [...this.checks.values()].reverse()) {
      const type = check.checkType ?? ALL_TYPES;
      for (const basis of STATUS_BASES) {
        const ref = reference(check, basis);
        if (ref !== undefined) for (const ms of check.pastMs) if (ms > 0) addBoth(relations.events, type, basis, Math.log(ms / ref));
      }
      // The latest session against the ones before it: how far the next session strays from a check's past.
      const [latest, ...before] = check.pastMs;
      const own = reference({ pastMs: before }, 'own');
      if (latest !== undefined && latest > 0 && own !== undefined) addBoth(relations.events, type, 'own', Math.log(latest / own));
    }
    for (const session of running) {
      const check = this.checks.get(session.checkId);
      if (!check || !(session.elapsedMs > 0)) continue;
      const type = session.checkType ?? check.checkType ?? ALL_TYPES;
      for (const basis of BASES) {
        const ref = reference(check, basis);
        if (ref !== undefined) addBoth(relations.censored, type, basis, Math.log(session.elapsedMs / ref));
      }
    }
    return new DurationPlan(this.checks, relations);
  }

  private remember(checkId: string, known: Known): void {
    this.checks.delete(checkId);
    this.checks.set(checkId, known);
    if (this.checks.size > MAX_CHECKS) {
      const oldest = this.checks.keys().next().value;
      if (oldest !== undefined) this.checks.delete(oldest);
    }
  }
}

/** Each relation is learned per check type and for all types together (for a type seen too rarely yet). */
function addBoth(map: Map<string, number[]>, type: string, basis: Basis, value: number): void {
  add(map, `${basis}:${type}`, value);
  if (type !== ALL_TYPES) add(map, `${basis}:${ALL_TYPES}`, value);
}

function add(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (!list) map.set(key, [value]);
  else if (list.length < MAX_EVENTS) list.push(value);
}

/** The relations at one moment, placing each session followed. */
export class DurationPlan {
  private readonly survivals = new Map<string, Survival>();

  constructor(
    private readonly checks: ReadonlyMap<string, Known>,
    private readonly relations: Relations,
  ) {}

  /**
   * Where the session's end is likely. By a learned relation when one is (the narrower of the two),
   * else by what bounds it outright: its past sessions' shortest and longest, or its response time
   * (a session takes at least that). Undefined when nothing is known of the check.
   */
  estimate(checkId: string, checkType?: string): EndEstimate | undefined {
    const check = this.checks.get(checkId);
    if (!check) return undefined;
    const type = checkType ?? check.checkType ?? ALL_TYPES;
    let best: { ref: number; survival: Survival; spread: number } | undefined;
    for (const basis of BASES) {
      const ref = reference(check, basis);
      const survival = ref === undefined ? undefined : this.relation(basis, type);
      if (ref === undefined || !survival) continue;
      const low = survival.quantile(0.1);
      const high = survival.quantile(0.9);
      const spread = low !== undefined && high !== undefined ? high - low : Infinity;
      // Narrower by more than rounding (bases that differ by a constant factor are as narrow): the first of BASES keeps it.
      const narrower = best === undefined || spread < best.spread - SAME_SPREAD;
      if (narrower || (best !== undefined && Math.abs(spread - best.spread) <= SAME_SPREAD && survival.events > best.survival.events))
        best = { ref, survival, spread };
    }
    if (best) return learnedEstimate(best.ref, best.survival);
    const past = check.pastMs.filter((ms) => ms > 0);
    if (past.length > 0) return boundedEstimate(Math.min(...past), Math.max(...past));
    if (check.responseTimes && check.responseTimes.shortestMs > 0) return boundedEstimate(check.responseTimes.shortestMs, Infinity);
    return undefined;
  }

  /** The relation on a basis for the type, or for all types while the type has too few sessions seen. */
  private relation(basis: Basis, type: string): Survival | undefined {
    for (const key of [`${basis}:${type}`, `${basis}:${ALL_TYPES}`]) {
      let survival = this.survivals.get(key);
      if (!survival) {
        survival = Survival.estimate(this.relations.events.get(key) ?? [], this.relations.censored.get(key) ?? []);
        this.survivals.set(key, survival);
      }
      if (survival.events >= MIN_EVENTS && survival.quantile(LIKELY_FROM) !== undefined) return survival;
    }
    return undefined;
  }
}

/** A session `ref` × the relation: where its end is likely, and how likely soon. */
function learnedEstimate(ref: number, survival: Survival): EndEstimate {
  const at = (p: number): number => {
    const q = survival.quantile(p);
    return q === undefined ? Infinity : ref * Math.exp(q);
  };
  return {
    fromMs: at(LIKELY_FROM),
    toMs: at(LIKELY_TO),
    endsWithin(elapsedMs, spanMs) {
      const before = elapsedMs > 0 ? survival.below(Math.log(elapsedMs / ref)) : 0;
      const by = survival.below(Math.log((elapsedMs + spanMs) / ref));
      return before >= 1 ? 1 : (by - before) / (1 - before);
    },
  };
}

/** Bounds only: an end anywhere between them is as likely. */
function boundedEstimate(fromMs: number, toMs: number): EndEstimate {
  return {
    fromMs,
    toMs,
    endsWithin(elapsedMs, spanMs) {
      if (!Number.isFinite(toMs)) return 0;
      if (elapsedMs >= toMs) return 1;
      const start = Math.max(elapsedMs, fromMs);
      return Math.max(0, Math.min(toMs, elapsedMs + spanMs) - start) / Math.max(1, toMs - start);
    },
  };
}
