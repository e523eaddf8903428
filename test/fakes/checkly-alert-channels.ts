// The fake Checkly's alert channels (POST/GET/PUT/DELETE /v1/alert-channels, PUT
// /v1/alert-channels/{id}/subscriptions), as strict as the OpenAPI spec (AlertChannelCreate,
// AlertChannelSubscriptionCreate), and its alerts sent as Checkly sends them to a WEBHOOK channel:
// the stored template rendered with Handlebars, signed with the stored secret (x-checkly-signature,
// HMAC-SHA256 hex of the body), posted to config.url.
import { createHmac } from 'node:crypto';
import Handlebars from 'handlebars';
import { isUuid, type Validated } from './checkly-validate';

const TYPES = ['EMAIL', 'SLACK', 'SLACK_APP', 'WEBHOOK', 'SMS', 'PAGERDUTY', 'OPSGENIE', 'CALL'];
const CREATE_FIELDS = ['subscriptions', 'type', 'config', 'sendRecovery', 'sendFailure', 'sendDegraded', 'sslExpiry', 'sslExpiryThreshold', 'autoSubscribe'];
const WEBHOOK_FIELDS = ['name', 'webhookType', 'url', 'method', 'template', 'webhookSecret', 'headers', 'queryParameters'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'HEAD', 'DELETE'];

export interface FakeSubscription {
  id: number;
  checkId: string | null;
  groupId: number | null;
  activated: boolean;
}

export interface FakeAlertChannel {
  id: number;
  type: string;
  config: Record<string, unknown>;
  subscriptions: FakeSubscription[];
  sendRecovery: boolean;
  sendFailure: boolean;
  sendDegraded: boolean;
  sslExpiry: boolean;
  sslExpiryThreshold: number;
  autoSubscribe: boolean;
  created_at: string;
  updated_at: string | null;
}

/** The variables Checkly gives a webhook template (docs: webhook alert channels). */
export interface AlertVariables {
  ALERT_TYPE: string;
  CHECK_ID: string;
  CHECK_NAME: string;
  CHECK_TYPE?: string;
  CHECK_RESULT_ID?: string;
  RESULT_LINK?: string;
  RUN_LOCATION?: string;
  RESPONSE_TIME?: number;
  STARTED_AT?: string;
  TAGS?: string[];
  GROUP_NAME?: string;
  CHECK_ERROR_MESSAGE?: string;
  API_CHECK_RESPONSE_STATUS_CODE?: number;
  [name: string]: unknown;
}

export interface Delivery {
  channelId: number;
  url: string;
  body: string;
  signature?: string;
  status?: number;
  error?: string;
}

type Answer = { status: number; body?: unknown };

function bad(message: string): Answer {
  return { status: 400, body: { statusCode: 400, error: 'Bad Request', message } };
}

function notFound(): Answer {
  return { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'Not Found' } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateCreate(body: unknown): Validated<Omit<FakeAlertChannel, 'id' | 'created_at' | 'updated_at'>> {
  if (!isRecord(body)) return { ok: false, message: '"value" must be of type object' };
  const unknown = Object.keys(body).find((k) => !CREATE_FIELDS.includes(k));
  if (unknown) return { ok: false, message: `"${unknown}" is not allowed` };
  if (typeof body.type !== 'string' || !TYPES.includes(body.type)) return { ok: false, message: `"type" must be one of [${TYPES.join(', ')}]` };
  if (!isRecord(body.config)) return { ok: false, message: '"config" is required' };
  for (const flag of ['sendRecovery', 'sendFailure', 'sendDegraded', 'sslExpiry', 'autoSubscribe']) {
    if (body[flag] !== undefined && typeof body[flag] !== 'boolean') return { ok: false, message: `"${flag}" must be a boolean` };
  }
  const threshold = body.sslExpiryThreshold ?? 30;
  if (!Number.isInteger(threshold) || (threshold as number) < 1 || (threshold as number) > 30) {
    return { ok: false, message: '"sslExpiryThreshold" must be an integer from 1 to 30' };
  }
  if (body.type === 'WEBHOOK') {
    const config = body.config;
    const extra = Object.keys(config).find((k) => !WEBHOOK_FIELDS.includes(k));
    if (extra) return { ok: false, message: `"config.${extra}" is not allowed` };
    if (typeof config.name !== 'string' || config.name === '') return { ok: false, message: '"config.name" is required' };
    if (typeof config.url !== 'string' || !/^https?:\/\//.test(config.url)) return { ok: false, message: '"config.url" must be a valid uri' };
    if (config.method !== undefined && !METHODS.includes(String(config.method)))
      return { ok: false, message: `"config.method" must be one of [${METHODS.join(', ')}]` };
    if (config.template !== undefined && typeof config.template !== 'string') return { ok: false, message: '"config.template" must be a string' };
    if (config.webhookSecret !== undefined && typeof config.webhookSecret !== 'string')
      return { ok: false, message: '"config.webhookSecret" must be a string' };
    if (config.webhookType !== undefined && config.webhookType !== 'WEBHOOK') return { ok: false, message: '"config.webhookType" must be WEBHOOK' };
  }
  const subscriptions = body.subscriptions ?? [];
  if (!Array.isArray(subscriptions)) return { ok: false, message: '"subscriptions" must be an array' };
  return {
    ok: true,
    value: {
      type: body.type,
      config: { ...body.config },
      subscriptions: [],
      sendRecovery: body.sendRecovery !== false,
      sendFailure: body.sendFailure !== false,
      sendDegraded: body.sendDegraded === true,
      sslExpiry: body.sslExpiry === true,
      sslExpiryThreshold: threshold as number,
      autoSubscribe: body.autoSubscribe === true,
    },
  };
}

function validateSubscription(body: unknown): Validated<{ checkId: string | null; groupId: number | null; activated: boolean }> {
  if (!isRecord(body)) return { ok: false, message: '"value" must be of type object' };
  const unknown = Object.keys(body).find((k) => !['checkId', 'groupId', 'activated'].includes(k));
  if (unknown) return { ok: false, message: `"${unknown}" is not allowed` };
  if (typeof body.activated !== 'boolean') return { ok: false, message: '"activated" is required' };
  const checkId = body.checkId ?? null;
  const groupId = body.groupId ?? null;
  if (checkId !== null && !isUuid(checkId)) return { ok: false, message: '"checkId" must be a valid GUID' };
  if (groupId !== null && (!Number.isInteger(groupId) || (groupId as number) <= 0)) return { ok: false, message: '"groupId" must be a positive number' };
  if ((checkId === null) === (groupId === null)) return { ok: false, message: 'You can either pass a checkId or a groupId, but not both.' };
  return { ok: true, value: { checkId: checkId as string | null, groupId: groupId as number | null, activated: body.activated } };
}

export class FakeAlertChannels {
  readonly list: FakeAlertChannel[] = [];
  readonly deliveries: Delivery[] = [];
  private nextId = 1;
  private nextSubscriptionId = 1;

  constructor(
    private readonly now: () => number,
    private readonly checkExists: (id: string) => boolean,
  ) {}

  create(body: unknown): Answer {
    const valid = validateCreate(body);
    if (!valid.ok) return bad(valid.message);
    const at = new Date(this.now()).toISOString();
    const channel: FakeAlertChannel = { id: this.nextId++, ...valid.value, created_at: at, updated_at: null };
    this.list.push(channel);
    return { status: 201, body: this.view(channel) };
  }

  read(id: string): Answer {
    const channel = this.find(id);
    return channel ? { status: 200, body: this.view(channel) } : notFound();
  }

  listAll(): Answer {
    return { status: 200, body: this.list.map((c) => this.view(c)) };
  }

  update(id: string, body: unknown): Answer {
    const channel = this.find(id);
    if (!channel) return notFound();
    const valid = validateCreate(body);
    if (!valid.ok) return bad(valid.message);
    const { subscriptions: _keep, ...rest } = valid.value;
    Object.assign(channel, rest, { updated_at: new Date(this.now()).toISOString() });
    return { status: 200, body: this.view(channel) };
  }

  remove(id: string): Answer {
    const channel = this.find(id);
    if (!channel) return notFound();
    this.list.splice(this.list.indexOf(channel), 1);
    return { status: 204 };
  }

  subscribe(id: string, body: unknown): Answer {
    const channel = this.find(id);
    if (!channel) return notFound();
    const valid = validateSubscription(body);
    if (!valid.ok) return bad(valid.message);
    if (valid.value.checkId !== null && !this.checkExists(valid.value.checkId)) return notFound();
    const existing = channel.subscriptions.find((s) => s.checkId === valid.value.checkId && s.groupId === valid.value.groupId);
    if (existing) existing.activated = valid.value.activated;
    const subscription = existing ?? { id: this.nextSubscriptionId++, ...valid.value };
    if (!existing) channel.subscriptions.push(subscription);
    return { status: 200, body: { ...subscription } };
  }

  /**
   * Sends an alert of `vars.CHECK_ID` as Checkly does: to every channel with an active subscription
   * to the check and the alert's kind turned on. Answers each delivery (with the app's status).
   */
  async sendAlert(vars: AlertVariables, tamper?: (delivery: { body: string; headers: Record<string, string> }) => void): Promise<Delivery[]> {
    const kind = /RECOVERY$/.test(vars.ALERT_TYPE)
      ? 'sendRecovery'
      : /^ALERT_DEGRADED($|_REMAIN$)|ALERT_FAILURE_DEGRADED/.test(vars.ALERT_TYPE)
        ? 'sendDegraded'
        : 'sendFailure';
    const out: Delivery[] = [];
    for (const channel of this.list) {
      if (channel.type !== 'WEBHOOK' || !channel[kind]) continue;
      if (!channel.subscriptions.some((s) => s.activated && s.checkId === vars.CHECK_ID)) continue;
      out.push(await this.deliver(channel, vars, tamper));
    }
    return out;
  }

  /**
   * One delivery of `vars` to `channel` (a repeat Checkly makes sends the same again); `to` sends it
   * elsewhere than config.url (another replica behind the same address).
   */
  async deliver(
    channel: FakeAlertChannel,
    vars: AlertVariables,
    tamper?: (delivery: { body: string; headers: Record<string, string> }) => void,
    to?: string,
  ): Promise<Delivery> {
    const template = typeof channel.config.template === 'string' ? channel.config.template : '';
    const body = Handlebars.compile(template)(vars);
    const secret = typeof channel.config.webhookSecret === 'string' ? channel.config.webhookSecret : undefined;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (secret) headers['x-checkly-signature'] = createHmac('sha256', secret).update(body).digest('hex');
    const sent = { body, headers };
    tamper?.(sent);
    const url = to ?? String(channel.config.url);
    const delivery: Delivery = {
      channelId: channel.id,
      url,
      body: sent.body,
      ...(sent.headers['x-checkly-signature'] && { signature: sent.headers['x-checkly-signature'] }),
    };
    try {
      const res = await fetch(url, { method: String(channel.config.method ?? 'POST'), headers: sent.headers, body: sent.body });
      delivery.status = res.status;
      await res.arrayBuffer();
    } catch (err) {
      delivery.error = String(err);
    }
    this.deliveries.push(delivery);
    return delivery;
  }

  private find(id: string): FakeAlertChannel | undefined {
    if (!/^\d+$/.test(id)) return undefined;
    return this.list.find((c) => c.id === Number(id));
  }

  private view(channel: FakeAlertChannel): FakeAlertChannel {
    return { ...channel, config: { ...channel.config }, subscriptions: channel.subscriptions.map((s) => ({ ...s })) };
  }
}
