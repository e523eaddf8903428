/**
 * The thread reply of a run that failed: the failure evidence first (details, assertions, links),
 * then every failed check it did not cover, over as many replies as it takes; then what goes into the
 * thread after it (the failure screenshots), which comes when it comes.
 */
import type { SlackMessage } from '../blocks/message';
import { smallerSize, type MessageSize } from '../blocks/size';
import type { AfterReply } from '../runs/ports';
import type { Run } from '../runs/types';
import type { Logger } from '../shared/log';
import { errorText } from '../shared/error-text';
import { settledWithin } from '../shared/settled';
import { GONE, type Poster } from './chat-rules';
import { isUnanswered, platformError } from './errors';

export interface FailureReplyDeps {
  poster: Poster;
  /** The thread replies listing the failed checks from `skip` on, each within `size`'s budget. */
  renderFailureReplies: (run: Run, opts: { size: MessageSize; skip: number }) => Array<SlackMessage & { listed: number }>;
  /**
   * The failure evidence of the first failed checks (details, assertions, links), as the first
   * replies of the thread (the first one mentions whom the run notifies), and how many failed checks
   * they cover; the replies listing the rest follow them. Without it, the list alone is the reply.
   */
  failureReplies?: (run: Run, stopping: AbortSignal) => Promise<{ replies: SlackMessage[]; listed: number }>;
  /**
   * After the reply is posted: what else goes into the thread (the failure screenshots); again for a
   * run whose `screenshotsDue` says a stopped process handed them over. `stopping` aborts when this
   * process stops: what is not in the thread by then is 'handed_over', not dropped.
   */
  afterFailureReply?: (run: Run, threadTs: string, stopping: AbortSignal) => Promise<AfterReply>;
  logger: Logger;
}

export class FailureReply {
  /** What goes into threads after their reply, in progress, by run id. */
  private readonly adding = new Map<string, Promise<AfterReply>>();

  constructor(
    private readonly deps: FailureReplyDeps,
    /** Aborted when the app stops: work cut off by it is left to the next process, quietly. */
    private readonly stopping: AbortSignal,
  ) {}

  /**
   * Posts the reply. Whether it went through (or never will: the channel is gone), and what goes into
   * the thread after it; a reply that did not go through is tried again by the sweep.
   */
  async post(run: Run): Promise<{ replied: boolean; added?: Promise<AfterReply> }> {
    const { logger } = this.deps;
    const threadTs = run.threadTs ?? run.ts;
    const post = (reply: SlackMessage) => this.deps.poster.post(run.channel, reply, threadTs);
    let listed = 0;
    let size: MessageSize | undefined = 'full';
    try {
      const evidence = await this.evidence(run);
      for (const [i, reply] of evidence.replies.entries()) {
        try {
          await post(reply);
          if (i === 0) listed = evidence.listed;
        } catch (err) {
          // The evidence is extra: a part Slack finds too long is left out, and without its first
          // part (the mention) the list below says everything.
          if (platformError(err) !== 'msg_blocks_too_long') throw err;
          logger.warn({ runId: run.id, part: i }, 'Slack refused failure evidence as too long; leaving it out');
          if (i === 0) break;
        }
      }
      while (size !== undefined) {
        const [reply] = this.deps.renderFailureReplies(run, { size, skip: listed });
        if (reply === undefined || (listed > 0 && reply.listed === 0)) break;
        try {
          await post(reply);
        } catch (err) {
          if (platformError(err) !== 'msg_blocks_too_long') throw err;
          logger.warn({ runId: run.id, size }, 'Slack refused a failure reply as too long; building it smaller');
          size = smallerSize(size);
          continue;
        }
        if (reply.listed === 0) break;
        listed += reply.listed;
      }
      if (size === undefined) throw new Error('Slack refused the failure reply as too long at every size');
    } catch (err) {
      if (isUnanswered(err)) {
        // Slack may have posted it: posting it again could show it twice.
        logger.warn({ runId: run.id, listed }, 'Slack did not answer a failure reply in time (it may have taken it); not posting it again');
        return { replied: true };
      }
      const code = platformError(err);
      if (this.stopping.aborted) {
        logger.info({ runId: run.id, listed }, 'stopping: the failure reply is left to the next process');
        return { replied: false };
      }
      logger.warn({ runId: run.id, listed, error: code ?? errorText(err) }, 'posting the failure reply failed');
      // A channel the bot can no longer post in will not take it later either.
      return { replied: code !== undefined && GONE.has(code) };
    }
    return { replied: true, ...(threadTs !== undefined && this.addAfter(run, threadTs)) };
  }

  /**
   * Starts what goes into the thread after its reply (the screenshots), unless it is going already or
   * there is nothing to add: the run is over and its reply is out, nothing waits for it but `settle`.
   */
  addAfter(run: Run, threadTs: string): { added?: Promise<AfterReply> } {
    const add = this.deps.afterFailureReply;
    if (!add || this.adding.has(run.id)) return {};
    const work = add(run, threadTs, this.stopping)
      .catch((err: unknown): AfterReply => {
        this.deps.logger.warn({ runId: run.id, err: errorText(err) }, 'adding to the failure reply failed');
        return 'failed';
      })
      .finally(() => this.adding.delete(run.id));
    this.adding.set(run.id, work);
    return { added: work };
  }

  /** Waits at most `timeoutMs` for what goes into threads after their reply. */
  settle(timeoutMs: number): Promise<void> {
    return settledWithin(this.adding.values(), timeoutMs);
  }

  /** The failure evidence; none when gathering it fails (the list of failed checks says the rest). */
  private async evidence(run: Run): Promise<{ replies: SlackMessage[]; listed: number }> {
    if (this.deps.failureReplies) {
      try {
        return await this.deps.failureReplies(run, this.stopping);
      } catch (err) {
        this.deps.logger.warn({ runId: run.id, err: errorText(err) }, 'rendering the failure evidence failed; replying without it');
      }
    }
    return { replies: [], listed: 0 };
  }
}
