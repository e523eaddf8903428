/**
 * The incident messages' posts and updates, within Slack's budgets as the run messages' are: posts
 * per channel (shared by replicas with Redis), `chat.update` per workspace; a 429 waits its
 * Retry-After. Secrets are scrubbed from what is sent, as a last guard.
 */
import type { SlackMessage } from '../blocks/message';
import type { Secrets } from '../shared/secrets';
import type { Logger } from '../shared/log';
import { Poster, rateLimitRetryMs, sharedPlace, type ChatClient, type SharedSlackBudgets } from '../slack/chat-rules';
import { platformError } from '../slack/errors';
import { UpdateBudget, type UpdateResult } from '../slack/update-budget';
import type { AlertChat } from './desk';

export interface SlackAlertChatDeps {
  client: ChatClient;
  teamId: () => string;
  maxUpdatesPerMinute: number;
  updateIntervalMs: number;
  sharedBudgets?: SharedSlackBudgets;
  secrets: Secrets;
  now: () => number;
  logger: Logger;
}

export class SlackAlertChat implements AlertChat {
  private readonly poster: Poster;
  private readonly updates: UpdateBudget;

  constructor(private readonly deps: SlackAlertChatDeps) {
    this.poster = new Poster({ client: deps.client, sharedBudgets: deps.sharedBudgets, now: deps.now, logger: deps.logger });
    this.updates = new UpdateBudget({
      maxUpdatesPerMinute: deps.maxUpdatesPerMinute,
      intervalMs: deps.updateIntervalMs,
      now: deps.now,
      ...sharedPlace(deps.sharedBudgets, 'slack-updates:', deps.logger),
    });
  }

  async post(channel: string, message: SlackMessage, threadTs?: string): Promise<string> {
    const posted = await this.poster.post(channel, this.deps.secrets.scrub(message), threadTs);
    if (posted.ts === undefined) throw new Error('Slack answered the post without its ts');
    return posted.ts;
  }

  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    let outcome: UpdateResult | undefined;
    let failure: unknown;
    const scrubbed = this.deps.secrets.scrub(message);
    await this.updates.request(this.deps.teamId(), `alert:${channel}:${ts}`, {
      final: false,
      send: async () => {
        try {
          await this.deps.client.chat.update({ channel, ts, text: scrubbed.text, blocks: scrubbed.blocks });
          outcome = 'sent';
        } catch (err) {
          failure = err;
          const retryAfterMs = rateLimitRetryMs(err);
          outcome = retryAfterMs !== undefined ? { retryAfterMs } : platformError(err) !== undefined ? 'refused' : 'failed';
        }
        return outcome;
      },
    });
    if (outcome !== 'sent') throw failure ?? new Error('the update was not sent');
  }

  stop(): void {
    this.poster.stop();
    this.updates.stop();
  }
}
