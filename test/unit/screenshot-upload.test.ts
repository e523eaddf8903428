/**
 * What the uploader does with each of Slack's answers about the channel: a public channel the bot
 * has not joined is joined once; a join Slack refuses leaves one note in the thread; a channel the
 * bot cannot see at all (`channel_not_found`: removed from a private channel, or a deleted one) gets
 * neither, since both would meet the same answer.
 */
import { webApi } from '@slack/bolt';
import type { Screenshot } from '../../src/runs/gather-evidence';
import { createLogger } from '../../src/shared/log';
import { INVITE_NOTE, ScreenshotUploader } from '../../src/slack/upload';

function platformError(error: string): Error {
  return Object.assign(new Error(error), { code: webApi.ErrorCode.PlatformError, data: { ok: false, error } });
}

const shot = (n: number): Screenshot => ({ checkId: `c${n}`, name: `Check ${n}`, location: 'eu-west-1', filename: `c${n}.png`, bytes: Buffer.from([n]) });
const SHOTS = [shot(1), shot(2), shot(3)];

function setUp(answers: { upload: (call: number, joined: boolean) => string | undefined; join?: string }) {
  const calls: string[] = [];
  const notes: string[] = [];
  const lines: string[] = [];
  let uploads = 0;
  let joined = false;
  const uploader = new ScreenshotUploader({
    client: {
      filesUploadV2: (async () => {
        calls.push('upload');
        const error = answers.upload(++uploads, joined);
        if (error) throw platformError(error);
        return { ok: true, files: [] };
      }) as unknown as webApi.WebClient['filesUploadV2'],
      conversations: {
        join: (async () => {
          calls.push('join');
          if (answers.join) throw platformError(answers.join);
          joined = true;
          return { ok: true };
        }) as unknown as webApi.WebClient['conversations']['join'],
      },
    },
    postNote: async (_channel, _ts, text) => {
      calls.push('note');
      notes.push(text);
    },
    logger: createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } }),
    scrub: (text) => text,
  });
  return { uploader, calls, notes, lines };
}

describe('failure screenshots and the channel', () => {
  test('a public channel the bot has not joined: it joins once and every screenshot goes up', async () => {
    const { uploader, calls, notes } = setUp({ upload: (_n, joined) => (joined ? undefined : 'not_in_channel') });
    expect(await uploader.upload('C1', '1.1', SHOTS)).toBe(3);
    expect(calls).toEqual(['upload', 'join', 'upload', 'upload', 'upload']);
    expect(notes).toEqual([]);
  });

  test('a join Slack refuses (the scope not granted): one note in the thread, no further uploads', async () => {
    const { uploader, calls, notes, lines } = setUp({ upload: () => 'not_in_channel', join: 'missing_scope' });
    expect(await uploader.upload('C1', '1.1', SHOTS)).toBe(0);
    expect(calls).toEqual(['upload', 'join', 'note']);
    expect(notes).toEqual([INVITE_NOTE]);
    expect(lines.join('')).toContain('channels:join');
  });

  test('a channel the bot cannot see (channel_not_found): no join, no note, one log line, no further uploads', async () => {
    const { uploader, calls, notes, lines } = setUp({ upload: () => 'channel_not_found' });
    expect(await uploader.upload('G1', '1.1', SHOTS)).toBe(0);
    expect(calls).toEqual(['upload']);
    expect(notes).toEqual([]);
    expect(lines.filter((l) => l.includes('cannot see the channel'))).toHaveLength(1);
  });

  test('another refusal of one screenshot is logged and the next one is still tried', async () => {
    const { uploader, calls } = setUp({ upload: (n) => (n === 1 ? 'internal_error' : undefined) });
    expect(await uploader.upload('C1', '1.1', SHOTS)).toBe(2);
    expect(calls).toEqual(['upload', 'upload', 'upload']);
  });
});
