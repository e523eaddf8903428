/** The run counts, as an observer of the runner (runs/lifecycle.ts): started when posted, finished when over. */
import type { RunObserver } from '../runs/lifecycle';
import { runOutcome } from '../runs/status';
import type { Metrics } from './metrics';

/**
 * A run starts when its message is posted (a channel the bot cannot post in starts nothing); a run
 * through the API or a workflow step is counted as such, and any other run posted in a thread is a rerun. A run
 * finishes once, when the runner records it over.
 */
export function runMetrics(metrics: Pick<Metrics, 'runStarted' | 'runFinished'>): RunObserver {
  return {
    posted(run) {
      const kind = run.origin?.kind;
      metrics.runStarted(kind === 'api' || kind === 'workflow' ? kind : run.threadTs !== undefined ? 'rerun' : 'command');
    },
    over(run) {
      metrics.runFinished(runOutcome(run));
    },
  };
}
