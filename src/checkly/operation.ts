/** The Checkly calls this app makes; names the call in errors, hooks and metrics. */
export type ChecklyOperation = 'trigger' | 'session' | 'completion' | 'cancel' | 'result' | 'account';
