import type { CatalogueCache } from '../catalogue/cache';
import type { GuardDeps } from '../guard';
import type { RunService } from '../runs/service';
import type { Logger } from '../shared/log';
import type { Secrets } from '../shared/secrets';

/** What the picker's listeners need: the catalogue it chooses from, the run it starts, the guard before it. */
export interface PickerDeps extends GuardDeps {
  catalogue: CatalogueCache;
  runs: RunService;
  commandName: string;
  logger: Logger;
  /** Scrubbed from what goes to Slack (names and tags are outside text). */
  secrets: Secrets;
}
