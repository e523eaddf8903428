import pino from 'pino';
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { Secrets } from './secrets';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level: pino.LevelWithSilent;
  /** Values that must never be written, whatever field or message they hide in. */
  secrets?: Secrets;
  /** Where lines go; standard output by default. */
  destination?: { write(line: string): unknown };
}

/**
 * Tokens no configuration names: a workflow step's just-in-time token arrives in its event
 * (`bot_access_token`), and Socket Mode logs whole payloads at debug level. Any Slack token shape
 * (`xoxb-`, `xoxp-`, `xapp-`, `xwfp-`, …) and that field's value, quoted or JSON-escaped inside a
 * logged string, are blanked.
 */
const SLACK_TOKEN = /\bx(?:ox[a-z]|app|wfp)-[A-Za-z0-9-]+/g;
const TOKEN_FIELD = /(\\*"bot_access_token\\*"\s*:\s*\\*")[^"\\]*/g;

/** `line` without any Slack token in it. */
export function scrubSlackTokens(line: string): string {
  return line.replace(SLACK_TOKEN, '[REDACTED]').replace(TOKEN_FIELD, '$1[REDACTED]');
}

/**
 * Structured JSON logs. Besides redacting the usual header fields, every line is scrubbed of the
 * secret values themselves, because a secret can hide anywhere: an error message, a URL, a stack;
 * and of anything shaped like a Slack token (scrubSlackTokens).
 */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? Secrets.none;
  const out = options.destination ?? process.stdout;
  const destination = {
    write(line: string): void {
      out.write(scrubSlackTokens(secrets.scrubText(line)));
    },
  };
  return pino(
    {
      level: options.level,
      base: { app: 'checkly-slack' },
      redact: {
        paths: ['*.headers.authorization', '*.headers.Authorization', '*.token', '*.apiKey', '*.signingSecret', '*.bot_access_token'],
        censor: '[REDACTED]',
      },
    },
    destination,
  );
}

const BOLT_TO_PINO: Record<LogLevel, pino.Level> = {
  [LogLevel.DEBUG]: 'debug',
  [LogLevel.INFO]: 'info',
  [LogLevel.WARN]: 'warn',
  [LogLevel.ERROR]: 'error',
};

/** Bolt's logger interface over our pino logger, so Bolt's own lines are JSON and scrubbed too. */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  const line =
    (level: pino.Level) =>
    (...msg: unknown[]) =>
      child[level](msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : safeJson(m))).join(' '));
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    setLevel: () => undefined, // the level is ours to set, from LOG_LEVEL
    getLevel: () => (Object.entries(BOLT_TO_PINO).find(([, p]) => p === child.level)?.[0] as LogLevel) ?? LogLevel.INFO,
    setName: () => undefined,
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
