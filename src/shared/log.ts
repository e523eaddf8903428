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
 * Structured JSON logs. Besides redacting the usual header fields, every line is scrubbed of the
 * secret values themselves, because a secret can hide anywhere: an error message, a URL, a stack.
 */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? Secrets.none;
  const out = options.destination ?? process.stdout;
  const destination = {
    write(line: string): void {
      out.write(secrets.scrubText(line));
    },
  };
  return pino(
    {
      level: options.level,
      base: { app: 'checkly-slack' },
      redact: {
        paths: ['*.headers.authorization', '*.headers.Authorization', '*.token', '*.apiKey', '*.signingSecret'],
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
