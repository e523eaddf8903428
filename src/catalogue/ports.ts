/**
 * What the find features need of Checkly besides the catalogue's source (cache.ts), as the run core
 * has its ports (runs/ports.ts): implemented over the wire in checkly/catalogue.ts, failing with the
 * domain's RunFailure, so that no entrance knows Checkly's error classes.
 */
export interface CheckLookup {
  /** The ids among `checkIds` that Checkly no longer has (deleted since they were listed). */
  missing(checkIds: readonly string[]): Promise<string[]>;
}
