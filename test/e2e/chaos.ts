/**
 * The chaos run of issue 9, shared by test/e2e/chaos.test.ts (short) and `npm run chaos` (long).
 *
 * The real app runs as child processes (one with SQLite, or two replicas on one Redis) against the
 * fake Slack and fake Checkly in this process. Signed slash commands and rerun clicks keep arriving;
 * the fakes fail some calls; the processes are killed (SIGKILL and SIGTERM) at random moments, some
 * while a trigger is in flight (the fake Checkly answers triggers after 700 ms), and started again.
 * Then quiet, and the invariant is checked for every acknowledged action:
 *
 *   exactly one run message, showing a true final state (every row as the fake Checkly has it) or an
 *   honest error; never "Triggering…" or running; no check triggered twice for one acknowledgment.
 *
 * And every run a kill cut off mid-trigger settled within 30 s of its app being back (issue 20), with
 * the app's default sweep interval and trigger bound.
 *
 * Everything random comes from one seeded PRNG, so a seed replays the same plan (the timing of a
 * loaded machine still varies).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { STATUS_GLYPH } from '../../src/blocks/order';
import type { SessionStatus } from '../../src/runs/types';
import { startFakeCheckly, type ChecklyOperation, type RecordedRequest } from '../fakes/checkly';
import { blockActionsBody, postSigned, slashCommandBody } from '../fakes/sign';
import { startFakeSlack, type FakeMessage, type SlackFault } from '../fakes/slack';
import { AppProcess } from './child';
import { ACCOUNT_ID, SECRETS, blockActionsPayload, fakeEnv, findButton, messageText, waitFor } from './harness';
import { sleep } from '../helpers';

export type ChaosMode = 'sqlite' | 'redis';

export interface ChaosOptions {
  seed: number;
  kills: number;
  mode: ChaosMode;
  /** How long after the last restart everything must have settled. */
  quietMs?: number;
  /** Run timeout of the app (RUN_TIMEOUT_SECONDS). */
  runTimeoutSeconds?: number;
  /** Time between two kills, drawn between these (ms). */
  phaseMs?: [number, number];
  /** Extra variables for the app (e.g. sweep intervals). */
  env?: Record<string, string>;
  /** Where progress lines go (none by default). */
  progress?: (line: string) => void;
  /** Folder to write every process's log into (one file per process), for the post-mortem. */
  logDir?: string;
}

export interface ChaosReport {
  seed: number;
  mode: ChaosMode;
  kills: number;
  sigkills: number;
  sigterms: number;
  /** Kills that landed while a trigger request of the killed process was unanswered at Checkly. */
  killsMidTrigger: number;
  /** SIGTERMs after which the process took longer than 10 s to exit. */
  slowExits: number;
  sent: number;
  acknowledged: number;
  commands: number;
  clicks: number;
  finalAndRight: number;
  honestErrors: number;
  /** Of the honest errors: runs that timed out ("Stopped following"). */
  abandoned: number;
  stuck: number;
  /** Final-looking messages whose rows do not match Checkly. */
  wrong: number;
  duplicates: number;
  /** Actions whose failure reply was posted more than once (see `notes`). */
  duplicateReplies: number;
  /**
   * Each run whose trigger a kill caught in flight: when its message stopped showing "Triggering…" for
   * good (its trigger recorded, or the run ended as cut off), after the killed app was back (negative:
   * before, as after a SIGTERM, which lets the trigger finish, or by the other replica) and after the
   * kill; undefined: never.
   */
  orphans: Array<{ action: number; signal: NodeJS.Signals; settledAfterBackMs?: number; settledAfterKillMs?: number }>;
  slackFaults: number;
  checklyFaults: number;
  /** One line per problem, with log evidence. */
  problems: string[];
  /** Things worth knowing that do not break the invariant. */
  notes: string[];
  elapsedMs: number;
}

/** mulberry32: small, fast, good enough to draw a test plan from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRIGGER_DELAY_MS = 700;
/**
 * Runs are spread over channels: the app posts at most about one message a second per channel
 * (Slack's limit), and one busy channel would only measure that queue.
 */
const CHANNELS = 8;
const SHUTDOWN_LIMIT_MS = 10_000;
/** A run a kill cut off mid-trigger settles within this long of its app being back (issue 20). */
const ORPHAN_SETTLE_LIMIT_MS = 30_000;

interface Family {
  id: number;
  tag: string;
  channel: string;
  checkIds: string[];
  actions: Action[];
}

interface Action {
  id: number;
  kind: 'command' | 'click';
  family: Family;
  /** Unique per action: the run message names its requester, so it finds its action. */
  user: string;
  responseId: string;
  sentAt: number;
  replica: number;
  /** Clicks: the message clicked and the button. */
  clicked?: { ts: string; actionId: string };
  status?: number;
  error?: string;
}

type Outcome = 'final' | 'error' | 'stuck' | 'wrong';

const RUNNING_GLYPHS = new Set<string>([STATUS_GLYPH.STARTED, STATUS_GLYPH.PROGRESS, STATUS_GLYPH.PROGRESS_FAILED, STATUS_GLYPH.PROGRESS_DEGRADED]);
const GLYPHS = Object.values(STATUS_GLYPH).map((g) => g.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
const ROW = new RegExp(`(${GLYPHS.join('|')}) \\*<https://app\\.checklyhq\\.com/accounts/[^/]+/checks/[^/]+/check-sessions/([0-9a-f-]{36})\\|`, 'gu');
const STALE_RERUN_LINE = /⏳ starting|⏳ \d+ of \d+ done/;

export function isRunMessage(m: FakeMessage): boolean {
  const first = (m.blocks ?? [])[0] as { type?: string; text?: { text?: string } } | undefined;
  return first?.type === 'header' && (first.text?.text ?? '').startsWith('Checkly run');
}

/** What a run message shows: its rows (session id and glyph), and whether anything in it is still moving. */
export function readRunMessage(m: FakeMessage): {
  rows: Array<{ sessionId: string; glyph: string }>;
  unfinished: string[];
  error: boolean;
  abandoned: boolean;
  final: boolean;
} {
  const text = messageText(m);
  const rows = [...text.matchAll(ROW)].map((r) => ({ glyph: r[1]!, sessionId: r[2]! }));
  const unique = new Map(rows.map((r) => [r.sessionId, r]));
  const unfinished: string[] = [];
  // A run that timed out says so ("Stopped following…: N checks still had no final result. See
  // Checkly."); its rows keep the last status it knew, which is honest.
  const abandoned = /Stopped following/.test(text);
  if (/Triggering/.test(text)) unfinished.push('"Triggering…"');
  const running = [...unique.values()].filter((r) => RUNNING_GLYPHS.has(r.glyph)).length;
  if (running > 0 && !abandoned) unfinished.push(`${running} running row(s)`);
  if (findButton(m.blocks ?? [], 'run_cancel')) unfinished.push('a Cancel button');
  if (STALE_RERUN_LINE.test(text)) unfinished.push('a rerun line still in progress');
  const error = abandoned || /could not start this run|cut off while starting/i.test(text);
  const final = unfinished.length === 0 && (error || findButton(m.blocks ?? [], 'run_rerun_all') !== undefined);
  return { rows: [...unique.values()], unfinished, error, abandoned, final };
}

class Cluster {
  readonly processes: AppProcess[] = [];
  readonly slots: Array<AppProcess | undefined>;

  constructor(
    private readonly size: number,
    private readonly env: Record<string, string>,
  ) {
    this.slots = new Array<AppProcess | undefined>(size).fill(undefined);
  }

  async start(slot: number): Promise<AppProcess> {
    const app = new AppProcess(this.env);
    this.processes.push(app);
    this.slots[slot] = app;
    await app.started(90_000);
    return app;
  }

  live(): Array<{ slot: number; app: AppProcess }> {
    return this.slots.flatMap((app, slot) => (app && app.port !== undefined && app.exitCode === undefined ? [{ slot, app }] : []));
  }

  async stopAll(): Promise<void> {
    for (const app of this.slots) if (app && app.exitCode === undefined) app.kill('SIGTERM');
    for (const app of this.slots) if (app) await app.exited(15_000).catch(() => app.kill('SIGKILL'));
  }

  killAll(): void {
    for (const app of this.processes) if (app.exitCode === undefined) app.kill('SIGKILL');
  }

  get count(): number {
    return this.size;
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const startedAt = Date.now();
  // Three streams from the seed: the kill schedule (phase lengths, victims, signals, mid-trigger) and
  // the checks replay exactly; which message a click lands on depends on what the app has shown by then.
  const streams = [0, 1, 2].map((i) => seededRandom(options.seed * 3 + i));
  const [planRandom, trafficRandom, faultRandom] = streams as [() => number, () => number, () => number];
  let random = trafficRandom;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const withStream = <T>(stream: () => number, f: () => T): T => {
    const before = random;
    random = stream;
    try {
      return f();
    } finally {
      random = before;
    }
  };
  const say = options.progress ?? (() => undefined);
  const [phaseLo, phaseHi] = options.phaseMs ?? [1200, 3000];
  // Longer than a replica takes to lose a dead replica's runs (BullMQ lock and stalled check, 20 s),
  // so that a run ends by being followed, not by timing out.
  const runTimeoutSeconds = options.runTimeoutSeconds ?? 45;
  const quietMs = options.quietMs ?? 40_000;

  const slack = await startFakeSlack({ botToken: SECRETS.botToken });
  const checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
  checkly.setDelay('trigger', TRIGGER_DELAY_MS);

  const prefix = `chaos:${process.pid}:${Date.now()}:`;
  let redis: Redis | undefined;
  const env: Record<string, string> = {
    ...fakeEnv(slack, checkly),
    PORT: '0',
    LOG_LEVEL: 'info',
    CHECKLY_POLL_WAIT_SECONDS: '2',
    CHECKLY_MAX_REQUESTS_PER_MINUTE: '20000',
    SLACK_MAX_UPDATES_PER_MINUTE: '1000',
    SLACK_UPDATE_INTERVAL_MS: '200',
    RUN_TIMEOUT_SECONDS: String(runTimeoutSeconds),
    // The sweep interval and the trigger bound are the defaults: a run cut off mid-trigger must
    // settle within 30 s of the app being back as it would in production.
    ...(options.mode === 'redis'
      ? { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: prefix, STATE_DIR: '/nonexistent-unused' }
      : { STATE_DIR: mkdtempSync(path.join(tmpdir(), 'checkly-slack-chaos-')) }),
    ...options.env,
  };
  if (options.mode === 'redis') {
    redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect().catch(() => {
      throw new Error('Redis at 127.0.0.1:6379 is needed (scripts/ensure-services.sh starts it)');
    });
  }
  const cluster = new Cluster(options.mode === 'redis' ? 2 : 1, env);

  const families: Family[] = [];
  const familyOfTag = new Map<string, Family>();
  const familyOfCheck = new Map<string, Family>();
  const actions: Action[] = [];
  const actionOfUser = new Map<string, Action>();
  const clickedButtons = new Set<string>();
  let slackFaults = 0;
  let checklyFaults = 0;
  let sigkills = 0;
  let sigterms = 0;
  let killsMidTrigger = 0;
  let slowExits = 0;
  const killLog: string[] = [];
  /** The runs a kill cut off mid-trigger: the action, and when its app was killed and back. */
  const cutOff: Array<{ action: Action; signal: NodeJS.Signals; killedAt: number; backAt?: number }> = [];

  const newFamily = (): Family => {
    const id = families.length + 1;
    const family: Family = { id, tag: `chaos-${id}`, channel: `C0CHAOS${id % CHANNELS}`, checkIds: [], actions: [] };
    // Family N has the same checks in every run of a seed, whatever happened before it.
    const own = seededRandom(options.seed * 7919 + id);
    const between = (lo: number, hi: number): number => lo + Math.floor(own() * (hi - lo + 1));
    const random = own;
    const count = between(1, 3);
    for (let i = 0; i < count; i++) {
      const roll = random();
      const outcome = roll < 0.55 ? 'PASSED' : roll < 0.85 ? 'FAILED' : roll < 0.95 ? 'DEGRADED' : 'TIMED_OUT';
      const check = checkly.addCheck({
        name: `Family ${id} check ${i + 1}`,
        tags: [family.tag],
        durationMs: between(400, 4000),
        outcome,
        ...(outcome === 'PASSED' ? {} : { errorMessage: `expected 200, got 500 (family ${id})` }),
      });
      family.checkIds.push(check.id);
      familyOfCheck.set(check.id, family);
    }
    families.push(family);
    familyOfTag.set(family.tag, family);
    return family;
  };

  /** The family a trigger request belongs to: by its tag (a command, Rerun all) or its check ids. */
  const familyOfTrigger = (r: RecordedRequest): Family | undefined => {
    const target = (r.body as { target?: { matchTags?: string[][]; checkId?: string[] } } | undefined)?.target;
    const tag = target?.matchTags?.[0]?.[0];
    if (tag !== undefined) return familyOfTag.get(tag);
    const check = target?.checkId?.[0];
    return check !== undefined ? familyOfCheck.get(check) : undefined;
  };

  const runMessagesOf = (action: Action): FakeMessage[] =>
    [...slack.messages.values()].filter(
      (m) =>
        m.channel === action.family.channel &&
        isRunMessage(m) &&
        (action.kind === 'command' ? m.thread_ts === undefined : m.thread_ts !== undefined) &&
        messageText(m).includes(`Triggered by <@${action.user}>`),
    );
  // A `delete_original` (the command's "Triggering checks…" note going once its message is posted) answers nothing.
  const answeredByResponseUrl = (action: Action): boolean =>
    slack.responsePosts.some((p) => p.id === action.responseId && (p.body as { delete_original?: unknown } | null)?.delete_original !== true);
  const acked = (a: Action): boolean => a.status === 200;

  /** Settled as far as one can see now: not acknowledged, or answered, or its message is final. */
  const settledNow = (action: Action): boolean => {
    if (!acked(action)) return true;
    const messages = runMessagesOf(action);
    if (messages.length === 0) return answeredByResponseUrl(action);
    return messages.every((m) => readRunMessage(m).final);
  };

  const send = async (
    kind: 'command' | 'click',
    replica: AppProcess,
    slot: number,
    family: Family,
    clicked?: { message: FakeMessage; actionId: string },
  ): Promise<Action> => {
    const id = actions.length + 1;
    const action: Action = {
      id,
      kind,
      family,
      user: `U0CHAOS${String(id).padStart(4, '0')}`,
      responseId: `chaos-${id}`,
      sentAt: Date.now(),
      replica: slot,
      ...(clicked ? { clicked: { ts: clicked.message.ts, actionId: clicked.actionId } } : {}),
    };
    actions.push(action);
    family.actions.push(action);
    actionOfUser.set(action.user, action);
    const responseUrl = slack.responseUrl(action.responseId);
    let body: string;
    if (clicked) {
      const found = findButton(clicked.message.blocks ?? [], clicked.actionId)!;
      body = blockActionsBody(blockActionsPayload(clicked.message, found.button, found.blockId, action.user, responseUrl));
    } else {
      body = slashCommandBody({ text: `run ${family.tag}`, command: '/checkly', channel_id: family.channel, user_id: action.user, response_url: responseUrl });
    }
    try {
      const res = await postSigned(replica.eventsUrl, body, SECRETS.signingSecret);
      action.status = res.status;
    } catch (err) {
      action.error = err instanceof Error ? String((err as Error & { cause?: unknown }).cause ?? err.message) : String(err);
    }
    return action;
  };

  const sendCommand = (target?: { slot: number; app: AppProcess }): Promise<Action> | undefined => {
    const live = cluster.live();
    const chosen = target ?? (live.length > 0 ? pick(live) : undefined);
    if (!chosen) return undefined;
    return send('command', chosen.app, chosen.slot, newFamily());
  };

  /** A rerun click on a final message of a family with nothing in progress, on a button not clicked before. */
  const sendClick = (): Promise<Action> | undefined => {
    const live = cluster.live();
    if (live.length === 0) return undefined;
    const candidates: Array<{ message: FakeMessage; actionId: string; family: Family }> = [];
    for (const m of slack.messages.values()) {
      if (!isRunMessage(m) || !readRunMessage(m).final) continue;
      const user = /Triggered by <@(U0CHAOS\d+)>/.exec(messageText(m))?.[1];
      const family = user !== undefined ? actionOfUser.get(user)?.family : undefined;
      if (!family?.actions.every(settledNow)) continue;
      for (const actionId of ['run_rerun_failed', 'run_rerun_all', 'run_rerun_check:0', 'run_rerun_check:1']) {
        if (!clickedButtons.has(`${m.ts}:${actionId}`) && findButton(m.blocks ?? [], actionId)) candidates.push({ message: m, actionId, family });
      }
    }
    if (candidates.length === 0) return undefined;
    const chosen = pick(candidates);
    clickedButtons.add(`${chosen.message.ts}:${chosen.actionId}`);
    const { slot, app } = pick(live);
    return send('click', app, slot, chosen.family, chosen);
  };

  const SLACK_FAULTS: Array<[string, SlackFault]> = [
    ['chat.postMessage', { error: 'internal_error' }],
    ['chat.postMessage', { error: 'ratelimited', retryAfterSeconds: 1 }],
    ['chat.postMessage', { status: 503 }],
    ['chat.update', { error: 'internal_error' }],
    ['chat.update', { error: 'ratelimited', retryAfterSeconds: 1 }],
    ['chat.update', { status: 500 }],
    ['chat.update', { status: 503 }],
  ];
  const CHECKLY_FAULTS: Array<[ChecklyOperation, number | 'drop']> = [
    ['trigger', 503],
    ['trigger', 500],
    ['trigger', 429],
    ['completion', 502],
    ['completion', 'drop'],
    ['session', 500],
    ['session', 'drop'],
    ['result', 503],
    ['cancel', 500],
  ];
  const injectFault = (): void =>
    withStream(faultRandom, () => {
      if (random() < 0.5) {
        const [method, fault] = pick(SLACK_FAULTS);
        slack.failNext(method, fault);
        slackFaults++;
      } else {
        const [op, what] = pick(CHECKLY_FAULTS);
        if (what === 'drop') checkly.dropNext(op);
        else checkly.failNext(op, what, what === 429 ? { retryAfterSeconds: 1 } : {});
        checklyFaults++;
      }
    });

  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown> | undefined): void => {
    if (!p) return;
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  /** Actions and faults at random intervals for `ms`. */
  const traffic = async (ms: number): Promise<void> => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (withStream(faultRandom, () => random() < 0.15)) injectFault();
      track(random() < 0.6 ? sendCommand() : (sendClick() ?? sendCommand()));
      await sleep(between(120, 400));
    }
  };

  const pendingTriggerOf = (family: Family): RecordedRequest | undefined =>
    checkly.requests.find((r) => r.op === 'trigger' && r.sessionIds === undefined && r.status === undefined && !r.dropped && familyOfTrigger(r) === family);

  let failure: unknown;
  try {
    say(`chaos: seed ${options.seed}, mode ${options.mode}, ${options.kills} kills`);
    for (let slot = 0; slot < cluster.count; slot++) await cluster.start(slot);

    for (let k = 0; k < options.kills; k++) {
      const plan = withStream(planRandom, () => ({
        phaseMs: between(phaseLo, phaseHi),
        slot: between(0, cluster.count - 1),
        signal: (random() < 0.6 ? 'SIGKILL' : 'SIGTERM') as NodeJS.Signals,
        midTrigger: random() < 0.45,
        killDelayMs: between(0, TRIGGER_DELAY_MS - 250),
        othersMs: between(200, 800),
      }));
      await traffic(plan.phaseMs);
      const victim = cluster.live().find((l) => l.slot === plan.slot)!;
      const signal = plan.signal;
      let midTrigger = false;
      let cutAction: Action | undefined;
      if (plan.midTrigger) {
        // A command to the victim, and the kill while Checkly still holds its trigger.
        const action = sendCommand(victim)!;
        track(action);
        const family = families[families.length - 1]!;
        const pending = await waitFor(() => pendingTriggerOf(family), 5000, 'a trigger in flight').catch(() => undefined);
        if (pending) {
          await sleep(plan.killDelayMs);
          midTrigger = pending.sessionIds === undefined;
          cutAction = family.actions[0];
        }
      }
      const signalledAt = Date.now();
      victim.app.kill(signal);
      if (signal === 'SIGKILL') sigkills++;
      else sigterms++;
      if (midTrigger) killsMidTrigger++;
      const cut = midTrigger && cutAction ? { action: cutAction, signal, killedAt: signalledAt, backAt: undefined as number | undefined } : undefined;
      if (cut) cutOff.push(cut);
      killLog.push(JSON.stringify({ at: signalledAt, signal, slot: victim.slot, midTrigger, afterAction: actions.length }));
      say(`kill ${k + 1}/${options.kills}: ${signal} replica ${victim.slot}${midTrigger ? ' mid-trigger' : ''} (${actions.length} actions so far)`);
      // The other replica keeps serving while this one stops and starts again.
      const others = options.mode === 'redis' ? traffic(plan.othersMs) : Promise.resolve();
      await victim.app.exited(30_000);
      if (signal === 'SIGTERM' && (victim.app.exitedAt ?? Date.now()) - signalledAt > SHUTDOWN_LIMIT_MS) slowExits++;
      await others;
      await cluster.start(victim.slot);
      if (cut) cut.backAt = Date.now();
    }

    // Quiet: no more actions or faults; everything must settle.
    say(`quiet: waiting up to ${quietMs} ms for every run to settle`);
    await Promise.allSettled([...inFlight]);
    const settled = (): boolean =>
      actions.every(settledNow) &&
      [...slack.messages.values()].filter(isRunMessage).every((m) => readRunMessage(m).final) &&
      checkly.requests.every((r) => r.op !== 'trigger' || r.status !== undefined || r.dropped || r.sessionIds !== undefined);
    await waitFor(() => settled(), quietMs, 'quiet').catch(() => undefined);
    await sleep(1500); // late duplicates, if any, show up here
  } catch (err) {
    failure = err;
  } finally {
    await cluster.stopAll().catch(() => cluster.killAll());
  }

  // ---- the invariant ----
  const problems: string[] = [];
  const evidence = (action: Action, runIds: string[], sessionIds: string[]): string => {
    const keys = [action.user, ...runIds, ...sessionIds];
    const lines: string[] = [];
    cluster.processes.forEach((p, i) => {
      for (const l of p.lines) {
        const text = JSON.stringify(l);
        if (keys.some((k) => text.includes(k))) lines.push(`    [proc ${i}] ${text.slice(0, 400)}`);
      }
    });
    return lines.slice(-12).join('\n');
  };
  const quietAt = Date.now();
  const history = (m: FakeMessage): string => {
    const updates = slack.calls.filter((c) => c.method === 'chat.update' && c.args.channel === m.channel && c.args.ts === m.ts);
    const last = m.versions[m.versions.length - 1]!;
    return `${m.versions.length} versions, the last ${((quietAt - last.at) / 1000).toFixed(1)} s before the end; ${updates.length} updates sent, ${updates.filter((c) => c.error).length} failed`;
  };
  const runIdsIn = (m: FakeMessage): string[] => [
    ...new Set([...JSON.stringify(m.blocks ?? []).matchAll(/\\"run\\":\\"([0-9a-f-]{36})\\"/g)].map((r) => r[1]!)),
  ];
  const triggersOf = (action: Action): RecordedRequest[] => {
    const family = action.family.actions;
    const next = family[family.indexOf(action) + 1];
    return checkly.requests.filter(
      (r) =>
        r.op === 'trigger' &&
        r.sessionIds !== undefined &&
        familyOfTrigger(r) === action.family &&
        r.at >= action.sentAt &&
        (next === undefined || r.at < next.sentAt),
    );
  };

  let finalAndRight = 0;
  let honestErrors = 0;
  let abandoned = 0;
  let stuck = 0;
  let wrong = 0;
  let duplicates = 0;
  let duplicateReplies = 0;
  const notes: string[] = [];
  const countedMessages = new Set<string>();
  const reportedStuck = new Set<string>();
  const outcomes: string[] = [];
  for (const action of actions.filter(acked)) {
    const messages = runMessagesOf(action);
    for (const m of messages) countedMessages.add(`${m.channel}:${m.ts}`);
    const triggers = triggersOf(action);
    const created = triggers.flatMap((t) => t.sessionIds ?? []);
    const what = `${action.kind} #${action.id} (${action.user}, family ${action.family.id}${action.clicked ? `, ${action.clicked.actionId}` : ''}, replica ${action.replica})`;
    const runIds = messages.flatMap(runIdsIn);
    // The failure reply in the thread names the requester first; a run of at most 3 checks needs one.
    const replies = [...slack.messages.values()].filter(
      (m) => m.channel === action.family.channel && m.thread_ts !== undefined && !isRunMessage(m) && (m.text ?? '').startsWith(`<@${action.user}>`),
    );
    if (replies.length > 1) {
      // Reported, not failed: a process killed between Slack taking the reply and the app recording
      // it leaves the next process no way to know (the app cannot read the thread): at least once.
      duplicateReplies++;
      notes.push(`${replies.length} failure replies for ${what}, posted at ${replies.map((r) => new Date(r.versions[0]!.at).toISOString()).join(', ')}`);
    }
    if (triggers.length > 1 || messages.length > 1) {
      duplicates++;
      problems.push(`DUPLICATE ${what}: ${triggers.length} triggers, ${messages.length} run messages\n${evidence(action, runIds, created)}`);
      continue;
    }
    let outcome: Outcome;
    let why = '';
    const [message] = messages;
    if (!message) {
      if (answeredByResponseUrl(action) && created.length === 0) outcome = 'error';
      else {
        outcome = 'stuck';
        why = created.length > 0 ? `no run message, yet ${created.length} session(s) started at Checkly` : 'no run message and no answer';
      }
    } else {
      const read = readRunMessage(message);
      if (!read.final) {
        reportedStuck.add(`${message.channel}:${message.ts}`);
        outcome = 'stuck';
        why = `the message shows ${read.unfinished.join(', ') || 'no final state'} (${history(message)})`;
      } else if (read.error && /nothing was started/i.test(messageText(message)) && created.length > 0) {
        outcome = 'wrong';
        why = `the message says nothing was started, yet ${created.length} session(s) started at Checkly`;
      } else if (read.error) {
        outcome = 'error';
        if (read.abandoned) abandoned++;
      } else {
        const shown = new Map(read.rows.map((r) => [r.sessionId, r.glyph]));
        const mismatches = created.filter((id) => {
          const truth = checkly.session(id)?.status as SessionStatus | undefined;
          return truth === undefined || shown.get(id) !== STATUS_GLYPH[truth];
        });
        const extra = [...shown.keys()].filter((id) => !created.includes(id));
        if (mismatches.length > 0 || extra.length > 0 || created.length === 0) {
          outcome = 'wrong';
          why = `${mismatches.length} row(s) unlike Checkly, ${extra.length} row(s) from elsewhere, ${created.length} session(s) created`;
        } else outcome = 'final';
      }
    }
    outcomes.push(
      JSON.stringify({
        action: action.id,
        kind: action.kind,
        outcome,
        why,
        text:
          message?.text ??
          slack.responsePosts.find((p) => p.id === action.responseId && (p.body as { delete_original?: unknown } | null)?.delete_original !== true)?.body,
      }),
    );
    if (outcome === 'final') finalAndRight++;
    else if (outcome === 'error') honestErrors++;
    else if (outcome === 'stuck') {
      stuck++;
      problems.push(`STUCK ${what}: ${why}\n${evidence(action, runIds, created)}`);
    } else {
      wrong++;
      problems.push(`WRONG ${what}: ${why}\n${evidence(action, runIds, created)}`);
    }
  }
  // Messages of actions that were not acknowledged, and parents' rerun lines, must not be stuck either.
  for (const m of slack.messages.values()) {
    if (!isRunMessage(m)) continue;
    const read = readRunMessage(m);
    if (read.final || reportedStuck.has(`${m.channel}:${m.ts}`)) continue;
    const user = /Triggered by <@(U0CHAOS\d+)>/.exec(messageText(m))?.[1];
    const action = user !== undefined ? actionOfUser.get(user) : undefined;
    stuck++;
    problems.push(
      `STUCK message ${m.channel} ${m.ts} (${action ? `action #${action.id}` : 'no action'}): shows ${read.unfinished.join(', ')} (${history(m)})` +
        (action ? `\n${evidence(action, runIdsIn(m), [])}` : ''),
    );
  }
  // How long each run whose trigger a kill caught in flight still showed "Triggering…" after its app was back.
  const orphans = cutOff.map(({ action, signal, killedAt, backAt }) => {
    const messages = runMessagesOf(action);
    const settledAt = messages.length === 1 ? triggeredSince(messages[0]!) : undefined;
    const orphan = {
      action: action.id,
      signal,
      ...(settledAt !== undefined && backAt !== undefined ? { settledAfterBackMs: settledAt - backAt } : {}),
      ...(settledAt !== undefined ? { settledAfterKillMs: settledAt - killedAt } : {}),
    };
    if (orphan.settledAfterBackMs === undefined || orphan.settledAfterBackMs > ORPHAN_SETTLE_LIMIT_MS) {
      const when =
        orphan.settledAfterBackMs === undefined ? 'never settled' : `settled ${(orphan.settledAfterBackMs / 1000).toFixed(1)} s after its app was back`;
      problems.push(
        `SLOW ORPHAN command #${action.id} (${signal} mid-trigger): ${when}, more than ${ORPHAN_SETTLE_LIMIT_MS / 1000} s\n${evidence(action, messages.flatMap(runIdsIn), [])}`,
      );
    }
    return orphan;
  });
  if (failure) problems.unshift(`the chaos run itself failed: ${failure instanceof Error ? failure.message : String(failure)}`);

  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    cluster.processes.forEach((p, i) => {
      writeFileSync(path.join(options.logDir!, `proc-${i}.log`), `${p.lines.map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr.join('')}`);
    });
    const calls = slack.calls.map((c) =>
      JSON.stringify({ at: c.at, method: c.method, channel: c.args.channel, ts: c.args.ts, status: c.status, error: c.error, text: c.args.text }),
    );
    writeFileSync(path.join(options.logDir, 'slack-calls.log'), `${calls.join('\n')}\n`);
    const requests = checkly.requests.map((r) =>
      JSON.stringify({ at: r.at, op: r.op, path: r.path, status: r.status, dropped: r.dropped, sessionIds: r.sessionIds, body: r.body }),
    );
    writeFileSync(path.join(options.logDir, 'checkly-requests.log'), `${requests.join('\n')}\n`);
    writeFileSync(path.join(options.logDir, 'outcomes.log'), `${outcomes.join('\n')}\n`);
    writeFileSync(path.join(options.logDir, 'kills.log'), `${killLog.join('\n')}\n`);
    const shown = [...slack.messages.values()].map((m) =>
      JSON.stringify({ channel: m.channel, ts: m.ts, thread_ts: m.thread_ts, versions: m.versions.length, text: messageText(m) }),
    );
    writeFileSync(path.join(options.logDir, 'messages.log'), `${shown.join('\n')}\n`);
    writeFileSync(path.join(options.logDir, 'actions.log'), `${actions.map((a) => JSON.stringify({ ...a, family: a.family.id })).join('\n')}\n`);
  }
  await Promise.all([slack.close(), checkly.close()]);
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }

  return {
    seed: options.seed,
    mode: options.mode,
    kills: sigkills + sigterms,
    sigkills,
    sigterms,
    killsMidTrigger,
    slowExits,
    sent: actions.length,
    acknowledged: actions.filter(acked).length,
    commands: actions.filter((a) => acked(a) && a.kind === 'command').length,
    clicks: actions.filter((a) => acked(a) && a.kind === 'click').length,
    finalAndRight,
    honestErrors,
    abandoned,
    stuck,
    wrong,
    duplicates,
    duplicateReplies,
    orphans,
    slackFaults,
    checklyFaults,
    problems,
    notes,
    elapsedMs: Date.now() - startedAt,
  };
}

export function formatReport(r: ChaosReport): string {
  return [
    `chaos seed ${r.seed}, ${r.mode === 'redis' ? 'two replicas on Redis' : 'SQLite'}, ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `  kills:            ${r.kills} (${r.sigkills} SIGKILL, ${r.sigterms} SIGTERM; ${r.killsMidTrigger} mid-trigger; ${r.slowExits} slow exits)`,
    `  acknowledged:     ${r.acknowledged} of ${r.sent} sent (${r.commands} commands, ${r.clicks} rerun clicks)`,
    `  faults injected:  ${r.slackFaults} Slack, ${r.checklyFaults} Checkly`,
    `  final and right:  ${r.finalAndRight}`,
    `  honest errors:    ${r.honestErrors} (${r.abandoned} runs timed out)`,
    `  stuck:            ${r.stuck} (must be 0)`,
    `  wrong:            ${r.wrong} (must be 0)`,
    `  duplicates:       ${r.duplicates} (must be 0)`,
    `  failure reply posted twice: ${r.duplicateReplies} (a kill between Slack taking it and the app recording it)`,
    `  killed mid-trigger, "Triggering…" gone after the app was back: ${orphanLine(r.orphans)} (each must be at most ${ORPHAN_SETTLE_LIMIT_MS / 1000} s)`,
  ].join('\n');
}

function orphanLine(orphans: ChaosReport['orphans']): string {
  if (orphans.length === 0) return 'none';
  const seconds = (ms: number | undefined): string => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);
  const each = orphans.map((o) => `#${o.action} ${seconds(o.settledAfterBackMs)} (${o.signal}; ${seconds(o.settledAfterKillMs)} after it)`);
  const slowest = orphans.some((o) => o.settledAfterBackMs === undefined) ? undefined : Math.max(...orphans.map((o) => o.settledAfterBackMs as number));
  return `${each.join(', ')}; slowest ${seconds(slowest)}`;
}

/** When a run message stopped showing "Triggering…" for good: the first of its versions from which on none does. */
function triggeredSince(m: FakeMessage): number | undefined {
  let since: number | undefined;
  for (const v of m.versions) {
    if (/Triggering/.test(messageText(v))) since = undefined;
    else since ??= v.at;
  }
  return since;
}
