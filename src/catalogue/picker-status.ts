import type { Served } from './cache';
import type { Catalogue } from './catalogue';
import { resolveChoice, type Choice, type Resolved } from './choice';

/** What the picker's count line says: the catalogue is loading, unavailable, or ready with a resolved choice. */
export type PickerStatus =
  | { kind: 'loading' }
  | { kind: 'unavailable'; said: string }
  | { kind: 'ready'; total: number; catalogueAt: number; stale: boolean; resolved: Resolved };

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
