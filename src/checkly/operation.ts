/** The Checkly calls this app makes; names the call in errors, hooks and metrics. */
export type ChecklyOperation =
  | 'trigger'
  | 'session'
  | 'completion'
  | 'cancel'
  | 'result'
  /** The catalogue (src/checkly/catalogue.ts): a page of checks, one check, check groups, check statuses. */
  | 'checks'
  | 'check'
  | 'groups'
  | 'statuses';
