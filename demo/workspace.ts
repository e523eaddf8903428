/**
 * The local Slack workspace of `npm run demo`: its channels, the app's Home tab and a workflow with
 * the app's step, in the browser, backed by the fake Slack of the tests. It talks to the app only as
 * Slack does: signed slash commands, block_actions and events (`app_home_opened`,
 * `function_executed`) to /slack/events; the app answers through the fake's Web API and
 * response_url, which this page shows live over server-sent events.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { blockActionsPayload, findButton } from '../test/e2e/harness';
import { blockActionsBody, postEvent, postSigned, slashCommandBody, SLASH_COMMAND_DEFAULTS } from '../test/fakes/sign';
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

/** Who and what the workspace knows by ID: Slack shows `<@U…>` and `<#C…>` by these names. */
const USERS: Record<string, string> = { [USER]: SLASH_COMMAND_DEFAULTS.user_name, U0BOB: 'bob', U0CAROL: 'carol' };
const CHANNELS: Record<string, string> = { [CHANNEL]: SLASH_COMMAND_DEFAULTS.channel_name, C0ANNOUNCE: 'announcements', C0RANDOM: 'random' };

/**
 * What the page shows: each channel's messages, what only the user sees, an open modal, the user's
 * Home tab as the app last published it, and the workflow's runs (the step's inputs and how it ended).
 */
interface Snapshot {
  channel: { id: string; name: string };
  user: { id: string; name: string };
  users: Record<string, string>;
  channels: Record<string, string>;
  command: string;
  items: Array<
    | { kind: 'message'; channel: string; ts: string; threadTs?: string; text?: string; blocks?: unknown[]; edits: number; at: number }
    | { kind: 'ephemeral'; channel: string; id: string; text?: string; blocks?: unknown[]; at: number }
    | { kind: 'typed'; channel: string; id: string; text: string; at: number }
    | { kind: 'file'; channel: string; id: string; threadTs?: string; title: string; image?: string; at: number }
  >;
  modal?: { id: string; view: unknown; values: unknown };
  home?: { id: string; view: unknown; values: unknown };
  workflows: Array<{ id: string; inputs: Record<string, unknown>; at: number; completed?: unknown }>;
}

/** The workflow the demo has: its trigger is the page's form, its one step the app's. */
const STEP = 'run_checkly_checks';

export async function startWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  const { slack } = options;
  const page = readFileSync(path.join(__dirname, 'page.html'), 'utf8');
  const typed: Array<{ channel: string; id: string; text: string; at: number }> = [];
  const acks: Array<{ channel: string; id: string; text?: string; blocks?: unknown[]; at: number }> = [];
  /** Where each response_url was handed out: its posts show in that channel. */
  const responseChannels = new Map<string, string>();
  const responseUrl = (id: string, channel: string): string => {
    responseChannels.set(id, channel);
    return slack.responseUrl(id);
  };
  const closedModals = new Set<string>();
  const clients = new Set<http.ServerResponse>();
  let counter = 0;

  const snapshot = (): Snapshot => {
    const items: Snapshot['items'] = [];
    for (const m of slack.messages.values()) {
      if (!(m.channel in CHANNELS)) continue;
      const threadTs = m.thread_ts !== undefined && m.thread_ts !== m.ts ? m.thread_ts : undefined;
      items.push({
        kind: 'message',
        channel: m.channel,
        ts: m.ts,
        ...(threadTs ? { threadTs } : {}),
        text: m.text,
        blocks: m.blocks,
        edits: m.versions.length - 1,
        at: m.versions[0]?.at ?? 0,
      });
    }
    slack.ephemerals.forEach((e, i) => {
      if (e.channel in CHANNELS && e.user === USER)
        items.push({ kind: 'ephemeral', channel: e.channel, id: `e${i}`, text: e.text, blocks: e.blocks, at: e.at });
    });
    // A response_url's `delete_original` takes away what it answered: a command's "Triggering checks…".
    const deleted = new Set(slack.responsePosts.filter((p) => (p.body as { delete_original?: unknown } | null)?.delete_original === true).map((p) => p.id));
    slack.responsePosts.forEach((p, i) => {
      if (deleted.has(p.id)) return;
      const body = (typeof p.body === 'object' && p.body !== null ? p.body : { text: String(p.body) }) as { text?: string; blocks?: unknown[] };
      items.push({ kind: 'ephemeral', channel: responseChannels.get(p.id) ?? CHANNEL, id: `r${i}`, text: body.text, blocks: body.blocks, at: p.at });
    });
    for (const a of acks) if (!deleted.has(`cmd-${a.id}`)) items.push({ kind: 'ephemeral', ...a });
    // Files the app shared (screenshots of failed browser checks), shown as Slack shows an image.
    for (const u of slack.uploads.values()) {
      if (u.completedAt === undefined || u.channel === undefined || !(u.channel in CHANNELS)) continue;
      const image =
        u.bytes && u.bytes.length < 2_000_000 && /\.(png|jpe?g)$/i.test(u.filename)
          ? `data:image/${/png$/i.test(u.filename) ? 'png' : 'jpeg'};base64,${u.bytes.toString('base64')}`
          : undefined;
      items.push({
        kind: 'file',
        channel: u.channel,
        id: u.fileId,
        ...(u.threadTs ? { threadTs: u.threadTs } : {}),
        title: u.title ?? u.filename,
        ...(image ? { image } : {}),
        at: u.completedAt,
      });
    }
    for (const t of typed) items.push({ kind: 'typed', ...t });
    items.sort((a, b) => a.at - b.at);
    // The fake Slack keeps every modal the app opened, as the app last updated it.
    const last = slack.views.last();
    const modal = last && last.view.type === 'modal' && !closedModals.has(last.id) ? { id: last.id, view: last.view, values: last.values } : undefined;
    const home = slack.views.home(USER);
    const workflows = [...slack.functions.executions.values()].map((e) => ({
      id: e.id,
      inputs: e.inputs,
      at: e.issuedAt,
      ...(e.completed ? { completed: e.completed } : {}),
    }));
    return {
      channel: { id: CHANNEL, name: SLASH_COMMAND_DEFAULTS.channel_name },
      user: { id: USER, name: SLASH_COMMAND_DEFAULTS.user_name },
      users: USERS,
      channels: CHANNELS,
      command: options.command,
      items,
      ...(modal ? { modal } : {}),
      ...(home ? { home: { id: home.id, view: home.view, values: home.values } } : {}),
      workflows,
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

  const command = async (text: string, channel: string): Promise<{ status: number }> => {
    const id = `c${++counter}`;
    typed.push({ channel, id: `t${counter}`, text: `${options.command} ${text}`.trim(), at: Date.now() });
    const body = slashCommandBody({
      text,
      command: options.command,
      channel_id: channel,
      channel_name: CHANNELS[channel] ?? channel,
      response_url: responseUrl(`cmd-${id}`, channel),
      // As Slack does: a trigger_id in every command, so the app can open a modal within 3 s.
      trigger_id: slack.views.issueTriggerId(USER),
    });
    const res = await postSigned(options.eventsUrl, body, options.signingSecret);
    // An ack with a body is Slack's ephemeral answer to the command.
    if (res.body.trim() !== '') {
      const parsed = parseJson(res.body);
      const answer = typeof parsed === 'object' && parsed !== null ? (parsed as { text?: string; blocks?: unknown[] }) : { text: res.body };
      acks.push({ channel, id, text: answer.text, blocks: answer.blocks, at: Date.now() });
    }
    return { status: res.status };
  };

  /** A click on a button of a message only the user sees (a listing's Run buttons): Slack marks it ephemeral. */
  const clickEphemeral = async (id: string, actionId: string): Promise<{ status: number }> => {
    const item = snapshot().items.find((i) => i.kind === 'ephemeral' && i.id === id);
    const blocks = item && item.kind === 'ephemeral' ? (item.blocks ?? []) : [];
    const channel = item?.channel ?? CHANNEL;
    const found = findButton(blocks, actionId);
    if (!found) return { status: 404 };
    const message = { channel, ts: '1700000000.000001', blocks, versions: [] };
    const payload = blockActionsPayload(
      message,
      found.button,
      found.blockId,
      USER,
      responseUrl(`click-${++counter}`, channel),
      slack.views.issueTriggerId(USER),
    );
    const res = await postSigned(
      options.eventsUrl,
      blockActionsBody({ ...payload, container: { ...payload.container, is_ephemeral: true } }),
      options.signingSecret,
    );
    return { status: res.status };
  };

  const click = async (channel: string, ts: string, actionId: string, selected?: { text: string; value: string }): Promise<{ status: number }> => {
    const message = slack.messages.get(`${channel}:${ts}`);
    if (!message) return { status: 404 };
    const url = responseUrl(`click-${++counter}`, channel);
    const triggerId = slack.views.issueTriggerId(USER);
    let payload: object;
    if (selected) {
      // A choice in a message's menu (the run's "Details…", its "…"): the same payload, with the selected option.
      const menu = menuOf(message.blocks ?? [], actionId);
      if (menu === undefined) return { status: 404 };
      const base = blockActionsPayload(
        message,
        { type: 'button', action_id: actionId, text: { type: 'plain_text', text: '' } },
        menu.blockId,
        USER,
        url,
        triggerId,
      );
      payload = {
        ...base,
        actions: [
          {
            type: menu.type,
            action_id: actionId,
            block_id: menu.blockId,
            selected_option: { text: { type: 'plain_text', text: selected.text }, value: selected.value },
            action_ts: `${Date.now() / 1000}`,
          },
        ],
      };
    } else {
      const found = findButton(message.blocks ?? [], actionId);
      if (!found) return { status: 404 };
      payload = blockActionsPayload(message, found.button, found.blockId, USER, url, triggerId);
    }
    const res = await postSigned(options.eventsUrl, blockActionsBody(payload), options.signingSecret);
    return { status: res.status };
  };

  /** What the person does in a modal, as the payloads the fake Slack builds for it. */
  const inModal = async (action: string, body: Record<string, unknown>): Promise<{ status: number; answer?: unknown }> => {
    const viewId = String(body.viewId ?? '');
    if (!slack.views.views.has(viewId)) return { status: 404 };
    let payload: object;
    if (action === 'suggest') payload = slack.views.blockSuggestion(viewId, String(body.actionId ?? ''), String(body.value ?? ''));
    else if (action === 'select') payload = slack.views.select(viewId, String(body.blockId ?? ''), selectedOptions(body.options));
    else if (action === 'click') payload = slack.views.click(viewId, String(body.actionId ?? ''));
    else payload = slack.views.submission(viewId);
    const res = await postSigned(options.eventsUrl, blockActionsBody(payload), options.signingSecret);
    const answer = res.body.trim() === '' ? undefined : parseJson(res.body);
    // A submission acknowledged without errors closes the modal, as in Slack.
    const responseAction = typeof answer === 'object' && answer !== null ? (answer as { response_action?: unknown }).response_action : undefined;
    if (action === 'submit' && res.status === 200 && (answer === undefined || responseAction === 'clear')) closedModals.add(viewId);
    return { status: res.status, ...(answer === undefined ? {} : { answer }) };
  };

  /** The Home tab, as Slack drives it: opened (app_home_opened), typed into, clicked. */
  const inHome = async (action: string, body: Record<string, unknown>): Promise<{ status: number }> => {
    if (action === 'open') return postEvent(options.eventsUrl, slack.views.homeOpened(USER), options.signingSecret);
    const home = slack.views.home(USER);
    if (!home) return { status: 404 };
    if (action === 'enter') {
      const blockId = String(body.blockId ?? '');
      if (typeof body.conversation === 'string')
        slack.views.enter(home.id, blockId, { type: 'conversations_select', selected_conversation: body.conversation });
      else slack.views.enter(home.id, blockId, { type: 'plain_text_input', value: String(body.value ?? '') });
      return { status: 200 };
    }
    return postSigned(options.eventsUrl, blockActionsBody(slack.views.click(home.id, String(body.actionId ?? ''))), options.signingSecret);
  };

  /** The workflow's trigger: its form's values become the step's inputs, and Slack runs the step. */
  const runWorkflow = async (body: Record<string, unknown>): Promise<{ status: number }> => {
    const inputs: Record<string, unknown> = { target: String(body.target ?? ''), channel: String(body.channel ?? CHANNEL), user: USER };
    if (typeof body.title === 'string' && body.title.trim() !== '') inputs.title = body.title;
    const { envelope } = slack.functions.execute(STEP, inputs);
    const res = await postEvent(options.eventsUrl, envelope, options.signingSecret);
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
    } else if (
      req.method === 'POST' &&
      [
        '/command',
        '/click',
        '/close-modal',
        '/view/suggest',
        '/view/select',
        '/view/click',
        '/view/submit',
        '/home/open',
        '/home/enter',
        '/home/click',
        '/workflow',
      ].includes(url.pathname)
    ) {
      readJson(req)
        .then(async (body) => {
          let answer: { status: number; answer?: unknown };
          const channel = typeof body.channel === 'string' && body.channel in CHANNELS ? body.channel : CHANNEL;
          if (url.pathname === '/command') answer = await command(String(body.text ?? ''), channel);
          else if (url.pathname.startsWith('/home/')) answer = await inHome(url.pathname.slice('/home/'.length), body);
          else if (url.pathname === '/workflow') answer = await runWorkflow(body);
          else if (url.pathname === '/click' && typeof body.ephemeral === 'string') answer = await clickEphemeral(body.ephemeral, String(body.actionId ?? ''));
          else if (url.pathname === '/click') {
            const selected = selectedOptions(body.selected === undefined ? [] : [body.selected])[0];
            answer = await click(channel, String(body.ts ?? ''), String(body.actionId ?? ''), selected && { text: selected.text.text, value: selected.value });
          } else if (url.pathname.startsWith('/view/')) answer = await inModal(url.pathname.slice('/view/'.length), body);
          else {
            closedModals.add(String(body.id ?? ''));
            answer = { status: 200 };
          }
          push(true);
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(answer));
        })
        .catch((err: unknown) => {
          // A bad request from the page (or a view that changed under it) answers 400; the demo goes on.
          if (res.headersSent) return;
          res.writeHead(400, { 'Content-Type': 'text/plain' });
          res.end(err instanceof Error ? err.message : String(err));
        });
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

/** The menu `actionId` (a select or an overflow "…"): its type, and the block_id of the block holding it. */
function menuOf(blocks: unknown[], actionId: string): { type: string; blockId: string } | undefined {
  for (const [i, block] of (blocks as Array<Record<string, unknown>>).entries()) {
    const elements = [...((block.elements as unknown[]) ?? []), block.accessory].filter(Boolean) as Array<Record<string, unknown>>;
    const menu = elements.find((e) => (e.type === 'static_select' || e.type === 'overflow') && e.action_id === actionId);
    if (menu) return { type: String(menu.type), blockId: typeof block.block_id === 'string' ? block.block_id : `block-${i}` };
  }
  return undefined;
}

function selectedOptions(value: unknown): Array<{ text: { type: 'plain_text'; text: string }; value: string }> {
  if (!Array.isArray(value)) return [];
  return value
    .filter((o): o is { text: string; value: string } => typeof o === 'object' && o !== null && typeof o.text === 'string' && typeof o.value === 'string')
    .map((o) => ({ text: { type: 'plain_text', text: o.text }, value: o.value }));
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
