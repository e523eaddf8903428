/**
 * Failure screenshots into a run's thread, with Slack's external upload (files.getUploadURLExternal,
 * the upload, files.completeUploadExternal with thread_ts), which @slack/web-api's filesUploadV2 does.
 * Without the `files:write` scope Slack answers `missing_scope`: the app says so once in its log and
 * goes on without screenshots; the text details in the thread do not depend on them.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from '../shared/log';
import type { Screenshot } from '../runs/gather-evidence';
import { platformError } from './errors';

export interface ScreenshotUploaderDeps {
  client: Pick<webApi.WebClient, 'filesUploadV2'>;
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
    for (const shot of screenshots) {
      try {
        await this.options.client.filesUploadV2({
          channel_id: channel,
          thread_ts: threadTs,
          file: shot.bytes,
          filename: this.options.scrub(shot.filename),
          // Shown by Slack as the file's name: plain text, no markup is interpreted there.
          title: this.options.scrub(`${shot.name} · ${shot.location}`).slice(0, 250),
          alt_text: this.options.scrub(`Screenshot of the failed check ${shot.name} in ${shot.location}`).slice(0, 1000),
        });
        uploaded += 1;
      } catch (err) {
        const code = platformError(err);
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
}
