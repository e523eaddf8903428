import { loadApiConfig } from '../../src/api/config';
import { TokenCheck } from '../../src/api/auth';

const SECRET_A = `${'a'.repeat(31)}A`;
const SECRET_B = '0123456789abcdef0123456789abcdef';

describe('RUN_API_TOKENS', () => {
  it('is off when unset, with 60 runs a minute by default', () => {
    expect(loadApiConfig({})).toEqual({ ok: true, api: { tokens: [], ratePerMinute: 60 } });
  });

  it('reads name:secret entries, a secret keeping any colon after the first', () => {
    const result = loadApiConfig({ RUN_API_TOKENS: ` deploy-web:${SECRET_A} , nightly:${SECRET_B}:x `, RUN_API_RATE_PER_MINUTE: '10' });
    expect(result).toEqual({
      ok: true,
      api: {
        tokens: [
          { name: 'deploy-web', secret: SECRET_A },
          { name: 'nightly', secret: `${SECRET_B}:x` },
        ],
        ratePerMinute: 10,
      },
    });
  });

  it('refuses a short secret, a missing name, a repeated name and a bad rate, naming entries but never their secrets', () => {
    const result = loadApiConfig({
      RUN_API_TOKENS: `web:tiny-s3cret,${SECRET_A},web:${SECRET_B},ci:${SECRET_B}`,
      RUN_API_RATE_PER_MINUTE: '0',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      expect.stringMatching(/^RUN_API_TOKENS is malformed: entry 1 of 4 \(web\) has a secret shorter than 32/),
      expect.stringMatching(/^RUN_API_TOKENS is malformed: entry 2 of 4 is not name:secret/),
      expect.stringMatching(/^RUN_API_TOKENS is malformed: entry 3 of 4 \(web\) repeats a name/),
      'RUN_API_RATE_PER_MINUTE is malformed: must be a whole number from 1 to 100000',
    ]);
    const text = result.problems.join('\n');
    for (const secret of ['tiny-s3cret', SECRET_A, SECRET_B]) expect(text).not.toContain(secret);
  });
});

describe('TokenCheck', () => {
  const check = new TokenCheck([
    { name: 'deploy-web', secret: SECRET_A },
    { name: 'nightly', secret: SECRET_B },
  ]);

  it('names the token whose secret is presented', () => {
    expect(check.identify(SECRET_A)).toBe('deploy-web');
    expect(check.identify(SECRET_B)).toBe('nightly');
  });

  it('knows nothing of a missing secret, a prefix, a longer one, or a name', () => {
    expect(check.identify(undefined)).toBeUndefined();
    expect(check.identify('')).toBeUndefined();
    expect(check.identify(SECRET_A.slice(0, -1))).toBeUndefined();
    expect(check.identify(`${SECRET_A}x`)).toBeUndefined();
    expect(check.identify('deploy-web')).toBeUndefined();
  });
});
