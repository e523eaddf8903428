/** Secrets quoted by outside data (a check's error, Checkly's message) never reach Slack. */
import { SECRETS, messageText, startHarness, waitFor } from './harness';

test('a check whose error quotes the app’s Checkly key does not put the key in Slack', async () => {
  const h = await startHarness();
  try {
    // A check calling Checkly's own API with the same key, whose failure prints the request.
    h.checkly.addCheck({
      name: 'Checkly API itself',
      tags: ['meta'],
      durationMs: 200,
      outcome: 'FAILED',
      errorMessage: `401 from GET /v1/checks with Authorization: Bearer ${SECRETS.checklyApiKey}`,
    });
    await h.command('run meta');
    const message = await waitFor(() => h.runMessages().find((m) => /1 failed/.test(messageText(m))), 15_000, 'the final run');
    await waitFor(() => [...h.slack.messages.values()].some((m) => m.thread_ts === message.ts), 5000, 'the thread reply');
    expect(messageText(message)).toContain('401 from GET /v1/checks with Authorization: Bearer [REDACTED]');
    const sent = JSON.stringify([h.slack.calls.map((c) => c.args), [...h.slack.messages.values()]]);
    expect(sent).not.toContain(SECRETS.checklyApiKey);
  } finally {
    await h.close();
  }
});
