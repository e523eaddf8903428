/**
 * Webhook alert channels (POST/PUT/DELETE /v1/alert-channels, PUT /v1/alert-channels/{id}/subscriptions):
 * what `/checkly alerts on` and `off` ask of Checkly. Written through ChecklyClient, so they share its
 * headers, retries and request budget.
 */
import type { ChecklyClient } from './client';
import { NotFoundError, ServerError } from './errors';
import type { components } from './openapi';

type Schemas = components['schemas'];
/**
 * The spec leaves `config` open ("very different based on the type of the channel"); a WEBHOOK
 * channel's is these fields, as Checkly's CLI (WebhookAlertChannel) sends them.
 */
export interface WebhookAlertConfig {
  name: string;
  webhookType: 'WEBHOOK';
  url: string;
  method: 'POST';
  template: string;
  webhookSecret: string;
  headers: Array<{ key: string; value: string }>;
  queryParameters: Array<{ key: string; value: string }>;
}
export type AlertChannelCreate = Omit<Schemas['AlertChannelCreate'], 'config'> & { config: WebhookAlertConfig };
export type AlertChannelSubscriptionCreate = Schemas['AlertChannelSubscriptionCreate'];

export type AlertChannelWriter = Pick<ChecklyClient, 'write' | 'checkedUuid'>;

/** What the app's webhook alert channel says: where Checkly posts, the body it renders, the secret it signs with. */
export interface WebhookChannelSpec {
  name: string;
  url: string;
  template: string;
  webhookSecret: string;
}

function body(spec: WebhookChannelSpec): AlertChannelCreate {
  return {
    type: 'WEBHOOK',
    config: {
      name: spec.name,
      webhookType: 'WEBHOOK',
      url: spec.url,
      method: 'POST',
      template: spec.template,
      webhookSecret: spec.webhookSecret,
      headers: [],
      queryParameters: [],
    },
    sendFailure: true,
    sendRecovery: true,
    sendDegraded: true,
    sslExpiry: false,
    sslExpiryThreshold: 30,
    // Only the checks the expression matches: `/checkly alerts on` subscribes them one by one.
    autoSubscribe: false,
  };
}

function idOf(data: unknown, path: string): number {
  const id = typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
  if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0) {
    throw new ServerError({ operation: 'alert-channel', path, checklyMessage: 'Unexpected response body from Checkly.' });
  }
  return id;
}

/** Creates the channel; answers its id. */
export async function createWebhookChannel(client: AlertChannelWriter, spec: WebhookChannelSpec): Promise<number> {
  const path = '/v1/alert-channels';
  return idOf(await client.write('alert-channel-create', 'POST', path, body(spec)), path);
}

/** Replaces the channel's settings (a new secret, URL or template); a channel deleted in Checkly is a NotFoundError. */
export async function updateWebhookChannel(client: AlertChannelWriter, id: number, spec: WebhookChannelSpec): Promise<void> {
  const path = `/v1/alert-channels/${positive(id)}`;
  idOf(await client.write('alert-channel', 'PUT', path, body(spec)), path);
}

/** Subscribes one check to the channel (`activated` false: unsubscribes it). */
export async function subscribeCheck(client: AlertChannelWriter, id: number, checkId: string, activated = true): Promise<void> {
  const path = `/v1/alert-channels/${positive(id)}/subscriptions`;
  const subscription: AlertChannelSubscriptionCreate = {
    checkId: client.checkedUuid('alert-channel', '/v1/alert-channels/{id}/subscriptions', 'check ID', checkId),
    activated,
  };
  await client.write('alert-channel', 'PUT', path, subscription);
}

/** Deletes the channel; one already gone is not an error. */
export async function deleteAlertChannel(client: AlertChannelWriter, id: number): Promise<void> {
  try {
    await client.write('alert-channel', 'DELETE', `/v1/alert-channels/${positive(id)}`);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

function positive(id: number): number {
  if (!Number.isInteger(id) || id <= 0) throw new Error(`not an alert channel id: ${id}`);
  return id;
}
