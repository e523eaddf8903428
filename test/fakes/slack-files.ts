/**
 * Slack's external file upload for the fake Slack: files.getUploadURLExternal hands out an upload URL
 * on the fake server, the bytes are POSTed there (their size must be the declared `length`), and
 * files.completeUploadExternal shares the files in a channel, or in a thread when `thread_ts` names a
 * message of that channel. Without the `files:write` scope every step answers `missing_scope`.
 */

export interface FakeUpload {
  fileId: string;
  filename: string;
  length: number;
  altText?: string;
  /** Once POSTed to the upload URL. */
  bytes?: Buffer;
  /** Once completed. */
  title?: string;
  channel?: string;
  threadTs?: string;
  completedAt?: number;
}

type Args = Record<string, unknown>;
type Result = { ok: boolean; error?: string } & Record<string, unknown>;

export interface FileContext {
  now: () => number;
  origin: () => string;
  refuse(method: string, error: string, extra?: Record<string, unknown>): Result;
  /** The channel's error for an upload (`not_in_channel` where the bot is not a member, ...), if any. */
  channelError(channel: string): string | undefined;
  /** Whether `ts` is a message in `channel` that a thread can hang from (not itself a reply). */
  isThreadParent(channel: string, ts: string): boolean;
  scopeMissing(): boolean;
}

/** Slack's documented maximum file size. */
const MAX_FILE_BYTES = 1024 * 1024 * 1024;

export function fileMethods(ctx: FileContext, uploads: Map<string, FakeUpload>): Record<string, (args: Args) => Result> {
  let counter = 0;
  const missingScope = (method: string): Result | undefined =>
    ctx.scopeMissing() ? ctx.refuse(method, 'missing_scope', { needed: 'files:write', provided: 'commands,chat:write,chat:write.public' }) : undefined;
  return {
    'files.getUploadURLExternal': (args) => {
      const refused = missingScope('files.getUploadURLExternal');
      if (refused) return refused;
      const filename = typeof args.filename === 'string' ? args.filename : '';
      const length = Number(args.length);
      if (filename === '') return ctx.refuse('files.getUploadURLExternal', 'invalid_arguments', { errors: ['filename is required'] });
      if (!Number.isInteger(length) || length < 1)
        return ctx.refuse('files.getUploadURLExternal', 'invalid_arguments', { errors: ['length must be a positive integer'] });
      if (length > MAX_FILE_BYTES) return ctx.refuse('files.getUploadURLExternal', 'file_too_large');
      counter += 1;
      const fileId = `F${String(counter).padStart(9, '0')}`;
      const upload: FakeUpload = { fileId, filename, length };
      if (typeof args.alt_text === 'string') upload.altText = args.alt_text;
      uploads.set(fileId, upload);
      return { ok: true, upload_url: `${ctx.origin()}/upload/${fileId}`, file_id: fileId };
    },
    'files.completeUploadExternal': (args) => {
      const refused = missingScope('files.completeUploadExternal');
      if (refused) return refused;
      const files = Array.isArray(args.files) ? (args.files as Array<Record<string, unknown>>) : undefined;
      if (!files || files.length === 0) return ctx.refuse('files.completeUploadExternal', 'invalid_arguments');
      const channel = typeof args.channel_id === 'string' ? args.channel_id : undefined;
      const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
      if (threadTs !== undefined && channel === undefined)
        return ctx.refuse('files.completeUploadExternal', 'invalid_arguments', { errors: ['thread_ts needs channel_id'] });
      if (channel !== undefined) {
        const error = ctx.channelError(channel);
        if (error) return ctx.refuse('files.completeUploadExternal', error);
        if (threadTs !== undefined && !ctx.isThreadParent(channel, threadTs)) return ctx.refuse('files.completeUploadExternal', 'invalid_thread_ts');
      }
      const found: FakeUpload[] = [];
      for (const f of files) {
        const upload = typeof f.id === 'string' ? uploads.get(f.id) : undefined;
        if (!upload || upload.completedAt !== undefined) return ctx.refuse('files.completeUploadExternal', 'file_not_found');
        if (upload.bytes === undefined) return ctx.refuse('files.completeUploadExternal', 'file_upload_not_completed');
        found.push(upload);
      }
      for (const [i, upload] of found.entries()) {
        const title = files[i]!.title;
        if (typeof title === 'string') upload.title = title;
        if (channel !== undefined) upload.channel = channel;
        if (threadTs !== undefined) upload.threadTs = threadTs;
        upload.completedAt = ctx.now();
      }
      return { ok: true, files: found.map((u) => ({ id: u.fileId, title: u.title ?? u.filename })) };
    },
  };
}

/**
 * The POST of the bytes to an upload URL, as @slack/web-api sends it (multipart/form-data, or a raw
 * body). Answers as files.slack.com does: 200 "OK - <bytes>", or an error status.
 */
export async function receiveUpload(
  uploads: Map<string, FakeUpload>,
  fileId: string,
  body: Buffer,
  contentType: string,
): Promise<{ status: number; text: string }> {
  const upload = uploads.get(fileId);
  if (!upload) return { status: 404, text: 'no such upload' };
  if (upload.bytes !== undefined) return { status: 400, text: 'already uploaded' };
  let bytes = body;
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    const file = [...form.values()].find((v) => typeof v !== 'string');
    if (file === undefined || typeof file === 'string') return { status: 400, text: 'no file in the form' };
    bytes = Buffer.from(await file.arrayBuffer());
  }
  if (bytes.length !== upload.length) return { status: 400, text: `length mismatch: declared ${upload.length}, got ${bytes.length}` };
  upload.bytes = bytes;
  return { status: 200, text: `OK - ${bytes.length}` };
}
