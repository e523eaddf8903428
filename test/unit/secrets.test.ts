import { redactSecrets } from '../../src/shared/secrets';

const KEY = 'cu_secret_key_0123456789';
const TOKEN = 'xoxb-secret-"quoted"\\token';

describe('redactSecrets', () => {
  it('replaces every secret in every field, including their JSON-escaped forms', () => {
    const message = {
      text: `failed: Authorization: Bearer ${KEY}`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `\`${KEY}\` and ${TOKEN}` } }],
    };
    expect(redactSecrets(message, [KEY, TOKEN])).toEqual({
      text: 'failed: Authorization: Bearer [REDACTED]',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '`[REDACTED]` and [REDACTED]' } }],
    });
  });

  it('gives back the same object when there is nothing to redact', () => {
    const message = { text: 'all good', blocks: [] };
    expect(redactSecrets(message, [KEY])).toBe(message);
    expect(redactSecrets(undefined, [KEY])).toBeUndefined();
  });

  it('ignores secrets too short to scrub safely', () => {
    expect(redactSecrets({ text: 'abc run' }, ['abc', ''])).toEqual({ text: 'abc run' });
  });
});
