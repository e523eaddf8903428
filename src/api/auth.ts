/**
 * Which RUN_API_TOKENS entry a request presents. Secrets are compared as SHA-256 digests with
 * timingSafeEqual, against every token whatever matched before, so that neither the length of a
 * secret nor how much of it a guess got right shows in the time an answer takes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiToken } from './config';

export class TokenCheck {
  private readonly tokens: Array<{ name: string; digest: Buffer }>;

  constructor(tokens: readonly ApiToken[]) {
    this.tokens = tokens.map((t) => ({ name: t.name, digest: digest(t.secret) }));
  }

  /** The name of the token whose secret this is, or undefined. */
  identify(secret: string | undefined): string | undefined {
    const presented = digest(secret ?? '');
    let found: string | undefined;
    for (const token of this.tokens) {
      if (timingSafeEqual(presented, token.digest) && found === undefined) found = token.name;
    }
    return secret === undefined ? undefined : found;
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
