/**
 * Configuration from the environment. `loadConfig` is pure: it takes the environment and returns
 * either a config or one problem per missing or malformed variable, never echoing a secret's value.
 */
import { loadAccessConfig } from '../access/config';
import type { ProxySettings } from '../shared/proxy';
import { UUID } from '../shared/uuid';
import { loadApiConfig, type ApiConfig } from '../api/config';
import { OPEN_POLICY, type AccessPolicy } from '../access/policy';
import { readSecretFiles, type ReadFile } from './secret-files';

export interface Config {
  slack: {
    botToken: string;
    /** Absent in Socket Mode, where Slack's requests arrive over the socket. */
    signingSecret?: string;
    /** When set, the app runs in Socket Mode. */
    appToken?: string;
    apiUrl: string;
    command: string;
    port: number;
    /** Most `chat.update` calls a minute for the workspace (Slack's Tier 3 is about 50). */
    maxUpdatesPerMinute: number;
    /** Least time between two updates of one message. */
    updateIntervalMs: number;
    /** Timeout of one Web API call (and of a response_url post, an upload): a call never hangs. */
    requestTimeoutMs: number;
  };
  checkly: {
    apiKey: string;
    accountId: string;
    apiUrl: string;
    /** Timeout of one request, on top of a long poll's own wait. */
    requestTimeoutMs: number;
    /** `maxWaitSeconds` of a long poll on a session's completion (1 to 30). */
    pollWaitSeconds: number;
    maxRequestsPerMinute: number;
    /** How long the list of checks and groups is kept before it is read again (CHECK_CATALOGUE_TTL_SECONDS). */
    catalogueTtlMs: number;
  };
  runs: {
    /** A run still unfinished after this long stops being followed. */
    timeoutMs: number;
    /** Finished runs are kept this long (their buttons keep working), then pruned. */
    retentionMs: number;
    /** How often every unsettled run is looked at (see Runner.sweep). */
    sweepIntervalMs: number;
    /** A trigger unanswered this long lost its process: its run ends with an honest note. */
    triggerTimeoutMs: number;
  };
  state: {
    /** Folder of the embedded store (SQLite), used when no Redis is configured. */
    dir: string;
    /** When set, replicas share their state through this Redis. */
    redisUrl?: string;
    /** Prefix of every Redis key, so that several apps can share one Redis. */
    redisPrefix: string;
  };
  /** The forward proxy for outbound HTTP(S), from the usual variables (see `readProxy`). */
  proxy: ProxySettings;
  /** Who may run what, where (src/access). */
  access: AccessPolicy;
  /** The HTTP API for CI (src/api); off while it has no tokens. */
  api: ApiConfig;
  /** Checkly's alerts in Slack (src/alerts, docs/alerts.md). */
  alerts: {
    /** PUBLIC_URL: the app's address Checkly posts alerts to (`/alerts/checkly` under it). */
    publicUrl?: string;
    /** ALERTS_ADMINS: the users (U…, W…) and user groups (S…) who may connect channels; unset: nobody. */
    admins?: Set<string>;
    /** ALERTS_WEBHOOK_SECRET: what alert channels made by hand sign with; unset: none are taken. */
    webhookSecret?: string;
  };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export type { ProxySettings };

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The values `.env.example` shows for the variables it asks to fill in: a copy not filled in passes
 * every shape check (`xoxb-…`) and would fail later, on the network. Refused at start, by name.
 */
const PLACEHOLDERS: ReadonlyArray<[name: string, placeholder: RegExp, what: string]> = [
  ['SLACK_BOT_TOKEN', /^xoxb-your-bot-token$/, 'the bot token from OAuth & Permissions'],
  ['SLACK_APP_TOKEN', /^xapp-your-app-token$/, 'an app-level token from Basic Information, App-Level Tokens'],
  ['SLACK_SIGNING_SECRET', /^your-signing-secret$/, 'the signing secret from Basic Information'],
  ['CHECKLY_API_KEY', /^your-checkly-api-key$/, 'an API key from User settings, API keys'],
  ['CHECKLY_ACCOUNT_ID', /^0{8}-0{4}-0{4}-0{4}-0{12}$/, 'the account ID from Account settings, General'],
  ['RUN_API_TOKENS', /(^|,)\s*[^,:]+:replace-with-64-hex-characters-from-openssl-rand-hex-32\s*(,|$)/, 'a secret made with openssl rand -hex 32'],
  ['ALERTS_WEBHOOK_SECRET', /^replace-with-64-hex-characters-from-openssl-rand-hex-32$/, 'a secret made with openssl rand -hex 32'],
];

/** Whether `value` is what .env.example shows for `name` (the demo takes such a copy as unset). */
export function holdsPlaceholder(name: string, value: string | undefined): boolean {
  return PLACEHOLDERS.some(([n, placeholder]) => n === name && placeholder.test(value?.trim() ?? ''));
}

function placeholderProblems(env: Env): string[] {
  return PLACEHOLDERS.filter(([name, placeholder]) => placeholder.test(env[name]?.trim() ?? '')).map(
    ([name, , what]) => `${name} holds the placeholder from .env.example: set ${what}`,
  );
}

/**
 * The configuration from the environment and the files its `_FILE` variables name
 * (config/secret-files.ts): the process's way in; `loadConfig` alone stays pure.
 */
export function loadConfigWithFiles(env: Env, readFile: ReadFile): ConfigResult {
  const files = readSecretFiles(env, readFile);
  const loaded = loadConfig(files.env);
  if (files.problems.length === 0) return loaded;
  return { ok: false, problems: [...files.problems, ...(loaded.ok ? [] : loaded.problems)] };
}

export function loadConfig(env: Env): ConfigResult {
  const problems: string[] = placeholderProblems(env);
  const read = new Reader(env, problems);

  const appToken = read.optional('SLACK_APP_TOKEN', /^xapp-/, 'must start with xapp-');
  const config: Config = {
    slack: {
      botToken: read.required('SLACK_BOT_TOKEN', /^xoxb-/, 'must start with xoxb-'),
      signingSecret: appToken
        ? read.optional('SLACK_SIGNING_SECRET')
        : read.required('SLACK_SIGNING_SECRET', undefined, undefined, 'required in HTTP mode (when SLACK_APP_TOKEN is not set)'),
      appToken,
      apiUrl: withTrailingSlash(read.url('SLACK_API_URL', 'https://slack.com/api/')),
      command: read.command('SLACK_COMMAND', '/checkly'),
      port: read.integer('PORT', 3000, 0, 65535),
      maxUpdatesPerMinute: read.integer('SLACK_MAX_UPDATES_PER_MINUTE', 50, 1, 10_000),
      updateIntervalMs: read.integer('SLACK_UPDATE_INTERVAL_MS', 1000, 0, 60_000),
      requestTimeoutMs: read.integer('SLACK_REQUEST_TIMEOUT_MS', 10_000, 100, 120_000),
    },
    checkly: {
      apiKey: read.required('CHECKLY_API_KEY'),
      accountId: read.required('CHECKLY_ACCOUNT_ID', UUID, 'must be a UUID (Checkly: Account settings, General)'),
      apiUrl: withoutTrailingSlash(read.url('CHECKLY_API_URL', 'https://api.checklyhq.com')),
      requestTimeoutMs: read.integer('CHECKLY_REQUEST_TIMEOUT_MS', 15_000, 100, 120_000),
      pollWaitSeconds: read.integer('CHECKLY_POLL_WAIT_SECONDS', 30, 1, 30),
      maxRequestsPerMinute: read.integer('CHECKLY_MAX_REQUESTS_PER_MINUTE', 300, 1, 100_000),
      catalogueTtlMs: read.integer('CHECK_CATALOGUE_TTL_SECONDS', 300, 1, 86_400) * 1000,
    },
    runs: {
      timeoutMs: read.integer('RUN_TIMEOUT_SECONDS', 1800, 1, 7 * 24 * 3600) * 1000,
      retentionMs: read.integer('RUN_RETENTION_DAYS', 7, 1, 365) * 24 * 3600 * 1000,
      sweepIntervalMs: read.integer('RUN_SWEEP_INTERVAL_MS', 15_000, 100, 3_600_000),
      // Longer than a trigger can take with its retries (60 s) and a slow last attempt.
      triggerTimeoutMs: read.integer('RUN_TRIGGER_TIMEOUT_MS', 90_000, 1000, 3_600_000),
    },
    state: {
      dir: read.optional('STATE_DIR') ?? './data',
      redisUrl: read.optional('REDIS_URL', /^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
      redisPrefix: read.optional('REDIS_PREFIX', /^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1 to 64 letters, digits or _.:-') ?? 'checkly-slack:',
    },
    proxy: readProxy(env, read),
    access: OPEN_POLICY,
    api: { tokens: [], ratePerMinute: 60 },
    alerts: readAlerts(read),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  const access = loadAccessConfig(env);
  if (access.ok) config.access = access.policy;
  else problems.push(...access.problems);
  const api = loadApiConfig(env);
  if (api.ok) config.api = api.api;
  else problems.push(...api.problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

function readAlerts(read: Reader): Config['alerts'] {
  const publicUrl = read.optional('PUBLIC_URL') === undefined ? undefined : withoutTrailingSlash(read.url('PUBLIC_URL', ''));
  const admins = read.optional('ALERTS_ADMINS');
  const webhookSecret = read.optional('ALERTS_WEBHOOK_SECRET', /^.{32,}$/, 'must be 32 characters or more (openssl rand -hex 32)');
  const alerts: Config['alerts'] = {};
  if (webhookSecret !== undefined) alerts.webhookSecret = webhookSecret;
  if (publicUrl !== undefined) alerts.publicUrl = publicUrl;
  if (admins !== undefined) {
    const ids = admins.split(/[\s,]+/).filter((id) => id !== '');
    const bad = ids.findIndex((id) => !/^[UWS][A-Z0-9]{2,20}$/.test(id.toUpperCase()));
    if (ids.length === 0 || bad >= 0)
      read.problem(
        `ALERTS_ADMINS is malformed: ${ids.length === 0 ? 'it names no ID' : `item ${bad + 1} of ${ids.length} is not a user ID (U…, W…) or user group ID (S…)`}`,
      );
    else alerts.admins = new Set(ids.map((id) => id.toUpperCase()));
  }
  return alerts;
}

function readProxy(env: Env, read: Reader): ProxySettings {
  /** The first of the variables that is set, lower case before upper case (as curl and axios). */
  const first = (...names: string[]): string | undefined => names.flatMap((n) => [n.toLowerCase(), n]).find((n) => (env[n]?.trim() ?? '') !== '');
  const proxy = (name: string): string => read.url(name, '');
  const http = first('HTTP_PROXY', 'ALL_PROXY');
  const https = first('HTTPS_PROXY', 'ALL_PROXY');
  const noProxy = first('NO_PROXY');
  const settings: ProxySettings = {};
  if (http !== undefined) settings.httpProxy = proxy(http);
  if (https !== undefined) settings.httpsProxy = https === http ? settings.httpProxy : proxy(https);
  if (noProxy !== undefined) settings.noProxy = read.optional(noProxy);
  return settings;
}

/** Reads variables and records a problem for each bad one. Messages name the variable, never its value. */
class Reader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  problem(text: string): void {
    this.problems.push(text);
  }

  required(name: string, pattern?: RegExp, hint?: string, missingHint = 'required'): string {
    const value = this.raw(name);
    if (value === undefined) {
      this.problems.push(`${name} is missing: ${missingHint}`);
      return '';
    }
    if (pattern && !pattern.test(value)) this.problems.push(`${name} is malformed: ${hint}`);
    return value;
  }

  optional(name: string, pattern?: RegExp, hint?: string): string | undefined {
    const value = this.raw(name);
    if (value !== undefined && pattern && !pattern.test(value)) this.problems.push(`${name} is malformed: ${hint}`);
    return value;
  }

  url(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      this.problems.push(`${name} is malformed: must be an http(s) URL`);
    }
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      this.problems.push(`${name} is malformed: must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  command(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    if (!/^\/[a-z0-9_-]{1,31}$/.test(value)) {
      this.problems.push(`${name} is malformed: must be a slash command such as /checkly`);
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} is malformed: must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
