import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LIMITS, blocksProblems, blocksTextLength } from './slack-blocks';
import { fileMethods, receiveUpload, type FakeUpload } from './slack-files';
import { SlidingWindow } from './slack-rate';
import { attachSocketLink, type SocketEventType } from './slack-socket';
import { createFakeFunctions, type FakeFunctions, type FunctionDefinition } from './slack-functions';
import { createFakeViews, type FakeViews } from './slack-views';
import { sleep } from '../helpers';

/**
 * A fake Slack Web API on loopback for end-to-end tests and the benchmark: point Bolt's
 * `clientOptions.slackApiUrl` at `apiUrl`. It keeps the state of every message, refuses what Slack
 * refuses (block limits, channels the bot is not in, wrong tokens), can rate-limit like Slack's tiers,
 * records `response_url` posts, and plays Slack's side of Socket Mode.
 */

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  teamId?: string;
  /** chat.update calls allowed per sliding 60 s for the team (Tier 3 is about 50). Off when unset. */
  updatesPerMinute?: number;
  /** chat.postMessage calls per second per channel, averaged over `postBurstSeconds`. Off when unset. */
  postsPerSecondPerChannel?: number;
  /** The window that lets posts burst (default 5 s: 5 posts at once at 1 a second). */
  postBurstSeconds?: number;
  /** Delay before each Web API response, in milliseconds. */
  latencyMs?: () => number;
  /** The clock for timestamps, rate windows and response_url expiry (default Date.now). */
  now?: () => number;
  /** How long sendSocketEvent waits for an ack (default 5,000 ms). */
  ackTimeoutMs?: number;
  /**
   * Characters of text over a message's blocks above which it is refused with `msg_blocks_too_long`
   * (default 12,000, as Slack; reports say from 11,300). Lower it to play a Slack that counts more.
   */
  blocksTextLimit?: number;
  /** The app's workflow steps (default: the `functions` of manifest.yml). */
  functions?: Record<string, FunctionDefinition>;
}

export interface SlackCall {
  method: string;
  /** Arguments without the token; JSON-encoded fields of form bodies (`blocks`, ...) parsed. */
  args: Record<string, unknown>;
  token?: string;
  at: number;
  /** Filled in once answered. */
  status?: number;
  answeredAt?: number;
  error?: string;
  /** Slack's warning on an answer that went through: `missing_charset` for JSON sent without `charset=utf-8`. */
  warning?: string;
}

export interface MessageVersion {
  text?: string;
  blocks?: unknown[];
  at: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  /** The posted version first, then one per chat.update. */
  versions: MessageVersion[];
}

export interface Ephemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  at: number;
}

export interface ResponsePost {
  id: string;
  /** Parsed JSON, or the raw text if it was not JSON. */
  body: unknown;
  at: number;
}

export interface Rejection {
  method: string;
  error: string;
  problems?: string[];
}

/**
 * Why the bot cannot use a channel, named by what chat.postMessage answers there: not a member
 * (`not_in_channel`), a conversation it cannot see (`channel_not_found`), an archived channel
 * (`is_archived`: chat.update answers `is_inactive` there, conversations.info shows `is_archived`),
 * or a workspace preference that keeps the bot from posting (`restricted_action`).
 */
export type ChannelError = 'not_in_channel' | 'channel_not_found' | 'is_archived' | 'restricted_action';

/**
 * A failure Slack may answer any call with, for fault tests: `{ ok: false, error }` (HTTP 200, as Slack
 * answers `internal_error`), `ratelimited` (HTTP 429 with Retry-After), an HTTP 5xx status, or
 * `takeAndHang`: Slack carries the call out (posts, changes) and never answers it (the connection
 * stays open until the fake closes), as a Slack behind a stalled load balancer may; or `delayMs`:
 * Slack is slow, and does the call (or refuses it) only after that long.
 */
export type SlackFault = { error: string; retryAfterSeconds?: number } | { status: number } | { takeAndHang: true } | { delayMs: number };

export interface FakeSlack {
  /** With the trailing slash @slack/web-api expects. */
  apiUrl: string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  /** By `channel:ts`. */
  messages: Map<string, FakeMessage>;
  ephemerals: Ephemeral[];
  responsePosts: ResponsePost[];
  /** Calls refused with `ok: false` (not counting 429s). */
  rejections: Rejection[];
  /** Calls answered with HTTP 429. */
  readonly rateLimited: number;
  /** External file uploads, by file id (see slack-files.ts). */
  uploads: Map<string, FakeUpload>;
  /** Without `files:write`, the upload methods answer `missing_scope`. */
  setFilesScope(granted: boolean): void;
  /** A response_url on the fake; posts to it land in `responsePosts`. */
  responseUrl(id: string): string;
  /**
   * The bot's membership of `channel` (default: a member of every channel). Posting in a public channel
   * does not depend on it (`chat:write.public`); in a private one the bot is not in, every chat method
   * answers `channel_not_found`, as Slack does for a conversation the bot cannot see. Uploading does
   * depend on it: files.completeUploadExternal answers `not_in_channel` in a public channel the bot has
   * not joined (`channel_not_found` in a private one), and conversations.join joins a public one only.
   */
  setMembership(channel: string, membership: { member: boolean; private?: boolean }): void;
  /** Without `channels:join`, conversations.join answers `missing_scope`. */
  setJoinScope(granted: boolean): void;
  /** Makes chat.postMessage and chat.update in `channel` fail; `undefined` clears it. */
  setChannelError(channel: string, error: ChannelError | undefined): void;
  setUsergroup(id: string, userIds: string[]): void;
  /** Modals and the Home tab: trigger ids, views.open/update/publish, and the payloads Slack sends about them. */
  views: FakeViews;
  /** Workflow steps: executions, their tokens, `function_executed` events and their completion. */
  functions: FakeFunctions;
  /**
   * Answers the next `times` calls of `method` (default 1) with `fault` before doing anything, so
   * nothing is posted or changed (but `takeAndHang`, which does what was asked and never answers, and
   * `delayMs`, which does it late). Faults are not `rejections` (those are refusals of bad calls).
   */
  failNext(method: string, fault: SlackFault, opts?: { times?: number }): void;
  /** Calls answered with an injected fault. */
  readonly faulted: number;
  sendSocketEvent(type: SocketEventType, payload: object): Promise<unknown>;
  socketConnections(): number;
  waitForSocket(timeoutMs?: number): Promise<void>;
  /** Cuts every Socket Mode connection, as a network failure does. */
  dropSockets(): void;
  /** Makes apps.connections.open answer this error (Slack having trouble); `undefined` clears it. */
  setSocketOpenError(error: string | undefined): void;
  close(): Promise<void>;
}

export const FAKE_BOT_USER_ID = 'U0FAKEBOT';
export const FAKE_BOT_ID = 'B0FAKEBOT';
export const FAKE_APP_ID = 'A0FAKEAPP';
/** Slack allows 5 posts to a response_url within 30 minutes. */
const RESPONSE_URL_POSTS = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;
/** Slack keeps the first 40,000 characters of a message's `text`. */
const MAX_TEXT = 40_000;
/** Fields @slack/web-api JSON-encodes in form bodies. */
const JSON_FIELDS = ['blocks', 'attachments', 'metadata', 'view', 'files', 'outputs'];

type Args = Record<string, unknown>;
type Result = { ok: boolean; error?: string } & Record<string, unknown>;
/** Methods that answer by the token used, not only by whether it may call them (a workflow step's completion). */
const BY_TOKEN = new Set(['functions.completeSuccess', 'functions.completeError']);

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = opts.botToken ?? 'xoxb-fake';
  const appToken = opts.appToken ?? 'xapp-fake';
  const teamId = opts.teamId ?? 'T0FAKE';
  const now = opts.now ?? Date.now;

  const calls: SlackCall[] = [];
  const messages = new Map<string, FakeMessage>();
  const ephemerals: Ephemeral[] = [];
  const responsePosts: ResponsePost[] = [];
  const responseUrls = new Map<string, { created: number; posts: number }>();
  const rejections: Rejection[] = [];
  const channelErrors = new Map<string, ChannelError>();
  const memberships = new Map<string, { member: boolean; private: boolean }>();
  let joinScope = true;
  const isMember = (channel: string): boolean => memberships.get(channel)?.member !== false;
  /** A private channel is invisible to a bot that is not in it: `chat:write.public` covers public channels only. */
  const privateAndOutside = (channel: string): 'channel_not_found' | undefined =>
    memberships.get(channel)?.private === true && !isMember(channel) ? 'channel_not_found' : undefined;
  const usergroups = new Map<string, string[]>();
  let origin = '';
  const updateWindow = opts.updatesPerMinute ? new SlidingWindow(opts.updatesPerMinute, 60_000) : undefined;
  const postWindows = new Map<string, SlidingWindow>();
  let rateLimited = 0;
  let tsCounter = 0;
  let socketOpenError: string | undefined;
  const uploads = new Map<string, FakeUpload>();
  let filesScope = true;
  const faults: Array<{ method: string; fault: SlackFault; remaining: number }> = [];
  let faulted = 0;
  const takeFault = (method: string): SlackFault | undefined => {
    const i = faults.findIndex((f) => f.method === method);
    if (i < 0) return undefined;
    const found = faults[i]!;
    found.remaining -= 1;
    if (found.remaining <= 0) faults.splice(i, 1);
    return found.fault;
  };

  const nextTs = (): string => {
    tsCounter += 100;
    return `${1_700_000_000 + Math.floor(tsCounter / 1e6)}.${String(tsCounter % 1e6).padStart(6, '0')}`;
  };
  const refuse = (method: string, error: string, extra: Record<string, unknown> = {}): Result => {
    const problems = Array.isArray(extra.errors) ? (extra.errors as string[]) : undefined;
    rejections.push({ method, error, ...(problems ? { problems } : {}) });
    return { ok: false, error, ...extra };
  };
  /**
   * Slack's answer to a message it will not take, or undefined. One rule is ours, stricter than Slack:
   * blocks without a fallback `text` are refused (docs/commands.md#slacks-limits: always set; Slack would take them and
   * notify with an empty line), so that a renderer that forgets it fails in tests.
   */
  const messageProblem = (method: string, args: Args, requireText: boolean): Result | undefined => {
    if (args.blocks !== undefined) {
      const problems = blocksProblems(args.blocks);
      if (problems.length > 0) {
        return refuse(method, 'invalid_blocks', {
          errors: problems,
          response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
        });
      }
      if (blocksTextLength(args.blocks) > (opts.blocksTextLimit ?? LIMITS.blocksText)) return refuse(method, 'msg_blocks_too_long');
      if (nonEmptyArray(args.blocks) && (typeof args.text !== 'string' || args.text.trim() === '')) return refuse(method, 'no_text');
    }
    if (requireText && !isNonEmptyString(args.text) && !nonEmptyArray(args.blocks) && !nonEmptyArray(args.attachments)) {
      return refuse(method, 'no_text');
    }
    return undefined;
  };
  /** What Slack answers `method` in a channel the bot cannot use, as its documentation lists per method. */
  const channelProblem = (method: string, channel: string): Result | undefined => {
    const error = channelErrors.get(channel) ?? privateAndOutside(channel);
    if (!error) return undefined;
    // "The message cannot be edited within a frozen, archived or deleted channel."
    if (method === 'chat.update' && error === 'is_archived') return refuse(method, 'is_inactive');
    // The preference is about posting: a message the bot posted before can still be edited.
    if (method === 'chat.update' && error === 'restricted_action') return undefined;
    return refuse(method, error);
  };

  const views = createFakeViews({ teamId, appId: FAKE_APP_ID, now, refuse });
  const functions = createFakeFunctions({ teamId, appId: FAKE_APP_ID, botUserId: FAKE_BOT_USER_ID, now, refuse, definitions: opts.functions });
  const methods: Record<string, (args: Args) => Result> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://fake.slack.com/',
      team: 'Fake Team',
      user: 'checkly',
      team_id: teamId,
      user_id: FAKE_BOT_USER_ID,
      bot_id: FAKE_BOT_ID,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (args) => {
      const channel = str(args.channel);
      const problem = channelProblem('chat.postMessage', channel) ?? messageProblem('chat.postMessage', args, true);
      if (problem) return problem;
      const ts = nextTs();
      const text = fallbackText(args.text);
      const blocks = Array.isArray(args.blocks) ? args.blocks : undefined;
      const thread_ts = optStr(args.thread_ts);
      messages.set(`${channel}:${ts}`, { channel, ts, text, blocks, thread_ts, versions: [{ text, blocks, at: now() }] });
      return {
        ok: true,
        channel,
        ts,
        message: { type: 'message', user: FAKE_BOT_USER_ID, bot_id: FAKE_BOT_ID, ts, text, blocks, thread_ts },
      };
    },
    'chat.update': (args) => {
      const channel = str(args.channel);
      const ts = str(args.ts);
      const problem = channelProblem('chat.update', channel) ?? messageProblem('chat.update', args, false);
      if (problem) return problem;
      const message = messages.get(`${channel}:${ts}`);
      if (!message) return refuse('chat.update', 'message_not_found');
      if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) {
        return refuse('chat.update', 'no_text');
      }
      // As documented: blocks left out are kept; an empty array removes them.
      if (args.text !== undefined) message.text = fallbackText(args.text);
      if (Array.isArray(args.blocks)) message.blocks = args.blocks;
      message.versions.push({ text: message.text, blocks: message.blocks, at: now() });
      return { ok: true, channel, ts, text: message.text, message: { text: message.text, blocks: message.blocks } };
    },
    'chat.postEphemeral': (args) => {
      const problem = messageProblem('chat.postEphemeral', args, true);
      if (problem) return problem;
      const channel = str(args.channel);
      const error = channelErrors.get(channel) ?? privateAndOutside(channel);
      if (error === 'channel_not_found' || error === 'is_archived' || error === 'restricted_action') return refuse('chat.postEphemeral', error);
      if (!isNonEmptyString(args.user)) return refuse('chat.postEphemeral', 'user_not_found');
      ephemerals.push({
        channel,
        user: args.user,
        text: optStr(args.text),
        blocks: Array.isArray(args.blocks) ? args.blocks : undefined,
        thread_ts: optStr(args.thread_ts),
        at: now(),
      });
      return { ok: true, message_ts: nextTs() };
    },
    'chat.getPermalink': (args) => {
      const channel = str(args.channel);
      const ts = str(args.message_ts);
      if (channelErrors.get(channel) === 'channel_not_found') return refuse('chat.getPermalink', 'channel_not_found');
      if (!messages.has(`${channel}:${ts}`)) return refuse('chat.getPermalink', 'message_not_found');
      return { ok: true, channel, permalink: `https://fake.slack.com/archives/${channel}/p${ts.replace('.', '')}` };
    },
    ...views.methods,
    ...fileMethods(
      {
        now,
        origin: () => origin,
        refuse,
        channelError: (channel) =>
          channelErrors.get(channel) ?? (isMember(channel) ? undefined : memberships.get(channel)?.private ? 'channel_not_found' : 'not_in_channel'),
        isThreadParent: (channel, ts) => {
          const m = messages.get(`${channel}:${ts}`);
          return m !== undefined && (m.thread_ts === undefined || m.thread_ts === m.ts);
        },
        scopeMissing: () => !filesScope,
      },
      uploads,
    ),
    'usergroups.users.list': (args) => {
      const users = usergroups.get(str(args.usergroup));
      return users ? { ok: true, users } : refuse('usergroups.users.list', 'no_such_subteam');
    },
    // "This method is only for public channels": private ones answer method_not_supported_for_channel_type.
    'conversations.join': (args) => {
      const channel = str(args.channel);
      if (!joinScope)
        return refuse('conversations.join', 'missing_scope', { needed: 'channels:join', provided: 'commands,chat:write,chat:write.public,files:write' });
      const error = channelErrors.get(channel);
      if (error === 'channel_not_found' || error === 'is_archived') return refuse('conversations.join', error);
      const membership = memberships.get(channel);
      if (membership?.private) return refuse('conversations.join', 'method_not_supported_for_channel_type');
      if (membership) membership.member = true;
      return { ok: true, channel: { id: channel, is_channel: true, is_private: false, is_member: true } };
    },
    'conversations.info': (args) => {
      const channel = str(args.channel);
      const error = channelErrors.get(channel);
      if (error === 'channel_not_found') return refuse('conversations.info', error);
      return {
        ok: true,
        channel: {
          id: channel,
          name: `channel-${channel.toLowerCase()}`,
          is_channel: true,
          is_private: memberships.get(channel)?.private === true,
          is_archived: error === 'is_archived',
          is_member: error !== 'not_in_channel' && isMember(channel),
        },
      };
    },
    'apps.connections.open': () => (socketOpenError ? refuse('apps.connections.open', socketOpenError) : { ok: true, url: `${wsOrigin}/link` }),
  };

  /**
   * The token each method needs; apps.connections.open is the only one for the app-level token. A
   * workflow step's token does what the bot's does while it lives; a step's completion checks its
   * token itself (slack-functions.ts).
   */
  const authError = (method: string, token: string | undefined): string | undefined => {
    if (!token) return 'not_authed';
    const workflowToken = functions.tokenState(token);
    if (workflowToken !== undefined && BY_TOKEN.has(method)) return undefined;
    if (workflowToken === 'live') return method === 'apps.connections.open' ? 'not_allowed_token_type' : undefined;
    if (workflowToken === 'revoked') return 'token_revoked';
    if (workflowToken === 'expired') return 'token_expired';
    if (token !== botToken && token !== appToken) return 'invalid_auth';
    const wanted = method === 'apps.connections.open' ? appToken : botToken;
    return token === wanted ? undefined : 'not_allowed_token_type';
  };
  /** Whole seconds to wait if this call is over a rate limit. */
  const retryAfter = (method: string, args: Args): number | undefined => {
    if (method === 'chat.update') return updateWindow?.take(now());
    if (method !== 'chat.postMessage' || !opts.postsPerSecondPerChannel) return undefined;
    const channel = str(args.channel);
    const seconds = opts.postBurstSeconds ?? 5;
    let window = postWindows.get(channel);
    if (!window) {
      window = new SlidingWindow(Math.max(1, Math.round(opts.postsPerSecondPerChannel * seconds)), seconds * 1000);
      postWindows.set(channel, window);
    }
    return window.take(now());
  };

  const webApi = async (method: string, req: http.IncomingMessage, raw: string): Promise<{ status: number; headers: Record<string, string>; body: Result }> => {
    const contentType = req.headers['content-type'] ?? '';
    const json = contentType.includes('application/json');
    const args = parseArgs(raw, contentType);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    // A JSON body's token counts only in the Authorization header (Slack: "you must provide your token
    // value using an Authorization HTTP header"); a form's may be a field.
    const token = bearer ?? (json ? undefined : optStr(args.token));
    delete args.token;
    const call: SlackCall = {
      method,
      args,
      ...(token ? { token } : {}),
      at: now(),
      ...(json && !/charset=utf-8/i.test(contentType) && { warning: 'missing_charset' }),
    };
    calls.push(call);
    if (opts.latencyMs) await sleep(opts.latencyMs());

    const answer = (body: Result, status = 200, headers: Record<string, string> = {}) => {
      call.status = status;
      call.answeredAt = now();
      if (!body.ok && body.error) call.error = body.error;
      if (body.ok && call.warning) return { status, headers, body: { ...body, warning: call.warning, response_metadata: { warnings: [call.warning] } } };
      return { status, headers, body };
    };
    const byToken = BY_TOKEN.has(method) ? functions.methods[method as keyof FakeFunctions['methods']] : undefined;
    const handler = byToken ? (a: Args) => byToken(a, token) : methods[method];
    if (!handler) return answer(refuse(method, 'unknown_method', { req_method: method }));
    const auth = authError(method, token);
    if (auth) return answer(refuse(method, auth));
    const fault = takeFault(method);
    if (fault && 'delayMs' in fault) {
      faulted++;
      await sleep(fault.delayMs);
    } else if (fault) {
      faulted++;
      if ('takeAndHang' in fault) {
        handler(args);
        return new Promise<never>(() => undefined);
      }
      if ('status' in fault) return answer({ ok: false, error: `http_${fault.status}` }, fault.status);
      if (fault.error === 'ratelimited') {
        return answer({ ok: false, error: 'ratelimited' }, 429, { 'Retry-After': String(fault.retryAfterSeconds ?? 1) });
      }
      return answer({ ok: false, error: fault.error });
    }
    const wait = retryAfter(method, args);
    if (wait !== undefined) {
      rateLimited++;
      return answer({ ok: false, error: 'ratelimited' }, 429, { 'Retry-After': String(wait) });
    }
    return answer(handler(args));
  };

  const responseUrlPost = (id: string, raw: string): { status: number; text: string } => {
    const url = responseUrls.get(id);
    if (!url) return { status: 404, text: 'no_such_url' };
    if (now() - url.created > RESPONSE_URL_TTL_MS) {
      rejections.push({ method: 'response_url', error: 'expired_url' });
      return { status: 404, text: 'expired_url' };
    }
    if (url.posts >= RESPONSE_URL_POSTS) {
      rejections.push({ method: 'response_url', error: 'used_url' });
      return { status: 404, text: 'used_url' };
    }
    const body = parseJson(raw) ?? raw;
    // `delete_original`: the message this response_url answered goes (a command's ephemeral answer included).
    if (typeof body === 'object' && body !== null && (body as Args).delete_original === true) {
      url.posts++;
      responsePosts.push({ id, body, at: now() });
      return { status: 200, text: 'ok' };
    }
    // The same message rules as chat.postMessage (Slack answers a refused response_url post with 400).
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      const problem = messageProblem('response_url', body as Args, true);
      if (problem) return { status: 400, text: problem.error ?? 'invalid_blocks' };
    }
    url.posts++;
    responsePosts.push({ id, body, at: now() });
    return { status: 200, text: 'ok' };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      if (req.method === 'POST' && path.startsWith('/upload/')) {
        receiveUpload(uploads, decodeURIComponent(path.slice('/upload/'.length)), Buffer.concat(chunks), req.headers['content-type'] ?? '').then(
          ({ status, text }) => {
            res.writeHead(status, { 'Content-Type': 'text/plain' });
            res.end(text);
          },
          (err: unknown) => {
            res.writeHead(500, { 'Content-Type': 'text/plain' });
            res.end(String(err));
          },
        );
      } else if (req.method === 'POST' && path.startsWith('/api/')) {
        webApi(path.slice('/api/'.length), req, raw).then(
          ({ status, headers, body }) => {
            res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
            res.end(JSON.stringify(body));
          },
          (err: unknown) => {
            res.writeHead(500, { 'Content-Type': 'text/plain' });
            res.end(String(err));
          },
        );
      } else if (req.method === 'POST' && path.startsWith('/response/')) {
        const { status, text } = responseUrlPost(decodeURIComponent(path.slice('/response/'.length)), raw);
        res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.end(text);
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found');
      }
    });
  });
  const socketLink = attachSocketLink(server, '/link', FAKE_APP_ID);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  const wsOrigin = `ws://127.0.0.1:${port}`;

  return {
    apiUrl: `${origin}/api/`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    messages,
    ephemerals,
    responsePosts,
    rejections,
    get rateLimited() {
      return rateLimited;
    },
    views,
    functions,
    uploads,
    setFilesScope(granted) {
      filesScope = granted;
    },
    responseUrl(id) {
      if (!responseUrls.has(id)) responseUrls.set(id, { created: now(), posts: 0 });
      return `${origin}/response/${encodeURIComponent(id)}`;
    },
    setChannelError(channel, error) {
      if (error) channelErrors.set(channel, error);
      else channelErrors.delete(channel);
    },
    setMembership(channel, membership) {
      memberships.set(channel, { member: membership.member, private: membership.private === true });
    },
    setJoinScope(granted) {
      joinScope = granted;
    },
    setUsergroup(id, userIds) {
      usergroups.set(id, [...userIds]);
    },
    failNext(method, fault, opts = {}) {
      faults.push({ method, fault, remaining: opts.times ?? 1 });
    },
    get faulted() {
      return faulted;
    },
    async sendSocketEvent(type, payload) {
      const ack = await socketLink.sendEvent(type, payload, opts.ackTimeoutMs ?? 5000);
      if (type === 'interactive') views.settle(payload, ack);
      return ack;
    },
    socketConnections: () => socketLink.connections(),
    dropSockets: () => socketLink.dropConnections(),
    setSocketOpenError(error) {
      socketOpenError = error;
    },
    waitForSocket: (timeoutMs = 5000) => socketLink.waitForConnection(timeoutMs),
    close() {
      socketLink.close();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function parseArgs(raw: string, contentType: string): Args {
  if (contentType.includes('application/json')) {
    const parsed = parseJson(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { ...(parsed as Args) } : {};
  }
  const args: Args = Object.fromEntries(new URLSearchParams(raw));
  for (const field of JSON_FIELDS) {
    const value = args[field];
    if (typeof value === 'string') args[field] = parseJson(value) ?? value;
  }
  return args;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function optStr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function fallbackText(value: unknown): string | undefined {
  return typeof value === 'string' ? value.slice(0, MAX_TEXT) : undefined;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function nonEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}
