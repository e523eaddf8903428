/**
 * The channels connected to Checkly's alerts (`/checkly alerts on`): each with its Checkly alert
 * channel, its tag expression and the secret Checkly signs its deliveries with. Kept in the records
 * (shared by replicas with Redis), with an index of the connected channels: a delivery names no
 * channel, its signature does.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Records } from '../runs/records';

export interface Connection {
  teamId: string;
  channel: string;
  /** The Checkly alert channel's id. */
  alertChannelId: number;
  /** The tag expression as typed (`prod api`), and the checks subscribed so far. */
  expression: string;
  subscribed: string[];
  webhookSecret: string;
  by: string;
  at: number;
}

/** Connections last until `off`; the records want a time, so a long one. */
const KEEP_MS = 10 * 365 * 24 * 3600 * 1000;
const INDEX = 'alerts:channels';

const keyOf = (teamId: string, channel: string): string => `alerts:channel:${teamId}:${channel}`;

function isConnection(value: unknown): value is Connection {
  const v = value as Partial<Connection> | undefined;
  return typeof v === 'object' && v !== null && typeof v.channel === 'string' && typeof v.webhookSecret === 'string' && typeof v.alertChannelId === 'number';
}

function indexOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export class Connections {
  constructor(private readonly records: Records) {}

  async get(teamId: string, channel: string): Promise<Connection | undefined> {
    const value = await this.records.read(keyOf(teamId, channel));
    return isConnection(value) ? value : undefined;
  }

  async save(connection: Connection): Promise<void> {
    const key = keyOf(connection.teamId, connection.channel);
    await this.records.change(INDEX, (current) => [...new Set([...indexOf(current), key])], KEEP_MS);
    await this.records.change(key, () => connection, KEEP_MS);
  }

  async remove(teamId: string, channel: string): Promise<void> {
    const key = keyOf(teamId, channel);
    await this.records.change(key, () => undefined, KEEP_MS);
    await this.records.change(INDEX, (current) => indexOf(current).filter((k) => k !== key), KEEP_MS);
  }

  /** Every connection, for a delivery's signature to pick its own. */
  async all(): Promise<Connection[]> {
    const keys = indexOf(await this.records.read(INDEX));
    const values = await Promise.all(keys.map((key) => this.records.read(key)));
    return values.filter(isConnection);
  }

  /** The connection whose secret signed `body` (HMAC-SHA256, hex), compared in constant time; undefined for none. */
  async signedBy(body: Buffer, signature: string): Promise<Connection | undefined> {
    let found: Connection | undefined;
    // Every secret is compared, whichever matches: the time says nothing about which one did.
    for (const connection of await this.all()) {
      if (isSignedWith(body, signature, connection.webhookSecret) && found === undefined) found = connection;
    }
    return found;
  }
}

/** Whether `signature` (hex) is the HMAC-SHA256 of `body` with `secret`, compared in constant time. */
export function isSignedWith(body: Buffer, signature: string, secret: string): boolean {
  const given = /^[0-9a-f]{64}$/i.test(signature.trim()) ? Buffer.from(signature.trim(), 'hex') : undefined;
  if (given === undefined) return false;
  return timingSafeEqual(createHmac('sha256', secret).update(body).digest(), given);
}

/** The signature Checkly sends in `x-checkly-signature` (and the fakes and the demo sign with). */
export function signAlert(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}
