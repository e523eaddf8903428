/**
 * POST /alerts/checkly: Checkly's deliveries (product.md section 12), as a Bolt custom route (on PORT
 * beside /slack/events in HTTP mode; on the health server in Socket Mode). The signature is checked
 * before anything is read from the body: 401 without a valid one, 413 over 64 KB, 400 for a body
 * that is not the app's template, 202 once the alert is taken (applied to its incident in the store);
 * the message follows. A refused request changes nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import { type Connection, type Connections, isSignedWith } from './connections';
import type { IncidentDesk } from './desk';
import { parseAlert } from './payload';

export const ALERTS_PATH = '/alerts/checkly';
export const MAX_ALERT_BYTES = 64 * 1024;
const SIGNATURE_HEADER = 'x-checkly-signature';

export interface AlertReceiver {
  connections: Connections;
  /**
   * Alert channels made by hand (the Checkly CLI's WebhookAlertChannel): signed with this secret
   * (ALERTS_WEBHOOK_SECRET), their URL naming the Slack channel (`?channel=C…`), in this workspace.
   */
  byHand?: { secret: string; teamId: () => string };
  desk: IncidentDesk;
  now: () => number;
  logger: Logger;
}

/** The route, served by whichever receiver `current` gives (the desk exists once the app does). */
export function alertRoutes(current: () => AlertReceiver | undefined): CustomRoute[] {
  return [
    {
      path: ALERTS_PATH,
      method: 'POST',
      handler: (req, res) => {
        const receiver = current();
        if (receiver) void receive(receiver, req, res);
        else answer(res, 503, 'The app is still starting. Try again.');
      },
    },
  ];
}

async function receive(receiver: AlertReceiver, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { logger } = receiver;
  try {
    const body = await readRaw(req);
    if (body === undefined) return answer(res, 413, `The body is larger than ${MAX_ALERT_BYTES} bytes.`);
    const signature = req.headers[SIGNATURE_HEADER];
    const connection =
      typeof signature === 'string' ? ((await receiver.connections.signedBy(body, signature)) ?? byHand(receiver, req, body, signature)) : undefined;
    if (connection === undefined) {
      logger.warn({ signed: typeof signature === 'string' }, 'refused an alert delivery: no valid x-checkly-signature');
      return answer(res, 401, 'Missing or invalid x-checkly-signature.');
    }
    const parsed = parseAlert(body.toString('utf8'), receiver.now());
    if (!parsed.ok) {
      logger.warn({ channel: connection.channel, problem: parsed.problem }, 'refused an alert delivery it cannot read');
      return answer(res, 400, parsed.problem);
    }
    const { outcome } = await receiver.desk.take(connection, parsed.alert);
    logger.info({ channel: connection.channel, checkId: parsed.alert.checkId, type: parsed.alert.type, outcome }, 'alert taken');
    answer(res, 202, outcome);
  } catch (err) {
    logger.error({ err: errorText(err) }, 'could not take an alert delivery');
    if (!res.headersSent) answer(res, 503, 'The alert could not be stored. Checkly sends it again.');
  }
}

/** A delivery of a channel made by hand: signed with ALERTS_WEBHOOK_SECRET, naming its Slack channel. */
function byHand(receiver: AlertReceiver, req: IncomingMessage, body: Buffer, signature: string): Connection | undefined {
  const hand = receiver.byHand;
  if (!hand || !isSignedWith(body, signature, hand.secret)) return undefined;
  const channel = new URL(req.url ?? '/', 'http://localhost').searchParams.get('channel')?.toUpperCase() ?? '';
  if (!/^[CG][A-Z0-9]{2,20}$/.test(channel)) return undefined;
  return { teamId: hand.teamId(), channel, alertChannelId: 0, expression: '', subscribed: [], webhookSecret: hand.secret, by: '', at: 0 };
}

/** The raw bytes (the signature is over them), or undefined past the limit (the rest is not read). */
function readRaw(req: IncomingMessage): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_ALERT_BYTES) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ALERT_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
