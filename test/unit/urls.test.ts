import { SCRUBBED, scrubUrl, scrubUrls } from '../../src/shared/urls';

describe('scrubUrl: the values of query parameters whose names look secret (issue 20)', () => {
  const secretNames = [
    'key',
    'token',
    'secret',
    'password',
    'auth',
    'signature',
    'sig',
    'session',
    'X-Amz-Signature',
    'X-Amz-Credential',
    'X-Amz-Security-Token',
    'x-amz-date',
    // Case-insensitive, and inside a name.
    'api_key',
    'apiKey',
    'APIKEY',
    'access_token',
    'Access-Token',
    'client_secret',
    'db_password',
    'authorization',
    'oauth_signature',
    'sessionId',
    'PHPSESSIONID',
  ];
  test.each(secretNames)('%s', (name) => {
    const url = `https://api.example.com/orders?page=2&${name}=sk_live_123&q=shoes`;
    expect(scrubUrl(url)).toBe(`https://api.example.com/orders?page=2&${name}=${SCRUBBED}&q=shoes`);
  });

  test('other parameters, the path and the host are left as they are', () => {
    const url = 'https://api.example.com/v1/keys/token/orders?page=2&q=sig%20nal&id=7#top';
    expect(scrubUrl(url)).toBe(url);
  });

  test('user:password is dropped, as before; a parameter name written percent-encoded is still recognised', () => {
    expect(scrubUrl('https://bob:hunter2@api.example.com/x?api%5Fkey=abc')).toBe(`https://api.example.com/x?api%5Fkey=${SCRUBBED}`);
  });

  test('parameters in the fragment (an OAuth answer) and the first parameter too; an empty value stays empty', () => {
    expect(scrubUrl('https://app.example.com/cb?token=a#access_token=b&state=c&key=')).toBe(
      `https://app.example.com/cb?token=${SCRUBBED}#access_token=${SCRUBBED}&state=c&key=`,
    );
  });
});

describe('scrubUrls: every URL in running text', () => {
  test('in an error line, a log line and Slack mrkdwn (& escaped as &amp;, links as <url|text>)', () => {
    expect(scrubUrls('GET https://api.example.com/a?api_key=sk_1&page=2 answered 500.')).toBe(
      `GET https://api.example.com/a?api_key=${SCRUBBED}&page=2 answered 500.`,
    );
    expect(scrubUrls('<https://x.example/a?token=t1&amp;access_token=t2&amp;p=1|open>')).toBe(
      `<https://x.example/a?token=${SCRUBBED}&amp;access_token=${SCRUBBED}&amp;p=1|open>`,
    );
    expect(scrubUrls('two: http://a.example/?sig=1, (https://b.example/?password=2)')).toBe(
      `two: http://a.example/?sig=${SCRUBBED}, (https://b.example/?password=${SCRUBBED})`,
    );
  });

  test('inside JSON (what the Slack edge scrubs): the URL ends at the quote or escape', () => {
    const json = JSON.stringify({ text: 'see https://a.example/?token=abc\nnext', url: 'https://a.example/?key=k' });
    expect(JSON.parse(scrubUrls(json))).toEqual({ text: `see https://a.example/?token=${SCRUBBED}\nnext`, url: `https://a.example/?key=${SCRUBBED}` });
  });

  test('text without a URL, or a URL without a secret, is returned as it was', () => {
    expect(scrubUrls('token=abc is not a URL')).toBe('token=abc is not a URL');
    expect(scrubUrls('https://app.checklyhq.com/accounts/a/check-sessions/b')).toBe('https://app.checklyhq.com/accounts/a/check-sessions/b');
  });
});
