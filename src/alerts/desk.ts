/**
 * Where alerts become messages: each delivery is applied to its incident in the records (atomically,
 * here or on any replica: a repeat changes nothing), then the incident's message is brought up to
 * date by whichever process holds its lease, posting it once and updating it as alerts come; a
 * recovery also replies in its thread. In a storm, new incidents join the channel's roll-up
 * (rollup.ts) rather than post a message each.
 */
import { renderIncident, renderRecoveryReply } from '../blocks/alert';
import type { SlackMessage } from '../blocks/message';
import type { Records } from '../runs/records';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import { platformError } from '../slack/errors';
import type { Connection } from './connections';
import { KeyIndex } from './key-index';
import { type Incident, type Outcome, addOwner, applyAlert, needsShowing } from './incident';
import type { Alert } from './payload';
import type { Rollups } from './rollup';

/** How the desk talks to Slack. */
export interface AlertChat {
  post(channel: string, message: SlackMessage, threadTs?: string): Promise<string>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
}

export interface DeskDeps {
  records: Records;
  chat: AlertChat;
  rollups: Rollups;
  now: () => number;
  newId: () => string;
  logger: Logger;
}

/** Incidents are kept a month after their last change; a recovered one stays to know its late repeats. */
export const INCIDENT_KEEP_MS = 30 * 24 * 3600 * 1000;
/** A process showing an incident holds it this long (a post and an update take far less). */
const LEASE_MS = 30_000;
/** An incident changing while it is shown is shown again, at most this many times in a row. */
const ROUNDS = 20;

/** The incidents whose message may still be behind (a post Slack refused, a process gone mid-way), for the sweep. */
const OPEN_INDEX = 'alerts:open';

export const incidentKey = (teamId: string, channel: string, checkId: string): string => `alerts:incident:${teamId}:${channel}:${checkId}`;

export function isIncident(value: unknown): value is Incident {
  const v = value as Partial<Incident> | undefined;
  return typeof v === 'object' && v !== null && typeof v.checkId === 'string' && typeof v.version === 'number' && Array.isArray(v.seen);
}

export class IncidentDesk {
  private readonly showing = new Set<Promise<void>>();
  private readonly open: KeyIndex;

  constructor(private readonly deps: DeskDeps) {
    this.open = new KeyIndex(deps.records, OPEN_INDEX, INCIDENT_KEEP_MS);
  }

  /** Applies one delivery to its incident (durably) and answers what it did; the message follows (`shown`). */
  async take(connection: Connection, alert: Alert): Promise<{ outcome: Outcome; shown: Promise<void> }> {
    const { records, newId } = this.deps;
    const key = incidentKey(connection.teamId, connection.channel, alert.checkId);
    let outcome: Outcome = 'repeat';
    const after = await records.change(
      key,
      (current) => {
        const applied = applyAlert(isIncident(current) ? current : undefined, alert, connection, newId);
        outcome = applied.outcome;
        return applied.next;
      },
      INCIDENT_KEEP_MS,
    );
    if (outcome === 'repeat' || outcome === 'stale' || !isIncident(after)) return { outcome, shown: Promise.resolve() };
    const incident = after;
    if (outcome === 'opened') await this.open.add(key);
    const rollup = incident.rollup;
    if (rollup !== undefined) {
      return { outcome, shown: this.track(outcome === 'recovered' ? this.deps.rollups.recovered(key, connection, rollup) : Promise.resolve()) };
    }
    if (outcome === 'opened') {
      const mark = async (rollupId: string) => {
        await records.change(
          key,
          (current) => (isIncident(current) && current.id === incident.id ? { ...current, rollup: rollupId } : current),
          INCIDENT_KEEP_MS,
        );
      };
      const joined = this.track(this.deps.rollups.place(key, connection, { checkId: incident.checkId, name: incident.checkName }, mark).then(() => undefined));
      // The incident waits for its place (its own message or the roll-up) before it is shown.
      return { outcome, shown: joined.then(() => this.track(this.show(key))) };
    }
    return { outcome, shown: this.track(this.show(key)) };
  }

  /** "I'm on it": the person joins the incident's owners. Undefined when the incident is no longer this one. */
  async own(teamId: string, channel: string, checkId: string, incidentId: string, userId: string): Promise<Incident | undefined> {
    const key = incidentKey(teamId, channel, checkId);
    const after = await this.deps.records.change(
      key,
      (current) => (isIncident(current) && current.id === incidentId && current.state !== 'recovered' ? addOwner(current, userId) : current),
      INCIDENT_KEEP_MS,
    );
    if (!isIncident(after) || after.id !== incidentId) return undefined;
    await this.track(this.show(key));
    return after;
  }

  async read(teamId: string, channel: string, checkId: string): Promise<Incident | undefined> {
    const value = await this.deps.records.read(incidentKey(teamId, channel, checkId));
    return isIncident(value) ? value : undefined;
  }

  /**
   * Shows what an earlier try left behind (Slack refused the post, or the process showing it died):
   * every incident in the index whose message is behind, then every roll-up; forgets those over and
   * shown.
   */
  async sweep(): Promise<void> {
    const { records, now } = this.deps;
    const done: string[] = [];
    for (const key of await this.open.keys()) {
      const incident = await records.read(key);
      if (
        !isIncident(incident) ||
        incident.marker ||
        incident.rollup !== undefined ||
        (incident.state === 'recovered' && incident.shownVersion >= incident.version)
      ) {
        done.push(key);
      } else if (needsShowing(incident, now())) {
        await this.track(this.show(key));
      }
    }
    await this.open.drop(done);
    await this.track(this.deps.rollups.sweep());
  }

  /** Waits for the messages being shown (shutdown), at most `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.showing]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private track(work: Promise<void>): Promise<void> {
    const done = work.catch((err: unknown) => this.deps.logger.warn({ err: errorText(err) }, 'could not show an incident'));
    this.showing.add(done);
    void done.finally(() => this.showing.delete(done));
    return done;
  }

  /**
   * Brings the incident's message up to date, if no other process is at it: takes the lease, posts
   * or updates until the message shows the latest version, lets go, and looks once more (an alert
   * that came meanwhile saw the lease taken and left it to this process). A lease taken while the
   * message has no `ts` is for its first post, counted with it (Incident.posts).
   */
  private async show(key: string): Promise<void> {
    const { records, now, newId } = this.deps;
    for (let round = 0; round < ROUNDS; round += 1) {
      const me = newId();
      const leased = await records.change(
        key,
        (current) =>
          isIncident(current) && !current.rollup && needsShowing(current, now())
            ? { ...current, ...(current.ts === undefined && { posts: (current.posts ?? 0) + 1 }), lease: { by: me, until: now() + LEASE_MS } }
            : current,
        INCIDENT_KEEP_MS,
      );
      if (!isIncident(leased) || leased.lease?.by !== me) return;
      try {
        await this.bringUpToDate(key, me);
      } finally {
        await records.change(key, (current) => (isIncident(current) && current.lease?.by === me ? withoutLease(current) : current), INCIDENT_KEEP_MS);
      }
    }
  }

  /**
   * Posts or updates the message until it shows the latest version. The change that records what was
   * shown also lets go of the lease when nothing newer waits, so that a process killed right after
   * leaves no lease for the next one to wait out.
   */
  private async bringUpToDate(key: string, me: string): Promise<void> {
    const { records, chat } = this.deps;
    for (let round = 0; round < ROUNDS; round += 1) {
      const incident = await records.read(key);
      if (!isIncident(incident) || incident.lease?.by !== me || incident.shownVersion >= incident.version) return;
      const message = renderIncident(incident);
      let ts = incident.ts;
      if (ts === undefined) ts = await this.post(key, incident, message);
      else await chat.update(incident.channel, ts, message);
      const posted = ts;
      const after = await records.change(
        key,
        (current) => {
          if (!isIncident(current) || current.id !== incident.id) return current;
          const next = { ...current, ts: current.ts ?? posted, shownVersion: Math.max(current.shownVersion, incident.version) };
          return next.lease?.by === me && next.shownVersion >= next.version ? withoutLease(next) : next;
        },
        INCIDENT_KEEP_MS,
      );
      if (incident.ts === undefined) this.deps.logger.info({ channel: incident.channel, checkId: incident.checkId, ts: posted }, 'incident message posted');
      if (isIncident(after) && after.id === incident.id && incident.state === 'recovered') await this.replyRecovered(key, after);
    }
  }

  /** The message's first post. One Slack answered with a refusal is not in the channel: its count is taken back. */
  private async post(key: string, incident: Incident, message: SlackMessage): Promise<string> {
    try {
      return await this.deps.chat.post(incident.channel, message);
    } catch (err) {
      if (platformError(err) !== undefined) {
        await this.deps.records
          .change(
            key,
            (current) =>
              isIncident(current) && current.id === incident.id && current.ts === undefined
                ? { ...current, posts: Math.max(0, (current.posts ?? 1) - 1) }
                : current,
            INCIDENT_KEEP_MS,
          )
          .catch(() => undefined);
      }
      throw err;
    }
  }

  /** The recovery's thread reply, claimed first: posted once, whichever process shows the recovery. */
  private async replyRecovered(key: string, incident: Incident): Promise<void> {
    if (incident.recoveryReplied || incident.ts === undefined) return;
    let claimed = false;
    await this.deps.records.change(
      key,
      (current) => {
        claimed = isIncident(current) && current.id === incident.id && !current.recoveryReplied;
        return claimed ? { ...(current as Incident), recoveryReplied: true } : current;
      },
      INCIDENT_KEEP_MS,
    );
    if (claimed) await this.deps.chat.post(incident.channel, renderRecoveryReply(incident), incident.ts);
  }
}

function withoutLease(incident: Incident): Incident {
  const { lease: _lease, ...rest } = incident;
  return rest;
}
