/** Start-up stops on a Slack token or a Checkly key that does not work, with a clear line, before anything listens. */
import type { webApi } from '@slack/bolt';
import type { Config } from '../config';
import type { Logger } from '../shared/log';
import { checkChecklyAccess } from '../ops/startup-checks';
import { buildProbeClient } from './checkly';
import { verifyBotToken, type BotIdentity } from './slack';

export async function verifyCredentials(config: Config, clientOptions: webApi.WebClientOptions, logger: Logger): Promise<BotIdentity> {
  const identity = await verifyBotToken(config, clientOptions);
  await checkChecklyAccess(buildProbeClient(config), config.checkly.apiUrl, logger);
  return identity;
}
