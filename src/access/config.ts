/**
 * The access variables, read like src/config.ts reads the rest: pure, one problem per bad variable,
 * naming the variable and the position of a bad item but never echoing a value.
 */
import type { AccessPolicy } from './policy';

export type AccessConfigResult = { ok: true; policy: AccessPolicy } | { ok: false; problems: string[] };

type Env = Record<string, string | undefined>;

/** Slack IDs are upper-case letters and digits after a one-letter kind. */
const ID_KINDS = {
  ALLOWED_CHANNELS: { pattern: /^[CGD][A-Z0-9]{2,20}$/, what: 'a channel ID (C…, G… or D…: the ID in the channel’s details, not its name)' },
  ALLOWED_USERS: { pattern: /^[UW][A-Z0-9]{2,20}$/, what: 'a user ID (U… or W…: “Copy member ID” in the profile, not the name)' },
  ALLOWED_USERGROUPS: { pattern: /^S[A-Z0-9]{2,20}$/, what: 'a user group ID (S…), not its @handle' },
} as const;

const MAX_CONTACT_LENGTH = 200;
const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

export function loadAccessConfig(env: Env): AccessConfigResult {
  const problems: string[] = [];
  const allowedChannels = idList(env, 'ALLOWED_CHANNELS', problems);
  const allowedUsers = idList(env, 'ALLOWED_USERS', problems);
  const allowedUsergroups = idList(env, 'ALLOWED_USERGROUPS', problems);
  const allowAll = flag(env, 'ALLOW_RUN_ALL', false, problems);
  const contact = text(env, 'ACCESS_CONTACT', problems);
  if (problems.length > 0) return { ok: false, problems };

  const policy: AccessPolicy = { allowAll };
  if (allowedChannels) policy.allowedChannels = allowedChannels;
  if (allowedUsers) policy.allowedUsers = allowedUsers;
  if (allowedUsergroups) policy.allowedUsergroups = allowedUsergroups;
  if (contact !== undefined) policy.contact = contact;
  return { ok: true, policy };
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

/** Comma- or space-separated IDs; unset means "no restriction", so a set variable must name at least one. */
function idList(env: Env, name: keyof typeof ID_KINDS, problems: string[]): Set<string> | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  const items = value.split(/[\s,]+/).filter((item) => item !== '');
  if (items.length === 0) {
    problems.push(`${name} is malformed: it names no ID; leave it unset to allow everyone`);
    return undefined;
  }
  const { pattern, what } = ID_KINDS[name];
  const ids = new Set<string>();
  items.forEach((item, index) => {
    const id = item.toUpperCase();
    if (pattern.test(id)) ids.add(id);
    else problems.push(`${name} is malformed: item ${index + 1} of ${items.length} is not ${what}`);
  });
  return ids;
}

function flag(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  problems.push(`${name} is malformed: must be true or false`);
  return fallback;
}

/** Shown to people in refusals: one short line of plain text. */
function text(env: Env, name: string, problems: string[]): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  if ([...value].length > MAX_CONTACT_LENGTH || /\p{Cc}/u.test(value)) {
    problems.push(`${name} is malformed: must be one line of at most ${MAX_CONTACT_LENGTH} characters`);
    return undefined;
  }
  return value;
}
