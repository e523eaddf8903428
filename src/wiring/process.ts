/**
 * The process around the app: reading the environment, the secrets to keep out of logs, what a stray
 * fault does, and stopping on a signal.
 */
import dotenv from 'dotenv';
import { readFileSync } from 'node:fs';
import { loadConfigWithFiles, type Config } from '../config';
import type { Logger } from '../shared/log';
import { errorText } from '../shared/error-text';
import { Secrets } from '../shared/secrets';

/**
 * From SIGTERM to exit, all told: the grace a platform gives before it kills the process (compose's
 * stop_grace_period: 10s; give Kubernetes' terminationGracePeriodSeconds at least 10). The app plans
 * its stop inside it (app.ts) and exits hard, with 1, a second before it ends.
 */
export const SHUTDOWN_GRACE_MS = 10_000;
const HARD_EXIT_MS = SHUTDOWN_GRACE_MS - 1000;

export function secretsOf(config: Config): Secrets {
  return new Secrets([
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.appToken,
    config.checkly.apiKey,
    ...config.api.tokens.map((t) => t.secret),
    config.alerts.webhookSecret,
    // A proxy's credentials ride in its URL (http://user:password@proxy:3128), as Redis's do.
    ...[config.proxy.httpProxy, config.proxy.httpsProxy, config.state.redisUrl].flatMap(urlPasswords),
  ]);
}

/** As written in the URL and as sent (decoded). */
function urlPasswords(url: string | undefined): string[] {
  if (url === undefined) return [];
  try {
    const { password } = new URL(url);
    return [password, decodeURIComponent(password)];
  } catch {
    return [];
  }
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
    logger.error({ err: errorText(err) }, 'uncaught exception');
  });
}

/** What the process needs of the started app: where to log, and how to stop. */
export interface StoppableApp {
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * The process's life: reads `.env` and the environment (a broken configuration lists every problem
 * and exits 1), starts the app, keeps serving on stray faults, stops on SIGTERM or SIGINT.
 */
export function runProcess(start: (config: Config) => Promise<StoppableApp>): void {
  live(start).catch((err: unknown) => {
    process.stderr.write(`checkly-slack failed to start: ${errorText(err)}\n`);
    process.exit(1);
  });
}

async function live(start: (config: Config) => Promise<StoppableApp>): Promise<void> {
  dotenv.config({ quiet: true });
  const loaded = loadConfigWithFiles(process.env, (path) => readFileSync(path, 'utf8'));
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`config: ${problem}\n`);
    process.stderr.write('See .env.example and the README for every variable.\n');
    process.exit(1);
  }
  const running = await start(loaded.config);
  keepServingOnFaults(process, running.logger);
  const shutdown = () => {
    // Runs are saved as they change; stopping only hands them over. Never hang past Kubernetes' grace.
    setTimeout(() => process.exit(1), HARD_EXIT_MS).unref();
    void running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
