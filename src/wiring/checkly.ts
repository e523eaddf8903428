/** The Checkly client the app works with, behind the account's request budget (with the results it read); and the start-up probe's. */
import type { Redis } from 'ioredis';
import { ChecklyBudget } from '../checkly/budget';
import { ChecklyClient } from '../checkly/client';
import { ResultReadings } from '../checkly/result-detail';
import type { RedirectPolicy } from '../checkly/redirects';
import type { Config } from '../config';
import type { Logger } from '../shared/log';
import type { Metrics } from '../ops/metrics';

export const VERSION: string = require('../../package.json').version;

/** With Redis, every budget is one for all replicas: the account's, the workspace's, the channel's. */
export interface SharedBudgets {
  redis: Redis;
  prefix: string;
}

export function buildChecklyClient(
  config: Config,
  deps: { logger: Logger; metrics: Metrics; sharedBudgets?: SharedBudgets; assetRedirects?: RedirectPolicy },
): { checkly: ChecklyClient; budget: ChecklyBudget; results: ResultReadings } {
  const { logger, metrics, sharedBudgets, assetRedirects } = deps;
  const budget = new ChecklyBudget({
    maxRequestsPerMinute: config.checkly.maxRequestsPerMinute,
    logger,
    ...(sharedBudgets && { shared: { redis: sharedBudgets.redis, key: `${sharedBudgets.prefix}budget:checkly:${config.checkly.accountId}` } }),
  });
  const checkly = new ChecklyClient({
    baseUrl: config.checkly.apiUrl,
    apiKey: config.checkly.apiKey,
    accountId: config.checkly.accountId,
    userAgent: `checkly-slack/${VERSION}`,
    timeoutMs: config.checkly.requestTimeoutMs,
    beforeRequest: budget.beforeRequest,
    onResponse: (info) => {
      budget.onResponse(info);
      metrics.checklyResponse(info);
    },
    ...(assetRedirects ? { assetRedirects } : {}),
  });
  // Final results read once: a row's error line, the thread reply's evidence and Details share them.
  return { checkly, budget, results: new ResultReadings(checkly) };
}

/** Its own client: one attempt, no budget, so that an unreachable Checkly delays start-up by one timeout at most. */
export function buildProbeClient(config: Config): ChecklyClient {
  return new ChecklyClient({
    baseUrl: config.checkly.apiUrl,
    apiKey: config.checkly.apiKey,
    accountId: config.checkly.accountId,
    userAgent: `checkly-slack/${VERSION}`,
    timeoutMs: Math.min(config.checkly.requestTimeoutMs, 10_000),
    retry: { retries: 0 },
  });
}

/**
 * What the long polls may spend of the Checkly budget: four fifths, leaving the rest to triggers,
 * cancels and error lines (the budget itself still caps everything together).
 */
export function pollRequestsPerMinute(config: Config): number {
  return Math.max(1, Math.floor(config.checkly.maxRequestsPerMinute * 0.8));
}
