/** The run domain put together: the run messages over Slack, the session follower, the runner and the run service. */
import { webApi } from '@slack/bolt';
import type { ChecklyBudget } from '../checkly/budget';
import type { ChecklyClient } from '../checkly/client';
import { listCheckStatuses } from '../checkly/catalogue';
import { evidencePort } from '../checkly/evidence';
import { sessionStarter, sessionWatcher } from '../checkly/sessions';
import { evidenceSessions, renderEvidenceReplies } from '../blocks/evidence';
import { failingInOrder } from '../blocks/order';
import { renderRun } from '../blocks/run';
import { renderFailureReplies, renderFailureReply } from '../blocks/thread';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { countRuns } from '../metrics-hooks';
import type { Dispatcher } from '../runs/dispatch';
import { TypicalDurations, type DurationStore } from '../runs/durations';
import { gatherEvidence, gatherScreenshots, type EvidenceOptions } from '../runs/evidence';
import { Runner } from '../runs/runner';
import { RunService } from '../runs/service';
import type { RunStore } from '../runs/store';
import { SessionFollower } from '../runs/follower';
import { redactSecrets } from '../secrets';
import type { Foreground } from '../shared/foreground';
import { slackPermalinks } from '../slack/permalinks';
import { SlackRunMessages, type ChatClient } from '../slack/run-messages';
import { ScreenshotUploader } from '../slack/upload';
import { pollRequestsPerMinute, type SharedBudgets } from './checkly';

/** The Checkly web app, whose links the run messages carry. */
const CHECKLY_APP = 'https://app.checklyhq.com';
/** How long a thread reply waits for its failure details, which wait behind every poll of a running session. */
const EVIDENCE_WAIT_MS = 20_000;

export interface RunWiring {
  config: Config;
  secrets: string[];
  checkly: ChecklyClient;
  checklyBudget: ChecklyBudget;
  store: RunStore;
  durations: DurationStore;
  dispatcher: Dispatcher;
  sharedBudgets?: SharedBudgets;
  /** The Bolt app's client (uploads, permalinks), and the run messages' posts and updates. */
  slackClient: webApi.WebClient;
  chat: ChatClient;
  metrics: Metrics;
  now: () => number;
  newId: () => string;
  /** This process, as the starter of the runs it starts (see RunnerOptions). */
  processId: string;
  /** The only process on its store (SQLite), rather than one of several replicas (Redis). */
  alone: boolean;
  logger: Logger;
  /** The run API's requests being answered: an API run's trigger waits for them. */
  foreground: Foreground;
}

/** The longest an API run's trigger waits for a burst of requests to be answered. */
const TRIGGER_YIELD_MS = 1000;

/**
 * The run messages: rendered (and scrubbed of secrets) from a run's state, with the failure reply,
 * its evidence and screenshots; what a message shows is recorded on the run.
 */
export function buildRunMessages(w: RunWiring): SlackRunMessages {
  const { config, secrets, checkly, store, now, logger } = w;
  const evidence: EvidenceOptions = { checkly: evidencePort(checkly), logger, waitMs: EVIDENCE_WAIT_MS };
  const screenshots = new ScreenshotUploader({ client: w.slackClient, logger, scrub: (text) => redactSecrets(text, secrets) });
  // "Open in Checkly" of a run of several checks (or of one cut off before its sessions were known):
  // the account's check sessions, every session of the run among them, rather than its first one.
  const checklyAppUrl = `${CHECKLY_APP}/accounts/${config.checkly.accountId}/check-sessions`;
  return new SlackRunMessages({
    // A client that hands 429s to the message budgets rather than retrying behind their back.
    client: w.chat,
    render: (run, size) => redactSecrets(renderRun(run, { now: now(), interactive: true, checklyAppUrl, size }), secrets),
    renderFailureReplies: (run, opts) => redactSecrets(renderFailureReplies(run, opts), secrets),
    failureReplies: async (run, stopping) => {
      const sessions = evidenceSessions(run);
      if (sessions.length === 0) return { replies: [], listed: 0 };
      const found = await gatherEvidence(sessions, { ...evidence, stopping });
      const replies = renderEvidenceReplies(run, renderFailureReply(run), found).map((m) => redactSecrets(m, secrets));
      return { replies, listed: sessions.length };
    },
    afterFailureReply: async (run, threadTs, stopping) => {
      const shots = await gatherScreenshots(failingInOrder(run), { ...evidence, stopping });
      if (stopping.aborted) {
        // Cut off before anything went up: the next process adds them (its sweep finds the run unsettled).
        await store.update(run.id, (r) => {
          r.screenshotsDue = true;
          r.settledAt = undefined;
        });
        logger.info({ runId: run.id }, 'stopping: the failure screenshots are left to the next process');
        return;
      }
      await screenshots.upload(run.channel, threadTs, shots);
      if (run.screenshotsDue) {
        await store.update(run.id, (r) => {
          r.screenshotsDue = undefined;
        });
      }
    },
    intervalMs: config.slack.updateIntervalMs,
    maxUpdatesPerMinute: config.slack.maxUpdatesPerMinute,
    sharedBudgets: w.sharedBudgets,
    now,
    logger,
    beforeShow: async (run, shown) => {
      await store
        .update(run.id, (r) => {
          r.shownDigest = shown;
        })
        .catch((err: unknown) => logger.warn({ runId: run.id, err: String(err) }, 'could not record what the message will show'));
    },
    onShown: (run, shown) => {
      store
        .update(run.id, (r) => {
          r.shownDigest = shown;
        })
        .catch((err: unknown) => logger.warn({ runId: run.id, err: String(err) }, 'could not record what the message shows'));
    },
  });
}

/**
 * The follower follows sessions and tells the runner of each final one; the runner starts, cancels and
 * shows runs; the run service is the door every entrance goes through.
 */
export function buildRunner(w: RunWiring, messages: SlackRunMessages): { runner: Runner; follower: SessionFollower; runs: RunService } {
  const { config, checkly, checklyBudget, metrics, now, logger } = w;
  const follower = new SessionFollower({
    checkly: sessionWatcher(checkly),
    pollWaitSeconds: config.checkly.pollWaitSeconds,
    pollRequestsPerMinute: pollRequestsPerMinute(config),
    beforePoll: () => checklyBudget.reserve('completion'),
    durations: new TypicalDurations({
      store: w.durations,
      // One request for every check's shortest and longest run, asked again after five minutes at most.
      fetchStatuses: async () => (await listCheckStatuses(checkly)).flatMap((s) => (s ? [s] : [])),
      now,
      logger,
    }),
    retryDelayMs: 1000,
    logger,
  });
  const runner = new Runner({
    store: w.store,
    checkly: sessionStarter(checkly),
    messages: countRuns(messages, metrics),
    follower,
    dispatcher: w.dispatcher,
    runTimeoutMs: config.runs.timeoutMs,
    triggerTimeoutMs: config.runs.triggerTimeoutMs,
    sweepIntervalMs: config.runs.sweepIntervalMs,
    processId: w.processId,
    alone: w.alone,
    now,
    newId: w.newId,
    logger,
    afterAnswers: () => w.foreground.quiet(TRIGGER_YIELD_MS),
  });
  follower.deliverFinalsTo((runId, sessionId, outcome) => runner.sessionFinal(runId, sessionId, outcome));
  metrics.observeSessionsFollowed(() => follower.size);
  metrics.observeQueueDepth('checkly_requests', () => checklyBudget.waiting);
  metrics.observeQueueDepth('session_polls', () => follower.waiting);
  metrics.observeQueueDepth('slack_updates', () => messages.waiting.updates);
  metrics.observeQueueDepth('slack_posts', () => messages.waiting.posts);
  return { runner, follower, runs: new RunService({ runner, permalinks: slackPermalinks(w.slackClient) }) };
}

/** Sweeps now and then every `intervalMs`: not only at start, every unsettled run is looked at all the time (see Runner.sweep). */
export function sweepEvery(runner: Pick<Runner, 'sweep'>, intervalMs: number): NodeJS.Timeout {
  void runner.sweep();
  const sweeper = setInterval(() => void runner.sweep(), intervalMs);
  sweeper.unref();
  return sweeper;
}
