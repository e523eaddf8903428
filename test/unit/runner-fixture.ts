/**
 * A Runner over an in-memory store that fails on demand, fake Slack messages and a fake Checkly:
 * what the runner and run-service tests share. Use it on jest's fake clock.
 */
import type { CompletedSession, TriggerRequest, TriggeredSession } from '../../src/checkly/types';
import { createLogger } from '../../src/log';
import { LocalDispatcher } from '../../src/runs/dispatch';
import { sessionStarter, sessionWatcher, type ChecklyPort } from '../../src/checkly/sessions';
import type { FinishOutcome, PostOptions, Posted, RunMessages, Unanswered, Unreachable } from '../../src/runs/ports';
import { Runner, type RunnerOptions, type RunRequest } from '../../src/runs/runner';
import { MemoryRunStore } from '../../src/runs/store';
import { SessionFollower } from '../../src/runs/follower';
import type { Run, SessionStatus } from '../../src/runs/types';

export const SWEEP_MS = 1000;
export const TRIGGER_TIMEOUT_MS = 5000;
export const RUN_TIMEOUT_MS = 60_000;
/** How long the sweep leaves a final state just recorded to the process that recorded it. */
export const FINAL_GRACE_MS = 10_000;

export type StoreOp = 'create' | 'get' | 'update' | 'delete' | 'list';

/** A store whose operations fail while told to, or the next n times. */
export class FaultyStore extends MemoryRunStore {
  failing = new Set<StoreOp>();
  failTimes = new Map<StoreOp, number>();
  /** Writes so far (create, update, delete), failed ones included. */
  writes = 0;
  private fail(op: StoreOp): void {
    const times = this.failTimes.get(op) ?? 0;
    if (times > 0) this.failTimes.set(op, times - 1);
    if (this.failing.has(op) || times > 0) throw new Error(`store ${op} failed (SQLITE_IOERR)`);
  }
  override async create(run: Run): Promise<void> {
    this.writes += 1;
    this.fail('create');
    return super.create(run);
  }
  override async get(id: string): Promise<Run | undefined> {
    this.fail('get');
    return super.get(id);
  }
  override async update(id: string, change: (run: Run) => void): Promise<Run | undefined> {
    this.writes += 1;
    this.fail('update');
    return super.update(id, change);
  }
  override async delete(id: string): Promise<void> {
    this.writes += 1;
    this.fail('delete');
    return super.delete(id);
  }
  override async listUnfinished(): Promise<Run[]> {
    this.fail('list');
    return super.listUnfinished();
  }
}

/** Slack as the runner sees it: posts, updates and final states, failing on demand. */
export class FakeMessages implements RunMessages {
  posts: Run[] = [];
  /** The options of each post, in order. */
  postOptions: Array<PostOptions | undefined> = [];
  changes: Run[] = [];
  finals: Run[] = [];
  postFailure?: Error | Unreachable;
  /** The next this many posts are taken (recorded in `posts`) and not answered in time. */
  unansweredPosts = 0;
  /** Answers of the next `finished` calls (shown and replied by default). */
  finishAnswers: FinishOutcome[] = [];
  private seq = 0;

  async post(run: Run, options?: PostOptions): Promise<Posted | { unreachable: Unreachable } | Unanswered> {
    this.postOptions.push(options);
    const failure = this.postFailure;
    if (typeof failure === 'string') return { unreachable: failure };
    if (failure) throw failure;
    this.posts.push(structuredClone(run));
    if (this.unansweredPosts > 0) {
      this.unansweredPosts -= 1;
      return { unanswered: true };
    }
    this.seq += 1;
    return { ts: `1700000000.${String(this.seq).padStart(6, '0')}`, shownDigest: `posted ${run.id}` };
  }
  changed(run: Run): void {
    this.changes.push(structuredClone(run));
  }
  async finished(run: Run): Promise<FinishOutcome> {
    this.finals.push(structuredClone(run));
    return this.finishAnswers.shift() ?? { shown: true, replied: true };
  }
}

/** Checkly: triggers answer at once or when released; sessions finish when told. */
export class FakeCheckly implements ChecklyPort {
  triggers: TriggerRequest[] = [];
  triggerFailure?: Error;
  /** When set, triggers wait for `release()`. */
  hold = false;
  private held: Array<() => void> = [];
  private readonly completions = new Map<string, (s: CompletedSession | null) => void>();
  private n = 0;

  async trigger(request: TriggerRequest): Promise<TriggeredSession[]> {
    this.triggers.push(request);
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.triggerFailure) throw this.triggerFailure;
    const ids = request.target?.checkId ?? ['c1', 'c2'];
    return ids.map((checkId) => {
      this.n += 1;
      return {
        checkSessionId: `s${this.n}`,
        checkId,
        name: `Check ${checkId}`,
        checkType: 'API',
        checkSessionLink: `https://app.checklyhq.com/s${this.n}`,
        status: 'STARTED',
        runLocations: ['eu-west-1'],
      } as TriggeredSession;
    });
  }
  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }
  awaitCompletion(sessionId: string): Promise<CompletedSession | null> {
    return new Promise((resolve) => {
      this.completions.set(sessionId, resolve);
      setTimeout(() => resolve(null), 1000);
    });
  }
  finish(sessionId: string, status: SessionStatus): void {
    this.completions.get(sessionId)?.({
      checkSessionId: sessionId,
      checkId: 'c',
      status,
      timeElapsed: 100,
      results: [],
    } as unknown as CompletedSession);
  }
  async getCheckResult(): Promise<never> {
    throw new Error('not needed');
  }
  async cancel(_sessionId: string): Promise<void> {}
}

export const logger = createLogger({ level: 'silent', secrets: [] });
export const request: RunRequest = {
  teamId: 'T1',
  channel: 'C1',
  requester: 'U1',
  target: { tags: [['prod']], checkIds: [], all: false },
  refreshCache: false,
};

/** `over`: runner options other than the fixture's. */
export function setup(over: Partial<RunnerOptions> = {}) {
  const store = new FaultyStore();
  const messages = new FakeMessages();
  const checkly = new FakeCheckly();
  const dispatcher = new LocalDispatcher(store, logger);
  let runner: Runner | undefined;
  const follower = new SessionFollower({
    checkly: sessionWatcher(checkly),
    pollWaitSeconds: 1,
    pollRequestsPerMinute: 6000,
    retryDelayMs: 200,
    logger,
    onFinal: (runId, sessionId, outcome) => runner!.sessionFinal(runId, sessionId, outcome),
  });
  let id = 0;
  runner = new Runner({
    store,
    checkly: sessionStarter(checkly),
    messages,
    follower,
    dispatcher,
    runTimeoutMs: RUN_TIMEOUT_MS,
    triggerTimeoutMs: TRIGGER_TIMEOUT_MS,
    sweepIntervalMs: SWEEP_MS,
    processId: 'this-process',
    alone: true,
    now: Date.now,
    newId: () => `run-${++id}`,
    logger,
    ...over,
  });
  const r = runner;
  return { store, messages, checkly, dispatcher, follower, runner: r, start: () => dispatcher.start((runId, signal) => r.follow(runId, signal)) };
}

export function aRun(over: Partial<Run> & { id: string }): Run {
  return {
    teamId: 'T1',
    channel: 'C1',
    requester: 'U1',
    target: { tags: [['prod']], checkIds: [], all: false },
    refreshCache: false,
    phase: 'running',
    sessions: [],
    createdAt: Date.now(),
    ...over,
  };
}

export type Setup = ReturnType<typeof setup>;

/**
 * For a test file: jest's fake clock around every test, and the teardown of what the returned `make`
 * built. Call at the top level of the file.
 */
export function useRunnerFixture(): (over?: Partial<RunnerOptions>) => Setup {
  let current: Setup | undefined;
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_700_000_000_000, doNotFake: ['setImmediate'] });
  });
  afterEach(async () => {
    if (current) {
      current.runner.stop();
      await current.dispatcher.stop();
      current.follower.stop();
      current = undefined;
    }
    jest.useRealTimers();
  });
  return (over) => {
    current = setup(over);
    return current;
  };
}
