// Request validation of the fake Checkly, strict like the real API's schema validation, with its
// Joi-style messages. Anything the spec does not allow is a 400, so client bugs show up in tests.
import type { TriggerTarget } from './checkly-model';

export type Validated<T> = { ok: true; value: T } | { ok: false; message: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKey(value: Record<string, unknown>, allowed: readonly string[], prefix: string): string | undefined {
  const key = Object.keys(value).find((k) => !allowed.includes(k));
  return key === undefined ? undefined : `"${prefix}${key}" is not allowed`;
}

export function validateTrigger(body: unknown): Validated<{ target?: TriggerTarget; refreshCache: boolean }> {
  if (!isRecord(body)) return fail('"value" must be of type object');
  const extra = unknownKey(body, ['target', 'refreshCache'], '');
  if (extra) return fail(extra);
  if (body.refreshCache !== undefined && typeof body.refreshCache !== 'boolean') return fail('"refreshCache" must be a boolean');
  const refreshCache = body.refreshCache === true;
  if (body.target === undefined) return { ok: true, value: { refreshCache } };
  const { target } = body;
  if (!isRecord(target)) return fail('"target" must be of type object');
  const extraInTarget = unknownKey(target, ['matchTags', 'checkId'], 'target.');
  if (extraInTarget) return fail(extraInTarget);
  const value: TriggerTarget = {};
  if (target.matchTags !== undefined) {
    if (!Array.isArray(target.matchTags)) return fail('"target.matchTags" must be an array');
    for (const [i, group] of target.matchTags.entries()) {
      if (!Array.isArray(group)) return fail(`"target.matchTags[${i}]" must be an array`);
      const j = group.findIndex((tag) => typeof tag !== 'string');
      if (j >= 0) return fail(`"target.matchTags[${i}][${j}]" must be a string`);
    }
    value.matchTags = target.matchTags as string[][];
  }
  if (target.checkId !== undefined) {
    if (!Array.isArray(target.checkId)) return fail('"target.checkId" must be an array');
    const i = target.checkId.findIndex((id) => !isUuid(id));
    if (i >= 0) return fail(`"target.checkId[${i}]" must be a valid GUID`);
    value.checkId = target.checkId as string[];
  }
  return { ok: true, value: { target: value, refreshCache } };
}

export function validateCancel(body: unknown): Validated<{ sequenceId?: string[] }> {
  if (!isRecord(body)) return fail('"value" must be of type object');
  const extra = unknownKey(body, ['sequenceId'], '');
  if (extra) return fail(extra);
  if (body.sequenceId === undefined) return { ok: true, value: {} };
  if (!Array.isArray(body.sequenceId) || body.sequenceId.some((s) => typeof s !== 'string')) {
    return fail('"sequenceId" must be an array of strings');
  }
  return { ok: true, value: { sequenceId: body.sequenceId as string[] } };
}

/** The spec: integer 1..30, optional. Its default is not documented; 30 matches what the CLI sends. */
export function validateMaxWait(raw: string | null): Validated<number> {
  if (raw === null) return { ok: true, value: 30 };
  if (!/^-?\d+$/.test(raw)) return fail('"maxWaitSeconds" must be a number');
  const n = Number(raw);
  if (n < 1) return fail('"maxWaitSeconds" must be greater than or equal to 1');
  if (n > 30) return fail('"maxWaitSeconds" must be less than or equal to 30');
  return { ok: true, value: n };
}
