import { Secrets } from '../../src/shared/secrets';

const KEY = 'cu_secret_key_0123456789';
const TOKEN = 'xoxb-secret-"quoted"\\token';

describe('Secrets.scrub', () => {
  it('replaces every secret in every field, including their JSON-escaped forms', () => {
    const message = {
      text: `failed: Authorization: Bearer ${KEY}`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `\`${KEY}\` and ${TOKEN}` } }],
    };
    expect(new Secrets([KEY, TOKEN]).scrub(message)).toEqual({
      text: 'failed: Authorization: Bearer [REDACTED]',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '`[REDACTED]` and [REDACTED]' } }],
    });
  });

  it('gives back the same object when there is nothing to redact', () => {
    const message = { text: 'all good', blocks: [] };
    expect(new Secrets([KEY]).scrub(message)).toBe(message);
    expect(new Secrets([KEY]).scrub(undefined)).toBeUndefined();
  });

  it('ignores secrets too short to scrub safely', () => {
    expect(new Secrets(['abc', '']).scrub({ text: 'abc run' })).toEqual({ text: 'abc run' });
  });
});
