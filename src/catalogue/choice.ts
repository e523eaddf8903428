/**
 * What the picker modal's choice means: every chosen tag (AND, like `prod,api`), in any chosen group,
 * among the chosen checks. Tags go to Checkly as `matchTags`; groups and checks as `checkId`, which
 * Checkly intersects with `matchTags`, as it does for `/checkly run prod --check <id>`.
 */
import type { Target } from '../runs/types';
import type { Catalogue, CheckEntry } from './model';

export interface Choice {
  tags: string[];
  groupIds: number[];
  checkIds: string[];
}

/** Checkly documents no limit on `checkId`; this keeps the run's target and its message readable. */
export const MAX_CHOSEN_CHECKS = 100;

export type Resolved =
  | { kind: 'empty' }
  | { kind: 'too_many'; count: number }
  | {
      kind: 'ok';
      /** Active checks the choice matches: what Checkly will run. */
      matching: CheckEntry[];
      /** Deactivated checks the choice also names; Checkly does not run them. */
      deactivated: number;
      target: Target;
    };

function isEmptyChoice(choice: Choice): boolean {
  return choice.tags.length === 0 && choice.groupIds.length === 0 && choice.checkIds.length === 0;
}

export function resolveChoice(catalogue: Catalogue, choice: Choice): Resolved {
  if (isEmptyChoice(choice)) return { kind: 'empty' };
  const groups = new Set(choice.groupIds);
  const picked = new Set(choice.checkIds);
  const inScope = catalogue.checks.filter(
    (c) =>
      choice.tags.every((t) => c.tags.includes(t)) &&
      (groups.size === 0 || (c.groupId !== undefined && groups.has(c.groupId))) &&
      (picked.size === 0 || picked.has(c.id)),
  );
  const matching = inScope.filter((c) => c.activated);
  const deactivated = inScope.length - matching.length;
  // Groups have no trigger filter of their own: they become the ids of their checks.
  let checkIds: string[] = [];
  if (groups.size > 0) checkIds = inScope.map((c) => c.id);
  else if (picked.size > 0) checkIds = [...picked];
  if (checkIds.length > MAX_CHOSEN_CHECKS) return { kind: 'too_many', count: checkIds.length };
  return {
    kind: 'ok',
    matching,
    deactivated,
    target: { tags: choice.tags.length > 0 ? [[...choice.tags]] : [], checkIds, all: false },
  };
}
