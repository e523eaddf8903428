import type { components } from './openapi';

type Schemas = components['schemas'];

export type TriggerRequest = Schemas['CheckSessionsV2TriggerRequest'];
export type TriggerResponse = Schemas['CheckSessionsV2TriggerResponse'];
/** A session as the trigger endpoint returns it. */
export type TriggeredSession = Schemas['CheckSessionsV2CheckSession'];
/** A session as GET /v2/check-sessions/{id} returns it: possibly still running. */
export type CheckSession = Schemas['CheckSessionsV2FindOneResponse'];
/** A session as GET /v2/check-sessions/{id}/completion returns it: always final. */
export type CompletedSession = Schemas['CheckSessionsV2CompletionResponse'];
/** One location's concise result inside a session. */
export type SessionResult = Schemas['CheckSessionsV2CheckResult'];
/** The full result from GET /v1/check-results/{checkId}/{checkResultId}. */
export type CheckResult = Schemas['CheckResult'];
export type ApiError = Schemas['ApiError'];

export type SessionStatus = CheckSession['status'];
export type CheckType = CheckSession['checkType'];
/** GET /v1/check-results/{checkId}/{checkResultId}/assets. */
export type AssetManifest = Schemas['AssetManifest'];
export type AssetManifestEntry = Schemas['AssetManifestEntry'];
export type AssetType = AssetManifestEntry['type'];
/**
 * The account a key and account ID open (GET /v1/accounts/me): the fields of the spec's `Account` this
 * app reads (the generated types cover only the check-session calls; only `id` is required).
 */
export interface Account {
  id: string;
  name?: string;
  plan?: string;
  planDisplayName?: string;
  runtimeId?: string;
}
