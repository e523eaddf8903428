/**
 * An incident: one check failing or degraded in one channel, from its first alert to its recovery,
 * and the message that shows it. Pure: what each alert does to it. The desk (desk.ts) keeps it in
 * the records and shows it.
 */
import { type Alert, deliveryKey, isFailing, isRecovery } from './payload';

export type IncidentState = 'failing' | 'degraded' | 'recovered';

export interface Incident {
  /** Named on its buttons: a click on an older incident's message is told so. */
  id: string;
  teamId: string;
  channel: string;
  checkId: string;
  checkName: string;
  checkType: string;
  groupName: string;
  state: IncidentState;
  /** It failed at least once (red); a degraded-only incident is yellow. */
  failed: boolean;
  /** Epoch ms: the first alert's run. */
  startedAt: number;
  /** Epoch ms: the recovery's run. */
  recoveredAt?: number;
  /** Alerts taken, the recovery included. */
  alerts: number;
  /** Every location that alerted, first seen first. */
  locations: string[];
  /** The latest error and API status. */
  error: string;
  statusCode?: number;
  /** The latest failing result: what Details shows and the link opens. */
  resultId: string;
  resultLink: string;
  location: string;
  /** The deliveries taken (deliveryKey), the latest last: a repeat changes nothing. */
  seen: string[];
  /** Who said "I'm on it" (user IDs), in order. */
  owners: string[];
  /** Joined a channel's roll-up rather than a message of its own (storms). */
  rollup?: string;
  /** Nothing shows it: a recovery that came before its failure, kept so that the late failure opens nothing. */
  marker?: boolean;
  /** The message, once posted. */
  ts?: string;
  /**
   * Posts of its message tried, counted before each is sent (one Slack refused is taken back; none
   * once `ts` is known): over one, an earlier post may be in the channel, its ts lost with the process
   * that sent it or in Slack's silence, and the message says so for as long as it is shown.
   */
  posts?: number;
  /** Bumped by every change the message shows; `shownVersion` is what the message shows. */
  version: number;
  shownVersion: number;
  /** The process showing it now (posting or updating), until when. */
  lease?: { by: string; until: number };
  /** The recovery's thread reply was claimed (posted once). */
  recoveryReplied?: boolean;
}

export type Outcome = 'opened' | 'updated' | 'recovered' | 'repeat' | 'stale';

/** Deliveries remembered per incident: Checkly repeats a delivery within minutes, not after 50 others. */
const SEEN = 50;
/** Locations kept; the message shows fewer. */
const LOCATIONS = 50;

function remember(seen: readonly string[], key: string): string[] {
  return [...seen, key].slice(-SEEN);
}

/**
 * What `alert` does to the incident of its check (undefined when there is none). `newId` names a new
 * incident. Depends only on its arguments, as Records.change asks.
 */
export function applyAlert(
  current: Incident | undefined,
  alert: Alert,
  where: { teamId: string; channel: string },
  newId: () => string,
): { next: Incident | undefined; outcome: Outcome } {
  const key = deliveryKey(alert);
  if (current?.seen.includes(key)) return { next: current, outcome: 'repeat' };
  const open = current !== undefined && current.state !== 'recovered' && !current.marker;
  if (isRecovery(alert.type)) {
    if (open) {
      return {
        next: {
          ...current,
          state: 'recovered',
          recoveredAt: Math.max(alert.startedAt, current.startedAt),
          alerts: current.alerts + 1,
          seen: remember(current.seen, key),
          version: current.version + 1,
        },
        outcome: 'recovered',
      };
    }
    // A recovery with nothing open: out of order (its failure is late) or already over. Remember it.
    const base = current ?? marker(alert, where);
    return { next: { ...base, recoveredAt: Math.max(base.recoveredAt ?? 0, alert.startedAt), seen: remember(base.seen, key) }, outcome: 'stale' };
  }
  if (open) {
    const failing = isFailing(alert.type);
    return {
      next: {
        ...current,
        state: failing ? 'failing' : 'degraded',
        failed: current.failed || failing,
        checkName: alert.checkName,
        alerts: current.alerts + 1,
        locations: addLocation(current.locations, alert.location),
        error: alert.error || current.error,
        ...withStatus(alert.statusCode ?? current.statusCode),
        resultId: alert.resultId || current.resultId,
        resultLink: alert.resultLink || current.resultLink,
        location: alert.location || current.location,
        seen: remember(current.seen, key),
        version: current.version + 1,
      },
      outcome: 'updated',
    };
  }
  // A failure that started before the recovery already taken belongs to the incident that ended.
  if (current?.recoveredAt !== undefined && alert.startedAt <= current.recoveredAt) {
    return { next: { ...current, seen: remember(current.seen, key) }, outcome: 'stale' };
  }
  const failing = isFailing(alert.type) || alert.type === 'ALERT_FAILURE_DEGRADED';
  return {
    next: {
      id: newId(),
      ...whichCheck(alert, where),
      state: isFailing(alert.type) ? 'failing' : 'degraded',
      failed: failing,
      startedAt: alert.startedAt,
      alerts: 1,
      locations: addLocation([], alert.location),
      error: alert.error,
      ...withStatus(alert.statusCode),
      resultId: alert.resultId,
      resultLink: alert.resultLink,
      location: alert.location,
      seen: [key],
      owners: [],
      version: 1,
      shownVersion: 0,
    },
    outcome: 'opened',
  };
}

function marker(alert: Alert, where: { teamId: string; channel: string }): Incident {
  return {
    id: '',
    ...whichCheck(alert, where),
    state: 'recovered',
    failed: false,
    startedAt: alert.startedAt,
    alerts: 0,
    locations: [],
    error: '',
    resultId: '',
    resultLink: '',
    location: '',
    seen: [],
    owners: [],
    marker: true,
    version: 0,
    shownVersion: 0,
  };
}

/** The check an incident is about, and where it is shown. */
function whichCheck(alert: Alert, where: { teamId: string; channel: string }) {
  return {
    teamId: where.teamId,
    channel: where.channel,
    checkId: alert.checkId,
    checkName: alert.checkName,
    checkType: alert.checkType,
    groupName: alert.groupName,
  };
}

function withStatus(statusCode: number | undefined): { statusCode?: number } {
  return statusCode === undefined ? {} : { statusCode };
}

function addLocation(locations: readonly string[], location: string): string[] {
  if (location === '' || locations.includes(location)) return [...locations];
  return [...locations, location].slice(0, LOCATIONS);
}

/** "I'm on it": `userId` joins the owners (once); the message shows them. */
export function addOwner(incident: Incident, userId: string): Incident {
  if (incident.owners.includes(userId)) return incident;
  return { ...incident, owners: [...incident.owners, userId].slice(0, 20), version: incident.version + 1 };
}

/** Whether the message is behind the incident and nobody (alive) is showing it. */
export function needsShowing(incident: Incident, now: number): boolean {
  return !incident.marker && incident.shownVersion < incident.version && (incident.lease === undefined || incident.lease.until <= now);
}
