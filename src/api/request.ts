/**
 * What a POST /api/v1/runs body must be (docs/ci-api.md), checked field by field: a bad body gets the
 * first problem found, named so that a pipeline's author can fix it, and changes nothing.
 */
import { createHash } from 'node:crypto';
import { parseCommand } from '../grammar/parse';
import type { Target } from '../runs/types';
import { ApiError } from './http';

export interface RunBody {
  channel: string;
  target: Target;
  /** The target as sent, for the audit line. */
  targetText: string;
  refreshCache: boolean;
  title?: string;
  link?: string;
  threadTs?: string;
  notify?: string[];
}

const FIELDS = new Set(['channel', 'target', 'title', 'link', 'threadTs', 'notify']);
const CHANNEL = /^[CGD][A-Z0-9]{2,20}$/;
const TS = /^\d{9,11}\.\d{6}$/;
const MENTIONABLE = /^[UWS][A-Z0-9]{2,20}$/;
/** The header's 150 characters are the run's limit; a title is one line beside it. */
const MAX_TITLE_LENGTH = 150;
const MAX_LINK_LENGTH = 1000;
const MAX_NOTIFY = 20;
/** An idempotency key is the pipeline's own id (a run id and attempt, a UUID): printable, short. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

const invalid = (message: string) => new ApiError('invalid_request', message);

/** Parses the body text: 400 invalid_json, invalid_request or invalid_target when it is not a run. */
export function parseRunBody(text: string): RunBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError('invalid_json', 'The body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('The body must be a JSON object.');
  const body = value as Record<string, unknown>;
  const unknown = Object.keys(body).find((k) => !FIELDS.has(k));
  if (unknown !== undefined) throw invalid(`Unknown field "${clip(unknown)}"; the fields are ${[...FIELDS].join(', ')}.`);

  const { channel, target } = body;
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) {
    throw invalid('"channel" is required: a channel ID such as C0123ABCD (in the channel\'s details), not its name.');
  }
  if (typeof target !== 'string' || target.trim() === '') {
    throw invalid('"target" is required: the target as typed after /checkly run, such as "prod,api" or "--check <uuid>".');
  }
  const parsed = parseCommand(`run ${target}`);
  if (parsed.kind === 'error') throw new ApiError('invalid_target', parsed.problem);
  if (parsed.kind !== 'run') throw new ApiError('invalid_target', 'The target is not something to run.');

  const run: RunBody = { channel, target: parsed.target, targetText: target, refreshCache: parsed.refreshCache };
  if (body.title !== undefined) {
    if (typeof body.title !== 'string' || body.title.trim() === '' || [...body.title].length > MAX_TITLE_LENGTH || /\p{Cc}/u.test(body.title)) {
      throw invalid(`"title" must be one line of 1 to ${MAX_TITLE_LENGTH} characters.`);
    }
    run.title = body.title.trim();
  }
  if (body.link !== undefined) {
    if (typeof body.link !== 'string' || body.link.length > MAX_LINK_LENGTH || !isWebUrl(body.link)) {
      throw invalid(`"link" must be an http(s) URL of at most ${MAX_LINK_LENGTH} characters.`);
    }
    run.link = body.link;
  }
  if (body.threadTs !== undefined) {
    if (typeof body.threadTs !== 'string' || !TS.test(body.threadTs)) {
      throw invalid('"threadTs" must be a message timestamp such as "1700000000.000100".');
    }
    run.threadTs = body.threadTs;
  }
  if (body.notify !== undefined) {
    const notify = body.notify;
    if (!Array.isArray(notify) || notify.length > MAX_NOTIFY || !notify.every((id) => typeof id === 'string' && MENTIONABLE.test(id))) {
      throw invalid(`"notify" must be a list of at most ${MAX_NOTIFY} user IDs (U…, W…) or user group IDs (S…).`);
    }
    run.notify = [...new Set(notify as string[])];
  }
  return run;
}

/**
 * What a run request asks for, as a digest: the same key with a different digest is a different
 * request (docs/ci-api.md: 422). Taken from the parsed body, so that spacing inside `target` or the
 * order of the body's fields does not make a retry a new request.
 */
export function requestDigest(body: RunBody): string {
  const { channel, target, refreshCache, title, link, threadTs, notify } = body;
  const asked = [channel, target, refreshCache, title ?? null, link ?? null, threadTs ?? null, notify ?? []];
  return createHash('sha256').update(JSON.stringify(asked), 'utf8').digest('base64url');
}

/** The Idempotency-Key header: undefined when absent; 400 when malformed or sent twice. */
export function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw invalid('The Idempotency-Key header must be 1 to 200 printable ASCII characters without spaces.');
  }
  return header;
}

/** The most runs GET /api/v1/runs lists (RunStore's HISTORY_KEPT allows more). */
export const MAX_LIST_LIMIT = 50;

export interface ListQuery {
  channel: string;
  target: Target;
  limit: number;
}

/** `?channel=C…&target=…&limit=N` of GET /api/v1/runs: a channel ID, a target as `run` takes it, 1 to 50 (default 10). */
export function parseListQuery(query: URLSearchParams): ListQuery {
  const unknown = [...query.keys()].find((k) => !['channel', 'target', 'limit'].includes(k));
  if (unknown !== undefined) throw invalid(`Unknown parameter "${clip(unknown)}"; the parameters are channel, target and limit.`);
  const channel = query.get('channel');
  if (channel === null || !CHANNEL.test(channel)) throw invalid('"channel" is required: a channel ID such as C0123ABCD, not its name.');
  const target = query.get('target');
  if (target === null || target.trim() === '') throw invalid('"target" is required: the target as typed after /checkly run, such as "prod,api".');
  const parsed = parseCommand(`history ${target}`);
  if (parsed.kind === 'error') throw new ApiError('invalid_target', parsed.problem);
  if (parsed.kind !== 'history') throw new ApiError('invalid_target', 'The target is not one whose runs can be listed.');
  const limitText = query.get('limit');
  const limit = limitText === null ? 10 : Number(limitText);
  if (limitText !== null && (!/^\d{1,2}$/.test(limitText) || limit < 1 || limit > MAX_LIST_LIMIT)) {
    throw invalid(`"limit" must be a whole number from 1 to ${MAX_LIST_LIMIT}.`);
  }
  return { channel, target: parsed.target, limit };
}

/** `?wait=N`: undefined when absent; whole seconds from 1 to 60. */
export function waitSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  if (!/^\d{1,2}$/.test(value) || n < 1 || n > 60) throw invalid('"wait" must be a whole number of seconds from 1 to 60.');
  return n;
}

function isWebUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !/\s/.test(text);
  } catch {
    return false;
  }
}

function clip(text: string): string {
  return [...text]
    .slice(0, 40)
    .join('')
    .replace(/\p{Cc}/gu, '?');
}
