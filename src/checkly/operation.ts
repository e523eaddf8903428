/**
 * The Checkly calls this app makes; names the call in errors, hooks and metrics. `evidence`, `assets`
 * and `asset` are the failure details of a finished run (a check result, its asset manifest, one
 * screenshot): extras that wait behind every poll of a running session.
 */
export type ChecklyOperation = 'trigger' | 'session' | 'completion' | 'cancel' | 'result' | 'evidence' | 'assets' | 'asset';
