/**
 * Checkly's calls behind a proxy: axios follows HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the
 * environment, and so must the screenshot download, its redirect to storage included (that hop is
 * pinned to the addresses checked only when it goes direct: behind a proxy, the proxy connects).
 * Storage listens on [::1] and the proxy on localhost (127.0.0.1): a connection to the proxy pinned
 * to storage's address would find nothing there.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowingOrigin } from '../../src/checkly/redirects';
import { Transport } from '../../src/checkly/transport';
import { forwardProxyServer, type ProxiedRequest } from '../fakes/forward-proxy';

let checkly: http.Server;
let origin: string;
let storage: http.Server;
let storageOrigin: string;
let proxy: http.Server;
let proxyUrl: string;
const carried: ProxiedRequest[] = [];
const saved = { ...process.env };

async function listen(server: http.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  checkly = http.createServer((req, res) => {
    if (req.url === '/asset') return void res.writeHead(302, { Location: `${storageOrigin}/storage/png` }).end();
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
  origin = `http://127.0.0.1:${await listen(checkly)}`;
  storage = http.createServer((_req, res) => void res.writeHead(200, { 'Content-Type': 'image/png' }).end(Buffer.from('\x89PNG', 'latin1')));
  storageOrigin = `http://[::1]:${await listen(storage, '::1')}`;
  proxy = forwardProxyServer((r) => carried.push(r));
  proxyUrl = `http://localhost:${await listen(proxy)}`;
});

afterAll(async () => {
  await Promise.all([checkly, storage, proxy].map((s) => new Promise((resolve) => s.close(resolve))));
});

beforeEach(() => {
  carried.length = 0;
  for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']) delete process.env[name];
});

afterEach(() => {
  process.env = { ...saved };
});

async function callAndDownload(): Promise<void> {
  const t = new Transport({ baseUrl: origin, apiKey: 'cu_key', accountId: 'acct-1', userAgent: 'test', assetRedirects: allowingOrigin(storageOrigin) });
  try {
    expect((await t.send({ operation: 'checks', method: 'GET', path: '/v1/checks', timeoutMs: 2000 })).status).toBe(200);
    const got = await t.download(`${origin}/asset`, { maxBytes: 1000, timeoutMs: 2000, path: '/asset' });
    expect(got.bytes?.subarray(1, 4).toString('latin1')).toBe('PNG');
  } finally {
    t.close();
  }
}

test('with HTTP_PROXY, every request goes through it: the API call, the asset, and the redirect to storage', async () => {
  process.env.HTTP_PROXY = proxyUrl;
  await callAndDownload();
  expect(carried.map((r) => [r.kind, new URL(r.target).pathname])).toEqual([
    ['forward', '/v1/checks'],
    ['forward', '/asset'],
    ['forward', '/storage/png'],
  ]);
});

test('with NO_PROXY naming the host, none does', async () => {
  process.env.HTTP_PROXY = proxyUrl;
  process.env.NO_PROXY = '127.0.0.1,[::1]';
  await callAndDownload();
  expect(carried).toEqual([]);
});
