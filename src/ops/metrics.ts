/**
 * What an operator graphs and alerts on, in Prometheus form: runs by outcome, Checkly requests by
 * status, Slack calls by method and error, sessions being followed, queue depths, and the process.
 * One registry per app (never prom-client's global one), so tests can start several apps at once.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunOutcome } from '../runs/status';

export type RunKind = 'command' | 'rerun' | 'api' | 'workflow';

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC); on by default. */
  defaultMetrics?: boolean;
}

const PREFIX = 'checkly_slack_';

export class Metrics {
  readonly registry = new Registry();
  private readonly runsStarted: Counter<'kind'>;
  private readonly runsFinished: Counter<'outcome'>;
  private readonly checklyRequests: Counter<'operation' | 'status'>;
  private readonly slackCalls: Counter<'method' | 'error'>;
  private readonly refusals: Counter<'rule'>;
  private readonly apiRequests: Counter<'token' | 'route' | 'code'>;
  private readonly sessionReaders: Array<() => number> = [];
  private readonly queueReaders = new Map<string, () => number>();
  private apiInProgress: () => number = () => 0;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.runsStarted = new Counter({
      name: `${PREFIX}runs_started_total`,
      help: 'Runs started (one trigger each), by what started them.',
      labelNames: ['kind'],
      registers,
    });
    this.runsFinished = new Counter({
      name: `${PREFIX}runs_finished_total`,
      help: 'Runs that reached an end, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.checklyRequests = new Counter({
      name: `${PREFIX}checkly_requests_total`,
      help: 'HTTP attempts to the Checkly API (retries included), by operation and status; status "none" when no answer came.',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.slackCalls = new Counter({
      name: `${PREFIX}slack_calls_total`,
      help: 'HTTP attempts to the Slack Web API (retries included), by method and error; error "none" when Slack answered ok.',
      labelNames: ['method', 'error'],
      registers,
    });
    this.refusals = new Counter({
      name: `${PREFIX}access_refusals_total`,
      help: 'Commands and clicks refused by the access policy, by rule.',
      labelNames: ['rule'],
      registers,
    });

    this.apiRequests = new Counter({
      name: `${PREFIX}api_requests_total`,
      help: 'Requests to the run API, by token name ("none" when no known token was sent), route (create, read) and answer code.',
      labelNames: ['token', 'route', 'code'],
      registers,
    });

    const sessionReaders = this.sessionReaders;
    new Gauge({
      name: `${PREFIX}sessions_followed`,
      help: 'Check sessions this process is following until they are final.',
      registers,
      collect() {
        this.set(sessionReaders.reduce((sum, read) => sum + safeRead(read), 0));
      },
    });
    const readApiInProgress = () => safeRead(this.apiInProgress);
    new Gauge({
      name: `${PREFIX}api_requests_in_progress`,
      help: 'Run API requests being answered now (their runs trigger once none is, or after a second).',
      registers,
      collect() {
        this.set(readApiInProgress());
      },
    });
    const queueReaders = this.queueReaders;
    new Gauge({
      name: `${PREFIX}scheduler_queue_depth`,
      help: 'Work waiting its turn, by scheduler (long polls waiting for a slot, message updates waiting for the budget, ...).',
      labelNames: ['scheduler'],
      registers,
      collect() {
        for (const [scheduler, read] of queueReaders) this.set({ scheduler }, safeRead(read));
      },
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  runStarted(kind: RunKind): void {
    this.runsStarted.inc({ kind });
  }

  runFinished(outcome: RunOutcome): void {
    this.runsFinished.inc({ outcome });
  }

  /** Fits ChecklyClient's `onResponse`: `op` and `status` (undefined when no answer came). */
  checklyResponse(info: { op: string; status: number | undefined }): void {
    this.checklyRequests.inc({ operation: info.op, status: info.status === undefined ? 'none' : String(info.status) });
  }

  /** `error` is Slack's error code (`not_in_channel`, `ratelimited`, ...), undefined for an ok answer. */
  slackCall(method: string, error: string | undefined): void {
    this.slackCalls.inc({ method, error: error ?? 'none' });
  }

  /** `token` is a RUN_API_TOKENS name, never a secret: the configured names bound the series. */
  apiRequest(token: string, route: string, code: string): void {
    this.apiRequests.inc({ token, route, code });
  }

  refused(rule: string): void {
    this.refusals.inc({ rule });
  }

  /** Adds a source of "sessions followed" (a follower's size); the gauge shows the sum when scraped. */
  observeSessionsFollowed(read: () => number): void {
    this.sessionReaders.push(read);
  }

  /** The run API's requests in progress, read when scraped. */
  observeApiInProgress(read: () => number): void {
    this.apiInProgress = read;
  }

  /** Names a queue whose depth is read when scraped. */
  observeQueueDepth(scheduler: string, read: () => number): void {
    this.queueReaders.set(scheduler, read);
  }

  /** The exposition text, and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** A gauge reader that throws must not break the whole scrape. */
function safeRead(read: () => number): number {
  try {
    const value = read();
    return Number.isFinite(value) ? value : 0;
  } catch {
    return 0;
  }
}
