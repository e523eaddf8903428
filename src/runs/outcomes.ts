/**
 * Each check's outcomes in this app's last runs (failed or not), newest first, kept beside the runs
 * (Records) for as long as runs are: what makes a check flaky (runs/changes.ts).
 */
import type { Logger } from '../shared/log';
import { errorText } from '../shared/error-text';
import { OUTCOMES_KEPT, type Outcomes } from './changes';
import type { Records } from './records';

const PREFIX = 'check-outcomes:';

export class CheckOutcomes {
  constructor(
    private readonly records: Records,
    /** How long a check's outcomes are kept after its last run (RUN_RETENTION_DAYS). */
    private readonly keepMs: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Adds a run's outcome of a check and answers its outcomes with it first. Never rejects: without
   * the store, the outcome alone (which makes nothing flaky).
   */
  async record(checkId: string, failed: boolean): Promise<Outcomes> {
    try {
      const kept = await this.records.change(PREFIX + checkId, (current) => [failed, ...outcomesOf(current)].slice(0, OUTCOMES_KEPT), this.keepMs);
      return outcomesOf(kept);
    } catch (err) {
      this.logger.warn({ checkId, err: errorText(err) }, 'could not record a check outcome');
      return [failed];
    }
  }
}

/** A stored list of outcomes, or none when what is stored is not one. */
function outcomesOf(value: unknown): boolean[] {
  return Array.isArray(value) ? value.filter((v): v is boolean => typeof v === 'boolean') : [];
}
