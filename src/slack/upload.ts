/**
 * Failure screenshots into a run's thread, with Slack's external upload (files.getUploadURLExternal,
 * the upload, files.completeUploadExternal with thread_ts), which @slack/web-api's filesUploadV2 does.
 * Without the `files:write` scope Slack answers `missing_scope`: the app says so once in its log and
 * goes on without screenshots; the text details in the thread do not depend on them.
 *
 * `chat:write.public` lets the run message land in a public channel the bot was never added to, but
 * files.completeUploadExternal needs membership (`not_in_channel`): the app joins the channel
 * (conversations.join, scope `channels:join`) and uploads again. Where it cannot join (the scope not
 * granted yet), the thread says, once per run, to invite the bot. `channel_not_found` means the bot
 * cannot see the channel at all (a private channel it was removed from, a deleted one): joining and
 * the note would meet the same answer, so the app only logs it.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from '../shared/log';
import type { Screenshot } from '../runs/gather-evidence';
import { platformError } from './errors';

export interface ScreenshotUploaderDeps {
  client: Pick<webApi.WebClient, 'filesUploadV2'> & { conversations: Pick<webApi.WebClient['conversations'], 'join'> };
  /** Posts the "invite the bot" note into the run's thread (the run messages' budget). */
  postNote: (channel: string, threadTs: string, text: string) => Promise<void>;
  logger: Logger;
  /** Removes the app's secrets from outside text (a check's name) before Slack sees it. */
  scrub: (text: string) => string;
}

export class ScreenshotUploader {
  private missingScopeLogged = false;

  constructor(private readonly options: ScreenshotUploaderDeps) {}

  /** Uploads each screenshot into the thread, one after the other; never throws. Returns how many went up. */
  async upload(channel: string, threadTs: string, screenshots: readonly Screenshot[]): Promise<number> {
    let uploaded = 0;
    let joinTried = false;
    for (let i = 0; i < screenshots.length; i++) {
      const shot = screenshots[i] as Screenshot;
      try {
        await this.send(channel, threadTs, shot);
        uploaded += 1;
      } catch (err) {
        const code = platformError(err);
        if (code === 'channel_not_found') {
          this.options.logger.warn(
            { channel, error: code },
            'the bot cannot see the channel (a private channel it was removed from, or a deleted one): no failure screenshots there',
          );
          break;
        }
        if (code === 'not_in_channel' && !joinTried) {
          joinTried = true;
          if (await this.join(channel, code)) {
            i -= 1; // the same screenshot again, now as a member
            continue;
          }
          await this.inviteNote(channel, threadTs);
          break;
        }
        if (code === 'missing_scope') {
          // The other screenshots of this run would meet the same answer. The next run asks again
          // (one refused call), so that adding the scope needs no restart.
          if (!this.missingScopeLogged) {
            this.missingScopeLogged = true;
            this.options.logger.warn(
              { scope: 'files:write' },
              'Slack refused the screenshot upload (missing_scope): add the files:write scope to the app and reinstall it; until then the thread gets text details only',
            );
          }
          break;
        } else {
          this.options.logger.warn({ channel, error: code ?? (err instanceof Error ? err.name : 'unknown') }, 'uploading a failure screenshot failed');
        }
      }
    }
    return uploaded;
  }

  private async send(channel: string, threadTs: string, shot: Screenshot): Promise<void> {
    await this.options.client.filesUploadV2({
      channel_id: channel,
      thread_ts: threadTs,
      file: shot.bytes,
      filename: this.options.scrub(shot.filename),
      // Shown by Slack as the file's name: plain text, no markup is interpreted there.
      title: this.options.scrub(`${shot.name} · ${shot.location}`).slice(0, 250),
      alt_text: this.options.scrub(`Screenshot of the failed check ${shot.name} in ${shot.location}`).slice(0, 1000),
    });
  }

  /** Joins a public channel the upload found the bot not a member of; false when Slack refuses. */
  private async join(channel: string, uploadError: string): Promise<boolean> {
    try {
      await this.options.client.conversations.join({ channel });
      this.options.logger.info({ channel, uploadError }, 'joined the channel to upload failure screenshots there');
      return true;
    } catch (err) {
      const code = platformError(err);
      const hint = code === 'missing_scope' ? ': add the channels:join scope to the app and reinstall it' : '';
      this.options.logger.warn(
        { channel, uploadError, error: code ?? (err instanceof Error ? err.name : 'unknown') },
        `could not join the channel to upload failure screenshots${hint}; the thread says to invite the bot`,
      );
      return false;
    }
  }

  private async inviteNote(channel: string, threadTs: string): Promise<void> {
    try {
      await this.options.postNote(channel, threadTs, INVITE_NOTE);
    } catch (err) {
      this.options.logger.warn(
        { channel, error: platformError(err) ?? (err instanceof Error ? err.name : 'unknown') },
        'could not post the note about screenshots',
      );
    }
  }
}

/** The thread's note where the app cannot join: once per run. */
export const INVITE_NOTE = '📎 Invite @Checkly to this channel to get screenshots of failed checks here: `/invite @Checkly`';
