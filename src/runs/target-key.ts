import type { Run, Target } from './types';

/**
 * One target, one key, however it was typed: tags in each group and the groups sorted, check IDs
 * sorted, duplicates dropped. `/checkly history` and `GET /api/v1/runs?target=` find a target's runs
 * by it, so the stores keep it beside each run.
 */
export function targetKey(target: Target): string {
  if (target.all) return 'all';
  const groups = [...new Set(target.tags.map((group) => JSON.stringify([...new Set(group)].sort())))].sort();
  const checks = [...new Set(target.checkIds.map((id) => id.toLowerCase()))].sort();
  return JSON.stringify({ tags: groups.map((g) => JSON.parse(g) as string[]), checks });
}

/** The key a run is listed under in its channel's history; reruns (in a thread, of a part) are not listed. */
export function historyKey(run: Pick<Run, 'target' | 'parentRunId'>): string | undefined {
  return run.parentRunId === undefined ? targetKey(run.target) : undefined;
}
