/**
 * The Checkly calls this app makes; names the call in errors, hooks and metrics.
 */
export type ChecklyOperation =
  | 'trigger'
  | 'session'
  | 'completion'
  | 'cancel'
  | 'result'
  /** The catalogue (src/checkly/catalogue.ts): a page of checks, one check, check groups, check statuses, alerts. */
  | 'checks'
  | 'check'
  | 'groups'
  | 'statuses'
  | 'alerts'
  /** The failure evidence of a finished run (a result, its asset manifest, one screenshot): waits behind every poll. */
  | 'evidence'
  | 'assets'
  | 'asset'
  /** Once, at start-up: the key and account check (GET /v1/accounts/me). */
  | 'account'
  /** `/checkly alerts`: creating the channel's webhook alert channel (not repeated when its answer may be lost). */
  | 'alert-channel-create'
  /** `/checkly alerts`: reading, updating, subscribing and deleting it (idempotent). */
  | 'alert-channel';
