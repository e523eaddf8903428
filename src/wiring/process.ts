/** The process around the app: the secrets to keep out of logs, and what a stray fault does. */
import type { Config } from '../config';
import type { Logger } from '../log';
import { errorText } from '../shared/error-text';

export function secretsOf(config: Config): string[] {
  return [
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.appToken,
    config.checkly.apiKey,
    ...config.api.tokens.map((t) => t.secret),
  ].filter(
    (s): s is string => typeof s === 'string' && s !== '',
  );
}

/**
 * A fault nobody caught (a store or network error in some callback) is logged, and the app keeps
 * serving: the sweep finishes whatever it interrupted. Only a broken configuration exits.
 */
export function keepServingOnFaults(proc: Pick<NodeJS.Process, 'on'>, logger: Logger): void {
  proc.on('unhandledRejection', (reason: unknown) => {
    logger.error({ err: errorText(reason) }, 'unhandled rejection');
  });
  proc.on('uncaughtException', (err: Error) => {
    logger.error({ err: `${err.name}: ${err.message}` }, 'uncaught exception');
  });
}
