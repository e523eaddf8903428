import type { Access } from '../access/check';
import type { Logger } from '../shared/log';
import type { Metrics } from '../ops/metrics';
import type { RunService } from '../runs/service';
import type { DetailsDeps } from './details';

export interface ActionDeps {
  runs: RunService;
  commandName: string;
  logger: Logger;
  access: Access;
  metrics: Pick<Metrics, 'refused'>;
  /** The Details modal; without it, Details clicks are only acknowledged. */
  details?: DetailsDeps;
}
