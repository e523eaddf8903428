/**
 * The local Slack workspace of `npm run demo`: one channel page in the browser, backed by the fake
 * Slack of the tests. It talks to the app only as Slack does: signed slash commands and block_actions
 * to /slack/events; the app answers through the fake's Web API and response_url, which this page
 * shows live over server-sent events.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { blockActionsPayload, findButton } from '../test/e2e/harness';
import { blockActionsBody, postSigned, slashCommandBody, SLASH_COMMAND_DEFAULTS } from '../test/fakes/sign';
import type { FakeSlack } from '../test/fakes/slack';

export interface WorkspaceOptions {
  slack: FakeSlack;
  /** The app's request URL (HTTP mode). */
  eventsUrl: string;
  signingSecret: string;
  command: string;
  port: number;
  host?: string;
}

export interface Workspace {
  url: string;
  close(): Promise<void>;
}

const CHANNEL = SLASH_COMMAND_DEFAULTS.channel_id;
const USER = SLASH_COMMAND_DEFAULTS.user_id;

/** What the page shows: the channel's messages, what only the user sees, and an open modal. */
interface Snapshot {
  channel: { id: string; name: string };
  user: { id: string; name: string };
  command: string;
  items: Array<
    | { kind: 'message'; ts: string; threadTs?: string; text?: string; blocks?: unknown[]; edits: number; at: number }
    | { kind: 'ephemeral'; id: string; text?: string; blocks?: unknown[]; at: number }
    | { kind: 'typed'; id: string; text: string; at: number }
  >;
  modal?: { id: string; view: unknown };
}

export async function startWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  const { slack } = options;
  const page = readFileSync(path.join(__dirname, 'page.html'), 'utf8');
  const typed: Array<{ id: string; text: string; at: number }> = [];
  const acks: Array<{ id: string; text?: string; blocks?: unknown[]; at: number }> = [];
  const closedModals = new Set<string>();
  const clients = new Set<http.ServerResponse>();
  let counter = 0;

  const snapshot = (): Snapshot => {
    const items: Snapshot['items'] = [];
    for (const m of slack.messages.values()) {
      if (m.channel !== CHANNEL) continue;
      const threadTs = m.thread_ts !== undefined && m.thread_ts !== m.ts ? m.thread_ts : undefined;
      items.push({ kind: 'message', ts: m.ts, ...(threadTs ? { threadTs } : {}), text: m.text, blocks: m.blocks, edits: m.versions.length - 1, at: m.versions[0]?.at ?? 0 });
    }
    slack.ephemerals.forEach((e, i) => {
      if (e.channel === CHANNEL && e.user === USER) items.push({ kind: 'ephemeral', id: `e${i}`, text: e.text, blocks: e.blocks, at: e.at });
    });
    slack.responsePosts.forEach((p, i) => {
      const body = (typeof p.body === 'object' && p.body !== null ? p.body : { text: String(p.body) }) as { text?: string; blocks?: unknown[] };
      items.push({ kind: 'ephemeral', id: `r${i}`, text: body.text, blocks: body.blocks, at: p.at });
    });
    for (const a of acks) items.push({ kind: 'ephemeral', ...a });
    for (const t of typed) items.push({ kind: 'typed', ...t });
    items.sort((a, b) => a.at - b.at);
    const opened = slack.callsTo('views.open').filter((c) => c.status === 200 && !c.error);
    const last = opened[opened.length - 1];
    const id = last ? `m${opened.length}` : undefined;
    const modal = last && id && !closedModals.has(id) ? { id, view: last.args.view } : undefined;
    return {
      channel: { id: CHANNEL, name: SLASH_COMMAND_DEFAULTS.channel_name },
      user: { id: USER, name: SLASH_COMMAND_DEFAULTS.user_name },
      command: options.command,
      items,
      ...(modal ? { modal } : {}),
    };
  };

  // The fake records every Web API call as it answers it; a change of counts is a change to show.
  let lastKey = '';
  let lastJson = '';
  const push = (force = false): void => {
    const key = `${slack.calls.length}:${slack.responsePosts.length}:${typed.length}:${acks.length}:${closedModals.size}`;
    if (!force && key === lastKey) return;
    lastKey = key;
    const json = JSON.stringify(snapshot());
    if (json === lastJson && !force) return;
    lastJson = json;
    for (const res of clients) res.write(`data: ${json}\n\n`);
  };
  const ticker = setInterval(() => push(), 100);

  const command = async (text: string): Promise<{ status: number }> => {
    const id = `c${++counter}`;
    typed.push({ id: `t${counter}`, text: `${options.command} ${text}`.trim(), at: Date.now() });
    const body = slashCommandBody({
      text,
      command: options.command,
      response_url: slack.responseUrl(`cmd-${id}`),
      trigger_id: `${Date.now()}.${counter}.demo`,
    });
    const res = await postSigned(options.eventsUrl, body, options.signingSecret);
    // An ack with a body is Slack's ephemeral answer to the command.
    if (res.body.trim() !== '') {
      const parsed = parseJson(res.body);
      const answer = typeof parsed === 'object' && parsed !== null ? (parsed as { text?: string; blocks?: unknown[] }) : { text: res.body };
      acks.push({ id, text: answer.text, blocks: answer.blocks, at: Date.now() });
    }
    return { status: res.status };
  };

  const click = async (ts: string, actionId: string): Promise<{ status: number }> => {
    const message = slack.messages.get(`${CHANNEL}:${ts}`);
    if (!message) return { status: 404 };
    const found = findButton(message.blocks ?? [], actionId);
    if (!found) return { status: 404 };
    const payload = blockActionsPayload(message, found.button, found.blockId, USER, slack.responseUrl(`click-${++counter}`));
    payload.trigger_id = `${Date.now()}.${counter}.demo`;
    const res = await postSigned(options.eventsUrl, blockActionsBody(payload), options.signingSecret);
    return { status: res.status };
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(page);
    } else if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      clients.add(res);
      res.write(`data: ${JSON.stringify(snapshot())}\n\n`);
      req.on('close', () => clients.delete(res));
    } else if (req.method === 'POST' && ['/command', '/click', '/close-modal'].includes(url.pathname)) {
      readJson(req).then(
        async (body) => {
          let answer: { status: number };
          if (url.pathname === '/command') answer = await command(String(body.text ?? ''));
          else if (url.pathname === '/click') answer = await click(String(body.ts ?? ''), String(body.actionId ?? ''));
          else {
            closedModals.add(String(body.id ?? ''));
            answer = { status: 200 };
          }
          push(true);
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(answer));
        },
        (err: unknown) => {
          res.writeHead(400, { 'Content-Type': 'text/plain' });
          res.end(String(err));
        },
      );
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    async close() {
      clearInterval(ticker);
      for (const res of clients) res.end();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
      if (raw.length > 100_000) req.destroy(new Error('too large'));
    });
    req.on('end', () => {
      const parsed = parseJson(raw);
      if (typeof parsed === 'object' && parsed !== null) resolve(parsed as Record<string, unknown>);
      else reject(new Error('expected a JSON object'));
    });
    req.on('error', reject);
  });
}
