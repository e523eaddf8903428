/** The run counts, as an observer of the runner (runs/lifecycle.ts): started when posted, finished when over. */
import type { RunObserver } from '../runs/lifecycle';
import { runOutcome, type Metrics } from './metrics';

/**
 * A run starts when its message is posted (a channel the bot cannot post in starts nothing); a run
 * through the API is counted as such, and any other run posted in a thread is a rerun. A run
 * finishes once, when the runner records it over.
 */
export function runMetrics(metrics: Pick<Metrics, 'runStarted' | 'runFinished'>): RunObserver {
  return {
    posted(run) {
      metrics.runStarted(run.origin?.kind === 'api' ? 'api' : run.threadTs !== undefined ? 'rerun' : 'command');
    },
    over(run) {
      metrics.runFinished(runOutcome(run));
    },
  };
}
