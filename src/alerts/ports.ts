/** What the alerts room needs of Checkly (src/checkly/alert-channels.ts implements it; wiring connects them). */

export interface WebhookChannel {
  name: string;
  url: string;
  template: string;
  webhookSecret: string;
}

export interface AlertChannelsPort {
  /** Creates the webhook alert channel; answers its id. */
  create(channel: WebhookChannel): Promise<number>;
  /** Replaces its settings; false when Checkly no longer has it. */
  update(id: number, channel: WebhookChannel): Promise<boolean>;
  /** Subscribes one check to it (`activated` false: no longer). */
  subscribe(id: number, checkId: string, activated: boolean): Promise<void>;
  /** Deletes it (one already gone is fine). */
  remove(id: number): Promise<void>;
}

/** The account's checks, as the catalogue has them. */
export interface AlertCheckSource {
  checks(): Promise<ReadonlyArray<{ id: string; name: string; tags: readonly string[]; activated: boolean }>>;
}
