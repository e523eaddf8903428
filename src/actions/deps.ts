import type { Logger } from '../log';
import type { Runner } from '../runs/runner';

export interface ActionDeps {
  runner: Runner;
  commandName: string;
  logger: Logger;
}
