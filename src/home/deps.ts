import type { GuardDeps } from '../guard';
import type { RunService } from '../runs/service';
import type { Logger } from '../shared/log';
import type { HomeBook } from './book';
import type { HomeTab } from './tab';

/** What the Home tab's listeners need. */
export interface HomeDeps extends GuardDeps {
  runs: RunService;
  book: HomeBook;
  tab: HomeTab;
  commandName: string;
  logger: Logger;
}
