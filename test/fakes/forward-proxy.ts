/**
 * A real forward proxy in its own process, for the tests that prove the app's outbound calls honour
 * HTTP_PROXY / HTTPS_PROXY / NO_PROXY: it forwards plain-HTTP requests asked with an absolute URL
 * and tunnels CONNECT, and reports each one as a JSON line the test reads. `startForwardProxy`
 * starts it (on a free port the system picks) and collects what it carried.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  /** `forward`: an absolute-URI request; `connect`: a tunnel. */
  kind: 'forward' | 'connect';
  method: string;
  /** `http://host:port/path?query` for a forward, `host:port` for a tunnel. */
  target: string;
  /** `host:port` either way. */
  host: string;
}

export interface ForwardProxy {
  url: string;
  /** What went through it so far, in order. */
  carried: ProxiedRequest[];
  close(): Promise<void>;
}

/** The proxy server itself; `report` is told of every request before it is forwarded. */
export function forwardProxyServer(report: (request: ProxiedRequest) => void): http.Server {
  const server = http.createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI required');
      return;
    }
    report({ kind: 'forward', method: req.method ?? 'GET', target: target.href, host: target.host });
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = http.request(
      { host: target.hostname.replace(/^\[|\]$/g, ''), port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const host = req.url ?? '';
    report({ kind: 'connect', method: 'CONNECT', target: host, host });
    const [hostname, port] = [host.slice(0, host.lastIndexOf(':')), Number(host.slice(host.lastIndexOf(':') + 1))];
    const upstream = net.connect(port, hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const cut = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', cut);
    client.on('error', cut);
    upstream.on('close', cut);
    client.on('close', cut);
  });
  return server;
}

/** Starts the proxy in a child process and resolves once it listens. */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const child: ChildProcess = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), __filename], {
    env: { PATH: process.env.PATH ?? '', FORWARD_PROXY_CHILD: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const carried: ProxiedRequest[] = [];
  let buffer = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, nl)) as { listening?: number } | ProxiedRequest;
        buffer = buffer.slice(nl + 1);
        if ('listening' in line && typeof line.listening === 'number') resolve(line.listening);
        else carried.push(line as ProxiedRequest);
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    carried,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

if (require.main === module && process.env.FORWARD_PROXY_CHILD === '1') {
  const server = forwardProxyServer((request) => process.stdout.write(`${JSON.stringify(request)}\n`));
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ listening: (server.address() as AddressInfo).port })}\n`));
  process.once('SIGTERM', () => process.exit(0));
}
