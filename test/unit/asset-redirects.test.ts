/**
 * The screenshot download's redirect (issue 20): at most one hop, `https:` only, never to a private,
 * loopback or link-local address (IPv4, IPv6 and IPv4-mapped IPv6, literal or resolved), and no API
 * key after the first hop. A server on loopback plays the Checkly API answering the asset URL with a
 * redirect to wherever a test says.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BadRequestError } from '../../src/checkly/errors';
import { allowingOrigin, publicHttpsOnly } from '../../src/checkly/redirects';
import { Transport } from '../../src/checkly/transport';

const API_KEY = 'cu_test_key_0000000000000000000001';
let server: http.Server;
let origin: string;
/** Where the asset URL redirects to, per test. */
let location: string;
const seen: Array<{ path: string; authorization?: string; account?: string }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization, account: req.headers['x-checkly-account'] as string | undefined });
    if (req.url === '/asset') return void res.writeHead(302, { Location: location }).end();
    if (req.url === '/storage/hop') return void res.writeHead(302, { Location: '/storage/png' }).end();
    if (req.url === '/storage/png') return void res.writeHead(200, { 'Content-Type': 'image/png' }).end(Buffer.from('\x89PNG', 'latin1'));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  seen.length = 0;
});

function transport(assetRedirects = publicHttpsOnly): Transport {
  return new Transport({ baseUrl: origin, apiKey: API_KEY, accountId: 'acct-1', userAgent: 'test', assetRedirects });
}

async function download(t: Transport) {
  try {
    return await t.download(`${origin}/asset`, { maxBytes: 1000, timeoutMs: 2000, path: '/asset' });
  } finally {
    t.close();
  }
}

describe('the redirect of an asset download is refused', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['http:', 'http://storage.example.com/shot.png?X-Amz-Signature=s', /not https/],
    ['another scheme', 'file:///etc/passwd', /not https/],
    ['IPv4 loopback', 'https://127.0.0.1/shot.png', /loopback/],
    ['IPv4 loopback, elsewhere in 127/8', 'https://127.1.2.3/shot.png', /loopback/],
    ['IPv6 loopback', 'https://[::1]/shot.png', /loopback/],
    ['IPv4 private 10/8', 'https://10.0.0.5/shot.png', /private/],
    ['IPv4 private 172.16/12', 'https://172.16.3.4/shot.png', /private/],
    ['IPv4 private 192.168/16', 'https://192.168.1.1/shot.png', /private/],
    ['IPv4 link-local (cloud metadata)', 'https://169.254.169.254/latest/meta-data/', /linkLocal/],
    ['IPv6 link-local', 'https://[fe80::1]/shot.png', /linkLocal/],
    ['IPv6 unique local', 'https://[fd12:3456::1]/shot.png', /uniqueLocal/],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/shot.png', /loopback/],
    ['IPv4-mapped IPv6 link-local', 'https://[::ffff:169.254.169.254]/shot.png', /linkLocal/],
    ['IPv4-mapped IPv6 private', 'https://[::ffff:10.0.0.1]/shot.png', /private/],
    ['the unspecified address', 'https://0.0.0.0/shot.png', /unspecified/],
    ['a name that resolves to loopback', 'https://localhost/shot.png', /loopback/],
  ];
  test.each(refused)('%s', async (_what, target, reason) => {
    location = target;
    const err = (await download(transport()).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toMatch(/redirect was refused/);
    expect(err.message).toMatch(reason);
    // Only the API was asked; the target never was, and its URL is not in the error.
    expect(seen.map((r) => r.path)).toEqual(['/asset']);
    expect(err.message).not.toContain(target);
  });

  test('a second hop, even to an allowed place', async () => {
    location = `${origin}/storage/hop`;
    const err = (await download(transport(allowingOrigin(origin))).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain('redirected more than once');
    expect(seen.map((r) => r.path)).toEqual(['/asset', '/storage/hop']);
  });
});

describe('an allowed redirect', () => {
  test('is followed once, with no API key and no account header after the first hop', async () => {
    location = `${origin}/storage/png`;
    const got = await download(transport(allowingOrigin(origin)));
    expect(got.status).toBe(200);
    expect(got.bytes?.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(seen).toEqual([
      { path: '/asset', authorization: `Bearer ${API_KEY}`, account: 'acct-1' },
      { path: '/storage/png', authorization: undefined, account: undefined },
    ]);
  });

  test("allowing the tests' fake origin opens nothing else: production's policy still judges every other target", () => {
    const policy = allowingOrigin(origin);
    expect(policy(new URL(`${origin}/x`), '127.0.0.1')).toBeUndefined();
    expect(policy(new URL('http://127.0.0.1:1/x'), '127.0.0.1')).toMatch(/not https/);
    expect(policy(new URL('https://storage.example.com/x'), '10.0.0.1')).toMatch(/private/);
    expect(policy(new URL('https://storage.example.com/x'), '52.95.110.1')).toBeUndefined();
    expect(policy(new URL('https://storage.example.com/x'), '2600:1f18::1')).toBeUndefined();
  });
});
