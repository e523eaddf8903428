/**
 * Storms: when more than STORM_OPENED incidents open in one channel within STORM_WINDOW_MS, the next
 * ones join one roll-up message ("Outage: 37 checks failing") rather than post a message each; its
 * thread holds one message listing them, updated as they fail and recover. The first incidents keep
 * their own messages. Kept in the records beside the incidents, shown under a lease as they are.
 */
import { renderRollup, renderRollupList, type RollupView } from '../blocks/alert-rollup';
import type { Records } from '../runs/records';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import { platformError } from '../slack/errors';
import type { Connection } from './connections';
import type { AlertChat } from './desk';
import { KeyIndex } from './key-index';

export const STORM_OPENED = 5;
export const STORM_WINDOW_MS = 2 * 60_000;
const KEEP_MS = 30 * 24 * 3600 * 1000;
const LEASE_MS = 30_000;
const ROUNDS = 50;

export interface RollupEntry {
  /** The incident's record key. */
  key: string;
  checkId: string;
  name: string;
  recovered: boolean;
}

interface Rollup extends RollupView {
  id: string;
  entries: RollupEntry[];
  ts?: string;
  /** The thread message listing the checks. */
  listTs?: string;
  version: number;
  shownVersion: number;
  lease?: { by: string; until: number };
}

interface Storm {
  /** When the channel's latest incidents opened (epoch ms, within the window). */
  opened: number[];
  rollup?: Rollup;
}

const stormKey = (teamId: string, channel: string): string => `alerts:storm:${teamId}:${channel}`;
/** The storms with a roll-up that may still be behind (an update Slack refused, a process gone mid-way), for the sweep. */
const STORM_INDEX = 'alerts:storms';
const STORM_KEY = /^alerts:storm:([^:]+):([^:]+)$/;
/** The workspace and channel a storm's key names. */
function whereOf(key: string): { teamId: string; channel: string } | undefined {
  const [, teamId, channel] = STORM_KEY.exec(key) ?? [];
  return teamId !== undefined && channel !== undefined ? { teamId, channel } : undefined;
}

function isStorm(value: unknown): value is Storm {
  return typeof value === 'object' && value !== null && Array.isArray((value as Storm).opened);
}

function isOpen(rollup: Rollup | undefined): rollup is Rollup {
  return rollup?.entries.some((e) => !e.recovered) === true;
}

export interface RollupDeps {
  records: Records;
  chat: AlertChat;
  now: () => number;
  newId: () => string;
  logger: Logger;
}

export class Rollups {
  private readonly storms: KeyIndex;

  constructor(private readonly deps: RollupDeps) {
    this.storms = new KeyIndex(deps.records, STORM_INDEX, KEEP_MS);
  }

  /**
   * Counts a newly opened incident in its channel's storm: answers the roll-up it joins (and marks
   * the incident so), or undefined when it keeps a message of its own.
   */
  async place(
    incidentKey: string,
    connection: Connection,
    entry: Omit<RollupEntry, 'key' | 'recovered'>,
    mark: (rollupId: string) => Promise<void>,
  ): Promise<string | undefined> {
    const { records, now, newId } = this.deps;
    const key = stormKey(connection.teamId, connection.channel);
    let joined: string | undefined;
    await records.change(
      key,
      (current) => {
        const storm: Storm = isStorm(current) ? current : { opened: [] };
        const at = now();
        const opened = storm.opened.filter((t) => t > at - STORM_WINDOW_MS);
        const rollup = isOpen(storm.rollup)
          ? storm.rollup
          : opened.length >= STORM_OPENED
            ? { id: newId(), entries: [], since: at, version: 0, shownVersion: 0 }
            : undefined;
        if (rollup === undefined) {
          joined = undefined;
          return { ...storm, opened: [...opened, at] };
        }
        joined = rollup.id;
        const entries = rollup.entries.some((e) => e.key === incidentKey)
          ? rollup.entries.map((e) => (e.key === incidentKey ? { ...e, recovered: false } : e))
          : [...rollup.entries, { key: incidentKey, ...entry, recovered: false }];
        return { opened: [...opened, at], rollup: { ...rollup, entries, version: rollup.version + 1 } };
      },
      KEEP_MS,
    );
    if (joined === undefined) return undefined;
    await this.storms.add(key);
    await mark(joined);
    await this.show(connection);
    return joined;
  }

  /**
   * Shows the roll-ups an earlier try left behind (Slack refused an update, the process showing it
   * died), once their lease has lapsed; forgets the storms whose roll-up is over and shown.
   */
  async sweep(): Promise<void> {
    const { records, now } = this.deps;
    const done: string[] = [];
    for (const key of await this.storms.keys()) {
      const storm = await records.read(key);
      const rollup = isStorm(storm) ? storm.rollup : undefined;
      const where = whereOf(key);
      const over = rollup?.entries.every((e) => e.recovered) === true;
      if (!rollup || !where || (over && rollup.shownVersion >= rollup.version)) done.push(key);
      else if (rollup.shownVersion < rollup.version && (rollup.lease === undefined || rollup.lease.until <= now())) {
        await this.show(where).catch((err: unknown) => this.deps.logger.warn({ channel: where.channel, err: errorText(err) }, 'could not show a roll-up'));
      }
    }
    await this.storms.drop(done);
  }

  /** A joined incident recovered: counted in its roll-up. */
  async recovered(incidentKey: string, connection: Connection, rollupId: string): Promise<void> {
    await this.deps.records.change(
      stormKey(connection.teamId, connection.channel),
      (current) => {
        if (!isStorm(current) || current.rollup?.id !== rollupId) return current;
        const rollup = current.rollup;
        if (!rollup.entries.some((e) => e.key === incidentKey && !e.recovered)) return current;
        const entries = rollup.entries.map((e) => (e.key === incidentKey ? { ...e, recovered: true } : e));
        return { ...current, rollup: { ...rollup, entries, version: rollup.version + 1 } };
      },
      KEEP_MS,
    );
    await this.show(connection);
  }

  /** Brings the roll-up and its list up to date under a lease, as the desk does an incident. */
  private async show(connection: Pick<Connection, 'teamId' | 'channel'>): Promise<void> {
    const { records, now, newId, chat } = this.deps;
    const key = stormKey(connection.teamId, connection.channel);
    for (let round = 0; round < ROUNDS; round += 1) {
      const me = newId();
      const leased = await records.change(
        key,
        (current) => {
          const rollup = isStorm(current) ? current.rollup : undefined;
          if (!rollup || rollup.shownVersion >= rollup.version || (rollup.lease && rollup.lease.until > now())) return current;
          // Counted with the lease, before the post it is for (RollupView.posts).
          const posts = rollup.ts === undefined ? { posts: (rollup.posts ?? 0) + 1 } : {};
          return { ...(current as Storm), rollup: { ...rollup, ...posts, lease: { by: me, until: now() + LEASE_MS } } };
        },
        KEEP_MS,
      );
      const rollup = isStorm(leased) ? leased.rollup : undefined;
      if (rollup?.lease?.by !== me) return;
      let shown: Partial<Rollup> = {};
      try {
        let ts = rollup.ts;
        const message = renderRollup(rollup);
        if (ts === undefined) {
          try {
            ts = await chat.post(connection.channel, message);
          } catch (err) {
            // Slack answered: nothing is in the channel, so this post does not count.
            if (platformError(err) !== undefined) shown = { posts: Math.max(0, (rollup.posts ?? 1) - 1) };
            throw err;
          }
          shown = { ts };
        } else await chat.update(connection.channel, ts, message);
        if (rollup.listTs === undefined) shown = { ...shown, listTs: await chat.post(connection.channel, renderRollupList(rollup), ts) };
        else await chat.update(connection.channel, rollup.listTs, renderRollupList(rollup));
        shown = { ...shown, shownVersion: rollup.version };
      } finally {
        await records.change(
          key,
          (current) => {
            if (!isStorm(current) || current.rollup?.id !== rollup.id) return current;
            const { lease: _lease, ...rest } = current.rollup;
            return { ...current, rollup: { ...rest, ...shown, shownVersion: Math.max(rest.shownVersion, shown.shownVersion ?? 0) } };
          },
          KEEP_MS,
        );
      }
    }
  }
}
