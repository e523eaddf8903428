/**
 * RUN_API_TOKENS and RUN_API_RATE_PER_MINUTE, read like src/config.ts reads the rest: pure, one
 * problem per bad entry, naming the entry (its position, and its name once that is known to be a
 * name) but never echoing a secret, nor anything that might be one.
 */

export interface ApiToken {
  /** Shown in the run message, the audit line and the metrics. */
  name: string;
  secret: string;
}

export interface ApiConfig {
  /** Empty: the API is off and `/api/*` answers 404. */
  tokens: ApiToken[];
  /** Runs each token may start in any 60 s. */
  ratePerMinute: number;
}

export type ApiConfigResult = { ok: true; api: ApiConfig } | { ok: false; problems: string[] };

type Env = Record<string, string | undefined>;

const MIN_SECRET_LENGTH = 32;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DEFAULT_RATE = 60;

export function loadApiConfig(env: Env): ApiConfigResult {
  const problems: string[] = [];
  const tokens = readTokens(env.RUN_API_TOKENS?.trim() ?? '', problems);
  const ratePerMinute = readRate(env.RUN_API_RATE_PER_MINUTE?.trim() ?? '', problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, api: { tokens, ratePerMinute } };
}

function readTokens(value: string, problems: string[]): ApiToken[] {
  if (value === '') return [];
  const entries = value.split(',').map((e) => e.trim());
  const tokens: ApiToken[] = [];
  const names = new Set<string>();
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1} of ${entries.length}`;
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon) : '';
    const secret = colon > 0 ? entry.slice(colon + 1) : '';
    if (!NAME.test(name)) {
      problems.push(`RUN_API_TOKENS is malformed: ${where} is not name:secret (a name of letters, digits and _.- up to 64, a colon, then the secret)`);
      return;
    }
    if (names.has(name)) {
      problems.push(`RUN_API_TOKENS is malformed: ${where} (${name}) repeats a name; each token needs its own`);
      return;
    }
    names.add(name);
    if ([...secret].length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
      problems.push(
        `RUN_API_TOKENS is malformed: ${where} (${name}) has a secret shorter than ${MIN_SECRET_LENGTH} characters or with spaces; make one with: openssl rand -hex 32`,
      );
      return;
    }
    tokens.push({ name, secret });
  });
  return tokens;
}

function readRate(value: string, problems: string[]): number {
  if (value === '') return DEFAULT_RATE;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100_000) {
    problems.push('RUN_API_RATE_PER_MINUTE is malformed: must be a whole number from 1 to 100000');
    return DEFAULT_RATE;
  }
  return n;
}
