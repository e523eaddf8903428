/** Message links over Slack: the run service's `Permalinks`. */
import type { webApi } from '@slack/bolt';
import type { Permalinks } from '../runs/ports';

export function slackPermalinks(client: Pick<webApi.WebClient, 'chat'>): Permalinks {
  return {
    of: (channel, ts) =>
      client.chat
        .getPermalink({ channel, message_ts: ts })
        .then((r) => r.permalink)
        .catch(() => undefined),
  };
}
