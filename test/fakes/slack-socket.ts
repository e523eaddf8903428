import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * Slack's side of Socket Mode, as @slack/socket-mode 2.x/3.x expects it: the client connects to the URL
 * that `apps.connections.open` returned, waits for `{"type":"hello"}` before it counts as connected, and
 * acks each envelope by sending `{envelope_id, payload}` back on the same socket.
 */
export type SocketEventType = 'slash_commands' | 'interactive' | 'events_api';

export interface SocketLink {
  /** Sends an envelope to one open connection; resolves with the ack's `payload`. */
  sendEvent(type: SocketEventType, payload: object, timeoutMs: number): Promise<unknown>;
  /** Open connections, that is, clients that got `hello`. */
  connections(): number;
  waitForConnection(timeoutMs: number): Promise<void>;
  /** Cuts every open connection without a close handshake, as a network failure does. */
  dropConnections(): void;
  close(): void;
}

interface Pending {
  resolve(payload: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export function attachSocketLink(server: Server, path: string, appId: string): SocketLink {
  const wss = new WebSocketServer({ noServer: true });
  const pending = new Map<string, Pending>();
  const waiters = new Set<() => void>();

  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://fake').pathname !== path) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws));
  });

  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const ack = parseAck(String(data));
      const waiting = ack && pending.get(ack.envelope_id);
      if (!ack || !waiting) return;
      pending.delete(ack.envelope_id);
      clearTimeout(waiting.timer);
      waiting.resolve(ack.payload);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: openSockets().length,
        debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: appId },
      }),
    );
    for (const wake of waiters) wake();
    waiters.clear();
  });

  const openSockets = (): WebSocket[] => [...wss.clients].filter((ws) => ws.readyState === WebSocket.OPEN);

  return {
    sendEvent(type, payload, timeoutMs) {
      const ws = openSockets()[0];
      if (ws === undefined) return Promise.reject(new Error('fake Slack: no Socket Mode connection is open'));
      const envelopeId = randomUUID();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(envelopeId);
          reject(new Error(`fake Slack: envelope ${envelopeId} (${type}) was not acked within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(envelopeId, { resolve, reject, timer });
        ws.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: true }));
      });
    },
    connections: () => openSockets().length,
    waitForConnection(timeoutMs) {
      if (openSockets().length > 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`fake Slack: no Socket Mode connection within ${timeoutMs} ms`));
        }, timeoutMs);
        const wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
        waiters.add(wake);
      });
    },
    dropConnections() {
      for (const ws of wss.clients) ws.terminate();
    },
    close() {
      for (const [, waiting] of pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error('fake Slack closed'));
      }
      pending.clear();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

function parseAck(text: string): { envelope_id: string; payload?: unknown } | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'envelope_id' in parsed && typeof parsed.envelope_id === 'string') {
      return { envelope_id: parsed.envelope_id, payload: 'payload' in parsed ? parsed.payload : undefined };
    }
  } catch {
    // not an ack: ignore, as Slack would
  }
  return undefined;
}
