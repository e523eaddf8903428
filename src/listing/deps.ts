import type { CatalogueCache } from '../catalogue/cache';
import type { CheckLookup } from '../catalogue/ports';
import type { GuardDeps } from '../guard';
import type { RunService } from '../runs/service';
import type { Logger } from '../shared/log';
import type { Secrets } from '../shared/secrets';

/** What `/checkly checks`, `/checkly failing` and their Run buttons need. */
export interface ListingDeps extends GuardDeps {
  catalogue: CatalogueCache;
  /** For looking a check up again when its Run button is clicked (deleted since?). */
  checks: CheckLookup;
  runs: RunService;
  commandName: string;
  logger: Logger;
  now: () => number;
  /** Scrubbed from what goes to Slack (names and tags are outside text). */
  secrets: Secrets;
}
