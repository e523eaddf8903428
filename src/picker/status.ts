import type { Served } from '../catalogue/cache';
import type { Catalogue } from '../catalogue/model';
import type { PickerStatus } from '../blocks/picker';
import { resolveChoice, type Choice } from '../catalogue/choice';

export type { PickerStatus };

/** The count line's status for a choice over a served catalogue. */
export function readyStatus(served: Served<Catalogue>, choice: Choice): PickerStatus {
  return {
    kind: 'ready',
    total: served.value.checks.length,
    catalogueAt: served.at,
    stale: served.stale,
    resolved: resolveChoice(served.value, choice),
  };
}

/** Resolves with the value, or undefined when `ms` pass first (Slack's 3 s does not wait). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
