/**
 * POST /api/v1/runs and GET /api/v1/runs/{id} (docs/ci-api.md), as Bolt custom routes: served on PORT
 * beside /slack/events in HTTP mode, and on the small server SocketModeReceiver starts in Socket Mode.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { CustomRoute } from '@slack/bolt';
import { guard, type GuardDeps } from '../guard';
import { audit } from '../ops/audit';
import type { Logger } from '../shared/log';
import type { RunRequest, RunService, StartResult } from '../runs/service';
import type { Foreground } from '../shared/foreground';
import { isRunOver } from '../runs/status';
import type { KeyClaims } from '../runs/store';
import type { Run } from '../runs/types';
import { TokenCheck } from './auth';
import type { ApiToken } from './config';
import { ApiError, bearer, readBody, sendError, sendJson } from './http';
import { TokenRate } from './rate';
import { idempotencyKey, parseListQuery, parseRunBody, requestDigest, waitSeconds, type RunBody } from './request';
import { IdempotencyKeys } from './idempotency';
import { LongPolls } from './long-poll';
import type { RunEvents } from './run-events';
import { apiStatus, messageRef, runView } from './view';
import { errorText } from '../shared/error-text';

const RUNS_PATH = '/api/v1/runs';

/** The API's routes, as the audit lines and metrics name them. */
type Route = 'create' | 'read' | 'list';

export interface RunApiDeps {
  tokens: readonly ApiToken[];
  ratePerMinute: number;
  /** With Redis state: the rate is counted there, one minute per token for every replica. */
  sharedRate?: { redis: Redis; prefix: string };
  /** The run service, the API's one door to runs: it starts them and reads them. */
  runs: Pick<RunService, 'start' | 'read' | 'recent'>;
  claims: KeyClaims;
  events: RunEvents;
  /** The access policy's guard: the people lists do not apply to tokens. */
  guard: GuardDeps;
  /** The workspace of the bot token (auth.test), where API runs are posted. */
  teamId: string;
  /** The workspace's URL (auth.test), for permalinks. */
  workspaceUrl?: string;
  logger: Logger;
  /** Counts each answer by token and code (`accepted`, `ok` or the error code). */
  onAnswer?: (token: string, route: Route, code: string) => void;
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
      path: RUNS_PATH,
      method: ['GET', 'HEAD'],
      handler: (req, res) => {
        const api = current();
        if (api) void api.serveList(req, res);
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
  private readonly keys: IdempotencyKeys;
  private readonly polls: LongPolls;

  constructor(private readonly options: RunApiDeps) {
    this.tokens = new TokenCheck(options.tokens);
    this.rate = new TokenRate(options.ratePerMinute, options.sharedRate);
    const read = (runId: string) => options.runs.read(runId);
    this.keys = new IdempotencyKeys({ claims: options.claims, read, now: options.now, newId: options.newId });
    this.polls = new LongPolls({ read, events: options.events, logger: options.logger });
  }

  /** POST /api/v1/runs */
  serveCreate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.handle('create', req, res, (token) => this.create(token, req, res));
  }

  /** GET /api/v1/runs/{id} */
  serveRead(req: IncomingMessage & { params?: Record<string, string | string[]> }, res: ServerResponse): Promise<void> {
    return this.handle('read', req, res, (_token, background) => this.read(req, res, String(req.params?.id ?? ''), background));
  }

  /** GET /api/v1/runs?channel=…&target=…&limit=… */
  serveList(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.handle('list', req, res, (token) => this.list(token, req, res));
  }

  /**
   * Authenticates, runs `serve`, and turns whatever it throws into the documented error answer. The
   * request holds the foreground until it is answered, or until `serve` says it is waiting on purpose
   * (`background`: a long poll), which no trigger should wait behind.
   */
  private async handle(
    route: Route,
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
    this.options.logger.error({ route, err: errorText(err) }, 'the run API failed');
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
    const { teamId } = this.options;
    const key = idempotencyKey(req.headers['idempotency-key']);
    const body = parseRunBody(await readBody(req));
    const who: AuditWho = { userId: `api:${token}`, teamId, channelId: body.channel, token, target: body.targetText };

    // People's allow-lists (users, groups) name people; a token is not one. Channels and --all apply.
    const request = { action: 'run' as const, userId: who.userId, channelId: body.channel, target: body.target };
    await guard(this.options.guard, { request, audit: { action: 'trigger', ...who }, peopleListsApply: false }, async (refusal) => {
      throw new ApiError(
        'forbidden',
        refusal.rule === 'all'
          ? 'Running every check (--all) is turned off: set ALLOW_RUN_ALL=true, or run by tag or --check.'
          : `The app does not run checks in ${body.channel}: it is not in ALLOWED_CHANNELS.`,
      );
    });
    if (key === undefined) {
      await this.chargeRun(token, who);
      return this.start(token, body, res);
    }
    const claimed = await this.keys.claim(token, key, requestDigest(body));
    if (claimed.kind === 'reused') {
      audit(this.options.logger, { action: 'trigger', ...who, sessions: [], outcome: 'refused', reason: 'idempotency_key_reused' });
      throw new ApiError(
        'idempotency_key_reused',
        'This Idempotency-Key started a run with a different request (channel, target, title, link, threadTs or notify) within 24 h. ' +
          'Send a new key for a new run; nothing was triggered.',
      );
    }
    if (claimed.kind === 'replay') {
      this.options.logger.info({ runId: claimed.run.id, token }, 'idempotent retry: answered the run its key started');
      this.accepted(res, claimed.run);
      return 'replayed';
    }
    try {
      await this.chargeRun(token, who);
    } catch (err) {
      await claimed.release().catch(() => undefined);
      throw err;
    }
    return this.start(token, body, res, claimed);
  }

  /** Counts a run against the token's rate, or refuses it with 429. */
  private async chargeRun(token: string, who: AuditWho): Promise<void> {
    const retryAfter = await this.rate.take(token);
    if (retryAfter <= 0) return;
    audit(this.options.logger, { action: 'trigger', ...who, sessions: [], outcome: 'refused', reason: 'rate_limited' });
    throw new ApiError('rate_limited', `This token may start ${this.options.ratePerMinute} runs a minute; try again in ${retryAfter} s.`, {
      'Retry-After': String(retryAfter),
    });
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
    let first: { run: Run } | { result: StartResult };
    try {
      first = await Promise.race([whenPosted.then((run) => ({ run })), started.then((result) => ({ result }))]);
    } catch (err) {
      await claim?.release().catch(() => undefined);
      throw err;
    }
    if ('run' in first) {
      this.accepted(res, first.run);
      started.catch((err: unknown) => logger.error({ runId: first.run.id, err: errorText(err) }, 'an API run failed after its message was posted'));
      return 'accepted';
    }
    const { result } = first;
    if ('unreachable' in result) {
      await claim?.release().catch(() => undefined);
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

  private async read(req: IncomingMessage, res: ServerResponse, id: string, background: () => void): Promise<string> {
    const wait = waitSeconds(new URL(req.url ?? '/', 'http://localhost').searchParams.get('wait'));
    const notFound = () => new ApiError('not_found', 'No run has this id (runs are kept for RUN_RETENTION_DAYS).');
    if (id === '' || id.length > 100) throw notFound();
    let run = await this.options.runs.read(id);
    if (!run) throw notFound();
    if (wait !== undefined && !isRunOver(run) && !this.polls.stopped) {
      background();
      run = (await this.polls.waitForEnd(id, wait * 1000, res)) ?? run;
    }
    // A replica that is stopping answers with what it has and lets the connection go: the client asks
    // again, and reaches a replica that stays.
    sendJson(res, 200, runView(run, this.options.workspaceUrl), this.polls.stopped ? { Connection: 'close' } : {});
    return 'ok';
  }

  /** A target's last runs in a channel, newest first, as GET /api/v1/runs/{id} gives each. */
  private async list(token: string, req: IncomingMessage, res: ServerResponse): Promise<string> {
    const query = parseListQuery(new URL(req.url ?? '/', 'http://localhost').searchParams);
    const request = { action: 'status' as const, userId: `api:${token}`, channelId: query.channel };
    await guard(this.options.guard, { request, peopleListsApply: false }, async () => {
      throw new ApiError('forbidden', `The app does not answer for ${query.channel}: it is not in ALLOWED_CHANNELS.`);
    });
    const runs = await this.options.runs.recent(this.options.teamId, query.channel, query.target, query.limit);
    sendJson(res, 200, { runs: runs.map((run) => runView(run, this.options.workspaceUrl)) });
    return 'ok';
  }

  /** Shutdown: every open long poll is answered now, and the later ones at once (LongPolls.stop). */
  stopWaiting(): void {
    this.polls.stop();
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
