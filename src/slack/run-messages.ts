import type { webApi } from '@slack/bolt';
import type { Logger } from '../log';
import type { RunMessages, Unreachable } from '../runs/ports';
import { failingSessions, isRunOver } from '../runs/status';
import type { Run } from '../runs/types';
import { platformError } from './errors';

type WebClient = webApi.WebClient;

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

export interface RunMessagesOptions {
  client: WebClient;
  render: (run: Run) => SlackMessage;
  renderFailureReply: (run: Run) => SlackMessage;
  /** Least time between two updates of one message. */
  intervalMs: number;
  now: () => number;
  logger: Logger;
}

interface MessageState {
  latest: Run;
  lastSentAt: number;
  lastSent?: string;
  timer?: NodeJS.Timeout;
  sending: boolean;
  /** Resolved once the final state is on screen. */
  onFinal: Array<() => void>;
}

/**
 * The run message in Slack. Updates are coalesced: a message is updated only when what it shows has
 * changed, at most once per interval, and always with the latest state (intermediate states that
 * were overtaken are never sent).
 */
export class SlackRunMessages implements RunMessages {
  private readonly states = new Map<string, MessageState>();

  constructor(private readonly options: RunMessagesOptions) {}

  async post(run: Run): Promise<{ ts: string } | { unreachable: Unreachable }> {
    const message = this.options.render(run);
    try {
      const result = await this.options.client.chat.postMessage({
        channel: run.channel,
        thread_ts: run.threadTs,
        text: message.text,
        blocks: message.blocks as never,
        unfurl_links: false,
        unfurl_media: false,
      });
      const ts = result.ts as string;
      this.states.set(run.id, { latest: { ...run, ts }, lastSentAt: this.options.now(), lastSent: JSON.stringify(message), sending: false, onFinal: [] });
      return { ts };
    } catch (err) {
      const code = platformError(err);
      if (code === 'not_in_channel' || code === 'channel_not_found') return { unreachable: code };
      throw err;
    }
  }

  changed(run: Run): void {
    const state = this.stateOf(run);
    state.latest = run;
    this.schedule(run.id, state);
  }

  async finished(run: Run): Promise<void> {
    const state = this.stateOf(run);
    state.latest = run;
    await new Promise<void>((resolve) => {
      state.onFinal.push(resolve);
      this.schedule(run.id, state);
    });
    this.states.delete(run.id);
    if (run.phase === 'final' && failingSessions(run).length > 0) await this.replyInThread(run);
  }

  /** Drops pending updates: on shutdown, the next process to follow a run renders it afresh. */
  stop(): void {
    for (const state of this.states.values()) clearTimeout(state.timer);
    this.states.clear();
  }

  private stateOf(run: Run): MessageState {
    let state = this.states.get(run.id);
    if (!state) {
      // A run resumed after a restart, or followed by another process before: nothing sent from here yet.
      state = { latest: run, lastSentAt: 0, sending: false, onFinal: [] };
      this.states.set(run.id, state);
    }
    return state;
  }

  private schedule(runId: string, state: MessageState): void {
    if (state.timer || state.sending) return;
    const delay = Math.max(0, state.lastSentAt + this.options.intervalMs - this.options.now());
    state.timer = setTimeout(() => void this.send(runId, state), delay);
  }

  private async send(runId: string, state: MessageState): Promise<void> {
    state.timer = undefined;
    const run = state.latest;
    const message = this.options.render(run);
    const serialized = JSON.stringify(message);
    if (serialized !== state.lastSent && run.ts) {
      state.sending = true;
      try {
        await this.options.client.chat.update({
          channel: run.channel,
          ts: run.ts,
          text: message.text,
          blocks: message.blocks as never,
        });
        state.lastSent = serialized;
      } catch (err) {
        this.options.logger.warn({ runId, error: platformError(err) ?? String(err) }, 'updating the run message failed');
      } finally {
        state.sending = false;
        state.lastSentAt = this.options.now();
      }
    }
    if (state.latest !== run) {
      this.schedule(runId, state);
    } else if (isRunOver(run)) {
      for (const resolve of state.onFinal.splice(0)) resolve();
    }
  }

  private async replyInThread(run: Run): Promise<void> {
    const reply = this.options.renderFailureReply(run);
    try {
      await this.options.client.chat.postMessage({
        channel: run.channel,
        thread_ts: run.threadTs ?? run.ts,
        text: reply.text,
        blocks: reply.blocks as never,
      });
    } catch (err) {
      this.options.logger.warn({ runId: run.id, error: platformError(err) ?? String(err) }, 'posting the failure reply failed');
    }
  }
}
