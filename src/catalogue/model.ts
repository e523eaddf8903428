/**
 * The account's checks as the finding features need them: names, tags, types, groups, and (for
 * listings) their current state. Pure: built from what src/checkly/catalogue.ts read.
 */
import type { CatalogueCheck, CheckAlert, CheckGroup, CheckStatus } from '../checkly/catalogue';

export interface CheckEntry {
  id: string;
  name: string;
  checkType: string;
  tags: string[];
  activated: boolean;
  groupId?: number;
}

export interface GroupEntry {
  id: number;
  name: string;
  /** How many of the account's checks are in it. */
  checks: number;
}

export interface TagCount {
  tag: string;
  checks: number;
}

export interface Catalogue {
  checks: CheckEntry[];
  groups: GroupEntry[];
  /** Most used first, then by name. */
  tags: TagCount[];
  /** When Checkly answered (epoch ms). */
  fetchedAt: number;
}

export type CheckState = 'passing' | 'failing' | 'degraded';

/** A check's state from GET /v1/check-statuses, and since when from GET /v1/check-alerts. */
export interface CheckCondition {
  state: CheckState;
  /**
   * Since when the check is in this state (epoch ms): the alert that took it there. Unknown (and not
   * shown) when that was longer ago than the alerts Checkly answers (6 hours), or no alert says so.
   * Never the status's `updated_at`: Checkly updates that with every result.
   */
  since?: number;
  /** Checkly reports an error of its own for this check (`hasErrors`). */
  hasErrors: boolean;
  /** Where it last ran (`lastRunLocation`). */
  lastRunLocation?: string;
}

/** The fields of a listed check (CatalogueCheck) the catalogue reads. */
export type ListedCheck = Pick<CatalogueCheck, 'name'> & {
  id?: string;
  checkType?: string;
  tags?: readonly string[];
  activated?: boolean;
  groupId?: number | null;
};
export type ListedGroup = Pick<CheckGroup, 'id' | 'name'>;

export function buildCatalogue(checks: readonly ListedCheck[], groups: readonly ListedGroup[], fetchedAt: number): Catalogue {
  const entries: CheckEntry[] = [];
  for (const c of checks) {
    if (typeof c.id !== 'string' || c.id === '') continue;
    const entry: CheckEntry = {
      id: c.id,
      name: c.name,
      checkType: typeof c.checkType === 'string' ? c.checkType : 'UNKNOWN',
      tags: Array.isArray(c.tags) ? c.tags.filter((t): t is string => typeof t === 'string') : [],
      activated: c.activated !== false,
    };
    if (typeof c.groupId === 'number') entry.groupId = c.groupId;
    entries.push(entry);
  }
  const perGroup = new Map<number, number>();
  const perTag = new Map<string, number>();
  for (const e of entries) {
    if (e.groupId !== undefined) perGroup.set(e.groupId, (perGroup.get(e.groupId) ?? 0) + 1);
    for (const tag of new Set(e.tags)) perTag.set(tag, (perTag.get(tag) ?? 0) + 1);
  }
  const groupEntries = groups
    .filter((g): g is ListedGroup & { id: number } => typeof g.id === 'number')
    .map((g) => ({ id: g.id, name: g.name, checks: perGroup.get(g.id) ?? 0 }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const tags = [...perTag].map(([tag, n]) => ({ tag, checks: n })).sort((a, b) => b.checks - a.checks || a.tag.localeCompare(b.tag));
  return { checks: entries, groups: groupEntries, tags, fetchedAt };
}

/** The alerts that take a check into a state; the reminders (`…_REMAIN`) and SSL alerts take it nowhere. */
const ALERT_TO: Readonly<Partial<Record<NonNullable<CheckAlert['alertType']>, CheckState>>> = {
  ALERT_FAILURE: 'failing',
  ALERT_DEGRADED_FAILURE: 'failing',
  ALERT_DEGRADED: 'degraded',
  ALERT_FAILURE_DEGRADED: 'degraded',
  ALERT_RECOVERY: 'passing',
  ALERT_DEGRADED_RECOVERY: 'passing',
};

/**
 * Since when each check is in the state its latest alert took it to (epoch ms), from the alerts of
 * the last hours in any order.
 */
export function statesSince(alerts: readonly CheckAlert[]): Map<string, { state: CheckState; since: number }> {
  const latest = new Map<string, { state: CheckState; since: number }>();
  for (const a of alerts) {
    const state = a.alertType ? ALERT_TO[a.alertType] : undefined;
    const at = Date.parse(a.startedAt ?? a.created_at ?? '');
    if (typeof a.checkId !== 'string' || state === undefined || Number.isNaN(at)) continue;
    const known = latest.get(a.checkId);
    if (!known || at > known.since) latest.set(a.checkId, { state, since: at });
  }
  return latest;
}

/**
 * Statuses by check id, with since when from the alerts when the latest one took the check to the
 * state it is in; a check without a status record has not run yet.
 */
export function conditions(statuses: readonly CheckStatus[], alerts: readonly CheckAlert[] = []): Map<string, CheckCondition> {
  const byId = new Map<string, CheckCondition>();
  const since = statesSince(alerts);
  for (const s of statuses) {
    if (!s || typeof s.checkId !== 'string') continue;
    const state: CheckState = s.hasFailures || s.hasErrors ? 'failing' : s.isDegraded ? 'degraded' : 'passing';
    const condition: CheckCondition = { state, hasErrors: s.hasErrors === true };
    const entered = since.get(s.checkId);
    if (state !== 'passing' && entered?.state === state) condition.since = entered.since;
    if (typeof s.lastRunLocation === 'string' && s.lastRunLocation !== '') condition.lastRunLocation = s.lastRunLocation;
    byId.set(s.checkId, condition);
  }
  return byId;
}

/** Lower-cased words of a search; empty words dropped. */
function searchWords(query: string): string[] {
  return query
    .toLowerCase()
    .split(/\s+/u)
    .filter((w) => w !== '');
}

/**
 * The checks whose name or tags contain every word, best first: the whole name, a name that starts
 * with the words, then by how many words are in the name rather than only in the tags; ties by name.
 */
export function searchChecks(checks: readonly CheckEntry[], query: string): CheckEntry[] {
  const words = searchWords(query);
  if (words.length === 0) return [...checks].sort(byName);
  const phrase = words.join(' ');
  const scored: Array<{ check: CheckEntry; score: number }> = [];
  for (const check of checks) {
    const name = check.name.toLowerCase();
    const tags = check.tags.map((t) => t.toLowerCase());
    let inName = 0;
    let matched = true;
    for (const w of words) {
      if (name.includes(w)) inName += 1;
      else if (!tags.some((t) => t.includes(w))) {
        matched = false;
        break;
      }
    }
    if (!matched) continue;
    // Then the more words found in the name (rather than only in the tags), the better.
    const score = name === phrase ? 0 : name.startsWith(phrase) ? 1 : 2 + (words.length - inName) / words.length;
    scored.push({ check, score });
  }
  return scored.sort((a, b) => a.score - b.score || byName(a.check, b.check)).map((s) => s.check);
}

function byName(a: CheckEntry, b: CheckEntry): number {
  return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

export interface FailingCheck {
  check: CheckEntry;
  condition: CheckCondition;
}

/** Checks failing or degraded right now, worst first (failing before degraded), longest-standing first. */
export function failingChecks(catalogue: Catalogue, byId: ReadonlyMap<string, CheckCondition>): FailingCheck[] {
  const rank: Record<CheckState, number> = { failing: 0, degraded: 1, passing: 2 };
  return catalogue.checks
    .flatMap((check) => {
      const condition = byId.get(check.id);
      return condition && condition.state !== 'passing' ? [{ check, condition }] : [];
    })
    .sort(
      (a, b) =>
        rank[a.condition.state] - rank[b.condition.state] || (a.condition.since ?? Infinity) - (b.condition.since ?? Infinity) || byName(a.check, b.check),
    );
}
