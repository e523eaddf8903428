import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi } from '@slack/bolt';
import { slackHttpFetch, type SlackHttp } from '../../src/slack/http-fetch';

interface Seen {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  port?: number;
}

describe('slackHttpFetch', () => {
  let server: http.Server;
  let base: string;
  let seen: Seen[];
  let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  let client: SlackHttp;

  beforeEach(async () => {
    seen = [];
    answer = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Set-Cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify({ ok: true, ts: '1.000001' }));
    };
    server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body, port: req.socket.remotePort });
        answer(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = slackHttpFetch(async () => new Response('from the fallback', { status: 299 }));
  });

  afterEach(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('sends the method, headers and text body, and answers a Response with status, headers and body', async () => {
    const res = await client.fetch(`${base}/api/chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Bearer xoxb-1' },
      body: 'channel=C1&text=hi',
    });
    expect(seen).toMatchObject([{ method: 'POST', url: '/api/chat.postMessage', body: 'channel=C1&text=hi' }]);
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({ ok: true, ts: '1.000001' });
  });

  test('keeps the connection for the next call', async () => {
    await client.fetch(`${base}/api/a`, { method: 'POST', body: 'x=1' });
    await client.fetch(`${base}/api/b`, { method: 'POST', body: 'x=2' });
    expect(seen).toHaveLength(2);
    expect(seen[1]!.port).toBe(seen[0]!.port);
  });

  test('a 429 comes back as it is, Retry-After included; a 204 without a body', async () => {
    answer = (_req, res) => {
      res.writeHead(429, { 'Retry-After': '7' });
      res.end();
    };
    const limited = await client.fetch(`${base}/api/chat.update`, { method: 'POST', body: 'x=1' });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    answer = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    const empty = await client.fetch(`${base}/api/x`, { method: 'POST', body: '' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  test('a multipart form (an upload) goes to the fallback', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array([1, 2, 3])]), 'shot.png');
    const res = await client.fetch(`${base}/upload`, { method: 'POST', body: form });
    expect(res.status).toBe(299);
    expect(seen).toHaveLength(0);
  });

  test('an aborted call rejects; no answer, no connection: rejects too', async () => {
    answer = () => undefined; // never answers
    const controller = new AbortController();
    const call = client.fetch(`${base}/api/slow`, { method: 'POST', body: 'x=1', signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(call).rejects.toThrow(/abort/i);
    await expect(client.fetch('http://127.0.0.1:1/api/x', { method: 'POST', body: 'x=1' })).rejects.toThrow(/ECONNREFUSED/);
  });

  test("carries the Web API client's calls: a result, and a platform error as the client's error", async () => {
    const web = new webApi.WebClient('xoxb-test', { slackApiUrl: `${base}/api/`, fetch: client.fetch, retryConfig: { retries: 0 } });
    const result = await web.chat.postMessage({ channel: 'C1', text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] });
    expect(result).toMatchObject({ ok: true, ts: '1.000001' });
    expect(new URLSearchParams(seen[0]!.body).get('blocks')).toBe('[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]');
    expect(seen[0]!.headers.authorization).toBe('Bearer xoxb-test');
    answer = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'not_in_channel' }));
    };
    await expect(web.chat.postMessage({ channel: 'C2', text: 'x' })).rejects.toMatchObject({ code: webApi.ErrorCode.PlatformError, data: { error: 'not_in_channel' } });
  });
});
