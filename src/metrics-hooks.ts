/**
 * Feeding the metrics from the edges without touching the code in the middle: a RunMessages wrapper
 * counts runs as their messages are posted and finished, and a `fetch` for the Slack Web API client
 * counts every call by method and error.
 */
import type { Metrics } from './metrics';
import { runOutcome } from './metrics';
import type { RunMessages } from './runs/ports';
import { callLabel } from './slack/errors';
import { SlackTimeout, type SlackFetch } from './slack/http';

/**
 * A run starts when its message is posted (a channel the bot cannot post in starts nothing); a run
 * through the API is counted as such, and any other run posted in a thread is a rerun. The runner calls `finished` once per run, when it is over.
 */
export function countRuns(messages: RunMessages, metrics: Pick<Metrics, 'runStarted' | 'runFinished'>): RunMessages {
  return {
    async post(run, options) {
      const posted = await messages.post(run, options);
      if ('ts' in posted) metrics.runStarted(run.origin?.kind === 'api' ? 'api' : run.threadTs !== undefined ? 'rerun' : 'command');
      return posted;
    },
    changed(run) {
      messages.changed(run);
    },
    async finished(run) {
      // A final state Slack refused is tried again (by this process or the next): count the first try.
      if (run.finalTriedAt === undefined) metrics.runFinished(runOutcome(run));
      return messages.finished(run);
    },
  };
}

/** Slack method names look like `chat.postMessage`; anything else is not a label worth a series. */
const METHOD = /^[a-z]+(\.[a-zA-Z]+){1,3}$/;

/**
 * For `clientOptions.fetch`: counts each HTTP attempt (retries too) by method and by Slack's error
 * code (`timeout` for a call that got no answer in time, `network` for one that could not be sent),
 * reading a copy of the answer, so the client still reads the original.
 */
export function meteredSlackFetch(metrics: Pick<Metrics, 'slackCall'>, base: SlackFetch): SlackFetch {
  return async (url, init) => {
    const method = methodOf(url);
    let response: Response;
    try {
      response = await base(url, init);
    } catch (err) {
      metrics.slackCall(method, err instanceof SlackTimeout ? 'timeout' : 'network');
      throw err;
    }
    metrics.slackCall(method, await errorOf(response));
    return response;
  };
}

function methodOf(url: string | URL): string {
  const path = typeof url === 'string' ? url : url.pathname;
  const last = path.split('?')[0]?.split('/').pop() ?? '';
  return METHOD.test(last) ? last : 'other';
}

async function errorOf(response: Response): Promise<string | undefined> {
  if (response.status === 429) return 'ratelimited';
  if (response.status !== 200) return `http_${response.status}`;
  if (!(response.headers.get('content-type') ?? '').includes('json')) return undefined;
  try {
    const body = (await response.clone().json()) as unknown;
    if (typeof body !== 'object' || body === null) return 'invalid_response';
    return callLabel(body);
  } catch {
    return 'invalid_response';
  }
}
