import type { GuardDeps } from '../guard';
import type { ResultReader } from '../runs/ports';
import type { RunService } from '../runs/service';
import type { Logger } from '../shared/log';
import type { Secrets } from '../shared/secrets';

/** What the buttons on a run's message need. */
export interface ButtonDeps extends GuardDeps {
  runs: RunService;
  commandName: string;
  logger: Logger;
  /** The Details modal; without it, Details clicks are only acknowledged. */
  details?: DetailsDeps;
}

export interface DetailsDeps {
  /** A person waits: Checkly is asked at error-line priority. */
  results: ResultReader;
  /** Scrubbed from what is about to be shown. */
  secrets: Secrets;
}
