import type { Access } from '../access/check';
import type { CatalogueReader } from '../checkly/catalogue';
import type { Logger } from '../shared/log';
import type { Metrics } from '../ops/metrics';
import type { RunService } from '../runs/service';
import type { CatalogueCache } from '../catalogue/cache';

/**
 * What the finding features' listeners need: the picker modal, its options, the listings and their buttons.
 * It lives beside the other cross-cutting types, not in catalogue/, so that catalogue/ needs no access code.
 */
export interface FindDeps {
  catalogue: CatalogueCache;
  /** For looking a check up again when its Run button is clicked (deleted since?). */
  checkly: CatalogueReader;
  runs: RunService;
  access: Access;
  commandName: string;
  logger: Logger;
  now: () => number;
  metrics: Pick<Metrics, 'refused'>;
  /** Scrubs the app's secrets from what goes to Slack (names and tags are outside text). */
  redact: <T>(value: T) => T;
}
