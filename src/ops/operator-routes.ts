/**
 * GET /healthz and GET /metrics, as Bolt custom routes: HTTPReceiver serves them on the port Slack's
 * requests arrive at; SocketModeReceiver starts a small HTTP server for them on `installerOptions.port`.
 */
import type { ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { Metrics } from './metrics';

export interface OperatorRoutesDeps {
  metrics: Pick<Metrics, 'render'>;
  /** Whether the process can do its work (the store answers). A throw or a hang counts as unhealthy. */
  healthy: () => Promise<boolean>;
  /** How long `healthy` may take before the answer is 503 (default 2 s, under most balancers' timeout). */
  healthTimeoutMs?: number;
  /** Told why a health check failed; the response itself says nothing about it. */
  onUnhealthy?: (why: string) => void;
}

const HEALTHZ_PATH = '/healthz';
const METRICS_PATH = '/metrics';

export function operatorRoutes(options: OperatorRoutesDeps): CustomRoute[] {
  const timeoutMs = options.healthTimeoutMs ?? 2000;
  return [
    {
      path: HEALTHZ_PATH,
      // Node sends no body for HEAD, so one handler serves both.
      method: ['GET', 'HEAD'],
      handler: (_req, res) => {
        void health(options, timeoutMs).then((ok) => {
          send(res, ok ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify({ status: ok ? 'ok' : 'unavailable' }));
        });
      },
    },
    {
      path: METRICS_PATH,
      method: ['GET', 'HEAD'],
      handler: (_req, res) => {
        options.metrics.render().then(
          ({ contentType, body }) => send(res, 200, contentType, body),
          () => send(res, 500, 'text/plain; charset=utf-8', 'metrics unavailable\n'),
        );
      },
    },
  ];
}

async function health(options: OperatorRoutesDeps, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([options.healthy(), timeout]);
    if (result === true) return true;
    options.onUnhealthy?.(result === 'timeout' ? `no answer within ${timeoutMs} ms` : 'reported unhealthy');
    return false;
  } catch (err) {
    options.onUnhealthy?.(err instanceof Error ? err.name : 'failed');
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(body);
}
