/**
 * POST /api/v1/runs and GET /api/v1/runs/{id} (product.md §8), as Bolt custom routes: served on PORT
 * beside /slack/events in HTTP mode, and on the small server SocketModeReceiver starts in Socket Mode.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { decide, type AccessPolicy } from '../access/policy';
import { audit } from '../audit';
import type { Logger } from '../log';
import type { RunRequest, RunService, StartResult } from '../runs/service';
import type { Foreground } from '../shared/foreground';
import { isRunOver } from '../runs/status';
import type { KeyClaims, RunStore } from '../runs/store';
import type { Run } from '../runs/types';
import { TokenCheck } from './auth';
import type { ApiToken } from './config';
import { ApiError, bearer, readBody, sendError, sendJson } from './http';
import { TokenRate } from './rate';
import { idempotencyKey, parseRunBody, requestDigest, waitSeconds, type RunBody } from './request';
import type { RunEvents } from './run-events';
import { apiStatus, messageRef, runView } from './view';
import { errorMessage } from '../shared/error-text';

const RUNS_PATH = '/api/v1/runs';

/** product.md §8: the same key and token within 24 h answer the same run. */
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** A retry that finds its key taken waits this long at most for the first request's run to be posted. */
const REPLAY_WAIT_MS = 30_000;
const REPLAY_POLL_MS = 100;
/**
 * A long poll also looks at the store this often, in case the notification of the end was lost
 * (a Redis subscriber reconnecting): a safety net, not the way answers normally come.
 */
export const WAIT_RECHECK_MS = 5_000;

export interface RunApiOptions {
  tokens: readonly ApiToken[];
  ratePerMinute: number;
  runs: Pick<RunService, 'start'>;
  store: Pick<RunStore, 'get'>;
  claims: KeyClaims;
  events: RunEvents;
  policy: AccessPolicy;
  /** The workspace of the bot token (auth.test), where API runs are posted. */
  teamId: string;
  /** The workspace's URL (auth.test), for permalinks. */
  workspaceUrl?: string;
  logger: Logger;
  /** Counts each answer by token and code (`accepted`, `ok` or the error code). */
  onAnswer?: (token: string, route: 'create' | 'read', code: string) => void;
  /** Counts refusals by the access rule, as the Slack listeners do. */
  onRefused?: (rule: string) => void;
  /** Held by each request until it is answered: its run's trigger waits for the burst's answers. */
  foreground?: Foreground;
  now: () => number;
  newId: () => string;
}

/**
 * The routes, served by whichever RunApi `current` gives: the routes must be handed to the receiver
 * before the run service they start runs with exists. Until then, an answer says the app is starting.
 */
export function runApiRoutes(current: () => RunApi | undefined): CustomRoute[] {
  const starting = (res: ServerResponse) => sendError(res, new ApiError('internal', 'The app is still starting. Try again.'));
  return [
    {
      path: RUNS_PATH,
      method: 'POST',
      handler: (req, res) => {
        const api = current();
        if (api) void api.serveCreate(req, res);
        else starting(res);
      },
    },
    {
      path: `${RUNS_PATH}/:id`,
      method: ['GET', 'HEAD'],
      handler: (req, res) => {
        const api = current();
        if (api) void api.serveRead(req, res);
        else starting(res);
      },
    },
  ];
}

export class RunApi {
  private readonly tokens: TokenCheck;
  private readonly rate: TokenRate;
  /** The long polls open now, each with what answers it at once. */
  private readonly waiting = new Set<() => void>();
  private stopping = false;

  constructor(private readonly options: RunApiOptions) {
    this.tokens = new TokenCheck(options.tokens);
    this.rate = new TokenRate(options.ratePerMinute);
  }

  /** POST /api/v1/runs */
  serveCreate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.handle('create', req, res, (token) => this.create(token, req, res));
  }

  /** GET /api/v1/runs/{id} */
  serveRead(req: IncomingMessage & { params?: Record<string, string | string[]> }, res: ServerResponse): Promise<void> {
    return this.handle('read', req, res, (token, background) => this.read(token, req, res, String(req.params?.id ?? ''), background));
  }

  /**
   * Authenticates, runs `serve`, and turns whatever it throws into the documented error answer. The
   * request holds the foreground until it is answered, or until `serve` says it is waiting on purpose
   * (`background`: a long poll), which no trigger should wait behind.
   */
  private async handle(
    route: 'create' | 'read',
    req: IncomingMessage,
    res: ServerResponse,
    serve: (token: string, background: () => void) => Promise<string>,
  ): Promise<void> {
    let token = 'none';
    const answered = this.options.foreground?.begin() ?? (() => undefined);
    try {
      const name = this.tokens.identify(bearer(req));
      if (name === undefined) {
        this.auditRefusal(route, req, 'unauthorized');
        throw new ApiError('unauthorized', 'Send Authorization: Bearer <secret> with a secret of RUN_API_TOKENS.');
      }
      token = name;
      const code = await serve(token, answered);
      this.options.onAnswer?.(token, route, code);
    } catch (err) {
      const error = err instanceof ApiError ? err : this.internal(err, route);
      // An answer before the body was read leaves it unread: drain it, so the connection can be reused.
      if (!req.readableEnded) req.resume();
      sendError(res, error);
      this.options.onAnswer?.(token, route, error.code);
    } finally {
      answered();
    }
  }

  private internal(err: unknown, route: string): ApiError {
    this.options.logger.error({ route, err: errorMessage(err) }, 'the run API failed');
    return new ApiError('internal', 'Something went wrong on our side. Try again with the same Idempotency-Key.');
  }

  /** A request without a known token: no name to give, so the line says where it came from. */
  private auditRefusal(route: string, req: IncomingMessage, reason: string): void {
    this.options.logger.info(
      { audit: true, action: route === 'create' ? 'trigger' : 'read', via: 'api', outcome: 'refused', reason, remote: req.socket.remoteAddress },
      'audit: api request refused',
    );
  }

  private async create(token: string, req: IncomingMessage, res: ServerResponse): Promise<string> {
    const { policy, teamId } = this.options;
    const key = idempotencyKey(req.headers['idempotency-key']);
    const body = parseRunBody(await readBody(req));
    const who: AuditWho = { userId: `api:${token}`, teamId, channelId: body.channel, token, target: body.targetText };

    // People's allow-lists (users, groups) name people; a token is not one. Channels and --all apply.
    const decision = decide(
      { ...policy, allowedUsers: undefined, allowedUsergroups: undefined },
      { action: 'run', userId: who.userId, channelId: body.channel, target: body.target, userGroups: [] },
    );
    if (!decision.allowed) {
      audit(this.options.logger, { action: 'trigger', ...who, sessions: [], outcome: 'refused', reason: decision.rule });
      this.options.onRefused?.(decision.rule);
      throw new ApiError(
        'forbidden',
        decision.rule === 'all'
          ? 'Running every check (--all) is turned off: set ALLOW_RUN_ALL=true, or run by tag or --check.'
          : `The app does not run checks in ${body.channel}: it is not in ALLOWED_CHANNELS.`,
      );
    }
    if (key === undefined) {
      this.chargeRun(token, who);
      return this.start(token, body, res);
    }
    return this.startOnce({ token, claimKey: `api:${token}:${sha256(key)}`, asked: requestDigest(body), body, res, who });
  }

  /** Counts a run against the token's rate, or refuses it with 429. */
  private chargeRun(token: string, who: AuditWho): void {
    const retryAfter = this.rate.take(token, this.options.now());
    if (retryAfter <= 0) return;
    audit(this.options.logger, { action: 'trigger', ...who, sessions: [], outcome: 'refused', reason: 'rate_limited' });
    throw new ApiError('rate_limited', `This token may start ${this.options.ratePerMinute} runs a minute; try again in ${retryAfter} s.`, {
      'Retry-After': String(retryAfter),
    });
  }

  /**
   * Starts the run unless another request with this key did: then answers that run, once it is posted,
   * provided it asked for the same (422 otherwise). The key is claimed, with the digest of what it asks,
   * before anything is charged or triggered, atomically in the store, so that of two concurrent requests
   * (on two replicas too) exactly one starts a run, and a retry is answered even at the rate limit.
   */
  private async startOnce(req: KeyedRequest): Promise<string> {
    const { claims, store, newId, now } = this.options;
    const { token, claimKey, asked, body, res } = req;
    const deadline = now() + REPLAY_WAIT_MS;
    let missingSince: number | undefined;
    for (;;) {
      const mine = newId();
      const held = await claims.putIfAbsent(claimKey, claimValue(mine, asked), IDEMPOTENCY_TTL_MS);
      const claim = parseClaim(held);
      if (claim.runId === mine) {
        const release = () => claims.releaseKey(claimKey, held);
        try {
          this.chargeRun(token, req.who);
        } catch (err) {
          await release().catch(() => undefined);
          throw err;
        }
        return this.start(token, body, res, { id: mine, release });
      }
      if (claim.asked !== undefined && claim.asked !== asked) {
        audit(this.options.logger, { action: 'trigger', ...req.who, sessions: [], outcome: 'refused', reason: 'idempotency_key_reused' });
        throw new ApiError(
          'idempotency_key_reused',
          'This Idempotency-Key started a run with a different request (channel, target, title, link, threadTs or notify) within 24 h. ' +
            'Send a new key for a new run; nothing was triggered.',
        );
      }
      const run = await store.get(claim.runId);
      if (run?.ts !== undefined) {
        this.options.logger.info({ runId: run.id, token }, 'idempotent retry: answered the run its key started');
        this.accepted(res, run);
        return 'replayed';
      }
      // A key whose run never appears lost its process between claim and store: free it for this retry.
      if (run === undefined) missingSince ??= now();
      if (missingSince !== undefined && now() - missingSince > REPLAY_WAIT_MS / 2) {
        await claims.releaseKey(claimKey, held);
        missingSince = undefined;
        continue;
      }
      if (now() > deadline) throw new Error('the first request with this Idempotency-Key is still starting its run');
      await sleep(REPLAY_POLL_MS);
    }
  }

  /** Starts a run and answers 202 as soon as its message is posted, while the trigger goes on. */
  private async start(token: string, body: RunBody, res: ServerResponse, claim?: { id: string; release: () => Promise<void> }): Promise<string> {
    const { runs, teamId, logger } = this.options;
    let posted!: (run: Run) => void;
    const whenPosted = new Promise<Run>((resolve) => (posted = resolve));
    const request: RunRequest = {
      teamId,
      channel: body.channel,
      requester: token,
      target: body.target,
      refreshCache: body.refreshCache,
      origin: { kind: 'api', token },
      title: body.title,
      link: body.link,
      threadTs: body.threadTs,
      notify: body.notify,
      id: claim?.id,
      onStored: posted,
    };
    const started = runs.start(request);
    const who = { userId: `api:${token}`, teamId, channelId: body.channel, token, target: body.targetText };
    void started.then(
      (result) => {
        if ('run' in result) {
          const { run } = result;
          audit(logger, { action: 'trigger', ...who, runId: run.id, sessions: run.sessions.map((s) => s.sessionId), outcome: run.phase === 'error' ? 'failed' : 'started', reason: run.error?.kind });
        }
      },
      () => undefined,
    );
    let first: { run: Run } | { result: StartResult };
    try {
      first = await Promise.race([whenPosted.then((run) => ({ run })), started.then((result) => ({ result }))]);
    } catch (err) {
      await claim?.release().catch(() => undefined);
      throw err;
    }
    if ('run' in first) {
      this.accepted(res, first.run);
      started.catch((err: unknown) => logger.error({ runId: first.run.id, err: errorMessage(err) }, 'an API run failed after its message was posted'));
      return 'accepted';
    }
    const { result } = first;
    if ('unreachable' in result) {
      await claim?.release().catch(() => undefined);
      audit(logger, { action: 'trigger', ...who, sessions: [], outcome: 'unreachable', reason: result.unreachable });
      throw unreachableError(body.channel, result.unreachable);
    }
    if (result.run.error?.kind === 'not_posted') {
      // Nothing was triggered: the key may start a run again.
      await claim?.release().catch(() => undefined);
      throw new ApiError(
        'slack_timeout',
        'Slack did not answer in time when the app posted the run message; nothing was triggered. Try again with the same Idempotency-Key.',
      );
    }
    // Posted and triggered before the race looked (cannot happen: onStored comes first); answer all the same.
    this.accepted(res, result.run);
    return 'accepted';
  }

  private accepted(res: ServerResponse, run: Run): void {
    sendJson(res, 202, {
      id: run.id,
      status: apiStatus(run),
      url: `${RUNS_PATH}/${run.id}`,
      message: messageRef(this.options.workspaceUrl, run),
    });
  }

  private async read(token: string, req: IncomingMessage, res: ServerResponse, id: string, background: () => void): Promise<string> {
    const wait = waitSeconds(new URL(req.url ?? '/', 'http://localhost').searchParams.get('wait'));
    const notFound = () => new ApiError('not_found', 'No run has this id (runs are kept for RUN_RETENTION_DAYS).');
    if (id === '' || id.length > 100) throw notFound();
    let run = await this.options.store.get(id);
    if (!run) throw notFound();
    if (wait !== undefined && !isRunOver(run) && !this.stopping) {
      background();
      run = (await this.waitForEnd(id, wait * 1000, res)) ?? run;
    }
    // A replica that is stopping answers with what it has and lets the connection go: the client asks
    // again, and reaches a replica that stays.
    sendJson(res, 200, runView(run, this.options.workspaceUrl), this.stopping ? { Connection: 'close' } : {});
    return 'ok';
  }

  /**
   * Shutdown: every open long poll is answered now with its run's current state, and the later ones
   * at once. Nothing of a run depends on its waiters: they ask again, elsewhere.
   */
  stopWaiting(): void {
    this.stopping = true;
    for (const answerNow of [...this.waiting]) answerNow();
  }

  /**
   * Resolves with the run once it is over, or with the latest state when `ms` pass or the client goes.
   * Woken by RunEvents rather than by polling; the store is read again only when woken, and every
   * WAIT_RECHECK_MS in case a notification was lost.
   */
  private waitForEnd(id: string, ms: number, res: ServerResponse): Promise<Run | undefined> {
    const { store, events } = this.options;
    return new Promise((resolve) => {
      let latest: Run | undefined;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        stop();
        clearTimeout(timer);
        clearInterval(recheck);
        res.off('close', finish);
        this.waiting.delete(answerNow);
        resolve(latest);
      };
      const answerNow = () => void look().finally(finish);
      const look = async () => {
        try {
          const run = await store.get(id);
          if (run) latest = run;
          if (!run || isRunOver(run)) finish();
        } catch (err) {
          this.options.logger.warn({ runId: id, err: errorMessage(err) }, 'reading a waited-for run failed');
        }
      };
      // Listen first, then look: an end between the two is then heard, never missed.
      const stop = events.onOver(id, () => void look());
      const timer = setTimeout(finish, ms);
      const recheck = setInterval(() => void look(), WAIT_RECHECK_MS);
      res.on('close', finish);
      this.waiting.add(answerNow);
      void look();
    });
  }
}

/** Slack refused the run's message (`why`: its code): 409, with what would fix it. */
function unreachableError(channel: string, why: string): ApiError {
  if (why === 'not_in_channel') {
    return new ApiError('not_in_channel', `The bot cannot post in ${channel} (not_in_channel): invite it with /invite @Checkly there. Nothing was triggered.`);
  }
  const hint =
    why === 'channel_not_found'
      ? 'the channel does not exist, or is private and the bot was not invited (/invite @Checkly)'
      : 'the channel may be archived or read-only, or a workspace setting keeps apps from posting there';
  return new ApiError('channel_unavailable', `Slack refused to post in ${channel} (${why}): ${hint}. Nothing was triggered.`);
}

/** Who asked, as the audit lines name them. */
interface AuditWho {
  userId: string;
  teamId: string;
  channelId: string;
  token: string;
  target: string;
}

/** A POST with an Idempotency-Key, on its way to starting its run (or answering the one its key started). */
interface KeyedRequest {
  token: string;
  claimKey: string;
  /** The request's digest (requestDigest), kept with the claim. */
  asked: string;
  body: RunBody;
  res: ServerResponse;
  who: AuditWho;
}

/** A claim holds the id of the run its key started and the digest of the request that started it. */
function claimValue(runId: string, asked: string): string {
  return `${runId} ${asked}`;
}

/** A claim's parts; a claim stored before requests were digested holds the run id alone. */
function parseClaim(value: string): { runId: string; asked?: string } {
  const [runId = value, asked] = value.split(' ');
  return { runId, asked };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
