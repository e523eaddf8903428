/** The run domain put together: the run messages over Slack, the session follower, the runner and the run service. */
import type { webApi } from '@slack/bolt';
import type { ChecklyBudget } from '../checkly/budget';
import type { ChecklyClient } from '../checkly/client';
import { listCheckAlerts, listCheckStatuses } from '../checkly/catalogue';
import { conditions } from '../catalogue/model';
import { evidencePort, type ResultReadings } from '../checkly/result-detail';
import { sessionStarter, sessionWatcher } from '../checkly/sessions';
import { evidenceSessions, renderEvidenceReplies } from '../blocks/evidence';
import { failingInOrder } from '../blocks/order';
import { renderRun } from '../blocks/run';
import { renderFailureReplies, renderFailureReply } from '../blocks/thread';
import type { Config } from '../config';
import type { Logger } from '../shared/log';
import type { Metrics } from '../ops/metrics';
import type { Dispatcher } from '../runs/dispatch';
import { CheckOutcomes } from '../runs/outcomes';
import type { RunBefore } from '../runs/changes';
import type { CheckStates } from '../runs/ports';
import type { Records } from '../runs/records';
import { TypicalDurations, type DurationStore } from '../runs/durations';
import { gatherEvidence, gatherScreenshots, type EvidenceDeps } from '../runs/gather-evidence';
import { Runner } from '../runs/runner';
import { RunService } from '../runs/service';
import type { RunStore } from '../runs/store';
import { SessionFollower } from '../runs/follower';
import type { Secrets } from '../shared/secrets';
import type { Foreground } from '../shared/foreground';
import { slackPermalinks } from '../slack/permalinks';
import { SlackRunMessages, type ChatClient } from '../slack/run-messages';
import { ScreenshotUploader } from '../slack/upload';
import { pollRequestsPerMinute, type SharedBudgets } from './checkly';

/** The Checkly web app, whose links the run messages carry. */
const CHECKLY_APP = 'https://app.checklyhq.com';
/** How long a thread reply waits for its failure details, which wait behind every poll of a running session. */
const EVIDENCE_WAIT_MS = 20_000;

export interface RunDeps {
  config: Config;
  secrets: Secrets;
  checkly: ChecklyClient;
  /** Final results read once, shared with the Details modal. */
  results: ResultReadings;
  checklyBudget: ChecklyBudget;
  store: RunStore;
  durations: DurationStore;
  /** Where each check's last outcomes are kept (for `flaky`). */
  records: Records;
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
 * its evidence and screenshots. What a message shows is in their answers; the runner records it.
 */
export function buildRunMessages(w: RunDeps): SlackRunMessages {
  const { config, secrets, checkly, now, logger } = w;
  const evidence: EvidenceDeps = { checkly: evidencePort(checkly, w.results), logger, waitMs: EVIDENCE_WAIT_MS };
  const screenshots = new ScreenshotUploader({
    client: w.slackClient,
    postNote: async (channel, threadTs, text) => {
      await w.chat.chat.postMessage({ channel, thread_ts: threadTs, text, unfurl_links: false, unfurl_media: false });
    },
    logger,
    scrub: (text) => secrets.scrub(text),
  });
  // "Open in Checkly" of a run of several checks (or of one cut off before its sessions were known):
  // the account's check sessions, every session of the run among them, rather than its first one.
  const checklyAppUrl = `${CHECKLY_APP}/accounts/${config.checkly.accountId}/check-sessions`;
  return new SlackRunMessages({
    // A client that hands 429s to the message budgets rather than retrying behind their back.
    client: w.chat,
    render: (run, size) => secrets.scrub(renderRun(run, { now: now(), interactive: true, checklyAppUrl, size })),
    renderFailureReplies: (run, opts) => secrets.scrub(renderFailureReplies(run, opts)),
    failureReplies: async (run, stopping) => {
      const sessions = evidenceSessions(run);
      if (sessions.length === 0) return { replies: [], listed: 0 };
      const found = await gatherEvidence(sessions, { ...evidence, stopping });
      const replies = renderEvidenceReplies(run, renderFailureReply(run), found).map((m) => secrets.scrub(m));
      return { replies, listed: sessions.length };
    },
    afterFailureReply: async (run, threadTs, stopping) => {
      const shots = await gatherScreenshots(failingInOrder(run), { ...evidence, stopping });
      // Cut off before anything went up: the next process adds them (the runner marks the run for it).
      if (stopping.aborted) return 'handed_over';
      await screenshots.upload(run.channel, threadTs, shots);
      return 'added';
    },
    intervalMs: config.slack.updateIntervalMs,
    maxUpdatesPerMinute: config.slack.maxUpdatesPerMinute,
    sharedBudgets: w.sharedBudgets,
    now,
    logger,
  });
}

/**
 * The follower follows sessions and tells the runner of each final one; the runner starts, cancels and
 * shows runs; the run service is the door every entrance goes through.
 */
export function buildRunner(w: RunDeps, messages: SlackRunMessages): { runner: Runner; follower: SessionFollower; runs: RunService } {
  const { config, checkly, checklyBudget, metrics, now, logger } = w;
  const follower = new SessionFollower({
    checkly: sessionWatcher(checkly, w.results),
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
    messages,
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
    changes: { states: checkStates(checkly), outcomes: new CheckOutcomes(w.records, config.runs.retentionMs, logger) },
  });
  follower.deliverFinalsTo((runId, sessionId, outcome) => runner.sessionFinal(runId, sessionId, outcome));
  metrics.observeSessionsFollowed(() => follower.size);
  metrics.observeQueueDepth('checkly_requests', () => checklyBudget.waiting);
  metrics.observeQueueDepth('session_polls', () => follower.waiting);
  metrics.observeQueueDepth('slack_updates', () => messages.waiting.updates);
  metrics.observeQueueDepth('slack_posts', () => messages.waiting.posts);
  return { runner, follower, runs: new RunService({ runner, permalinks: slackPermalinks(w.slackClient) }) };
}

/**
 * Every check's state just before a run: GET /v1/check-statuses, and since when from the alerts of
 * the last hours, asked only when a check is failing or degraded.
 */
export function checkStates(checkly: ChecklyClient): CheckStates {
  // Runs started while a read is under way share it (a burst of commands is one request, not one
  // each): it began at most one answer's time before them, and before any of them triggered.
  let reading: Promise<NonNullable<RunBefore['checks']>> | undefined;
  const read = async () => {
    const statuses = (await listCheckStatuses(checkly)).flatMap((s) => (s ? [s] : []));
    const bad = statuses.some((s) => s.hasFailures || s.hasErrors || s.isDegraded);
    const alerts = bad ? await listCheckAlerts(checkly).catch(() => []) : [];
    const checks: Record<string, { state: 'passing' | 'failing' | 'degraded'; since?: number }> = {};
    for (const [id, c] of conditions(statuses, alerts)) checks[id] = c.since !== undefined ? { state: c.state, since: c.since } : { state: c.state };
    return checks;
  };
  return {
    read: () => {
      reading ??= read().finally(() => {
        reading = undefined;
      });
      return reading;
    },
  };
}

/**
 * Sweeps now and then every `intervalMs`: not only at start, every unsettled run (see Runner.sweep)
 * and every workflow step waiting for its run (StepCompleter.sweep) is looked at all the time.
 */
export function sweepEvery(sweepers: ReadonlyArray<{ sweep(): Promise<void> }>, intervalMs: number): NodeJS.Timeout {
  const sweep = () => {
    for (const s of sweepers) void s.sweep();
  };
  sweep();
  const sweeper = setInterval(sweep, intervalMs);
  sweeper.unref();
  return sweeper;
}
