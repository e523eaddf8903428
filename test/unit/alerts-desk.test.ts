/**
 * The desk's hold on an incident and the message's first post: what a process leaves behind when
 * Slack refuses the post, does not answer it, or the process dies between Slack taking it and the
 * app recording its ts. Two desks on one set of records play two processes.
 */
import { webApi } from '@slack/bolt';
import { EARLIER_POST } from '../../src/blocks/alert';
import { EARLIER_ROLLUP } from '../../src/blocks/alert-rollup';
import type { SlackMessage } from '../../src/blocks/message';
import type { Connection } from '../../src/alerts/connections';
import { type AlertChat, IncidentDesk, incidentKey } from '../../src/alerts/desk';
import type { Incident } from '../../src/alerts/incident';
import type { Alert, AlertType } from '../../src/alerts/payload';
import { Rollups } from '../../src/alerts/rollup';
import { MemoryRecords, type Records } from '../../src/runs/records';
import { createLogger } from '../../src/shared/log';
import { waitFor } from '../helpers';

const CHECK = '0bbfc00c-44df-46a7-a4d9-ba38deca8bfd';
const CONNECTION: Connection = {
  teamId: 'T0FAKE',
  channel: 'C0ALERTS',
  alertChannelId: 1,
  expression: 'prod',
  subscribed: [CHECK],
  webhookSecret: 's',
  by: 'U1',
  at: 0,
};
const KEY = incidentKey('T0FAKE', 'C0ALERTS', CHECK);
const T0 = Date.parse('2026-12-05T03:00:00Z');
const logger = createLogger({ level: 'silent' });

function alert(type: AlertType, n: number, checkId = CHECK): Alert {
  return {
    type,
    checkId,
    checkName: 'Checkout API',
    checkType: 'API',
    resultId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    resultLink: `https://app.checklyhq.com/results/${n}`,
    location: 'eu-west-1',
    startedAt: T0 + n * 60_000,
    tags: ['prod'],
    groupName: '',
    error: `error ${n}`,
  };
}

function platformError(error: string): Error {
  return Object.assign(new Error(error), { code: webApi.ErrorCode.PlatformError, data: { ok: false, error } });
}

type PostOutcome = 'ok' | 'refused' | 'unanswered' | 'hang';

/** A channel as Slack keeps it, and what the next posts answer ('ok' once the list is used up). */
class Channel implements AlertChat {
  readonly messages = new Map<string, SlackMessage>();
  readonly replies: SlackMessage[] = [];
  next: PostOutcome[] = [];
  /** Updates Slack refuses before it takes them again. */
  refuseUpdates = 0;
  private counter = 0;

  async post(_channel: string, message: SlackMessage, threadTs?: string): Promise<string> {
    if (threadTs !== undefined) {
      this.replies.push(message);
      return `${threadTs}.reply`;
    }
    const outcome = this.next.shift() ?? 'ok';
    if (outcome === 'refused') throw platformError('channel_not_found');
    const ts = `1700000000.${String(++this.counter).padStart(6, '0')}`;
    this.messages.set(ts, message);
    if (outcome === 'unanswered') throw new Error('Slack did not answer in time');
    // Slack took it; the process dies before it hears back.
    if (outcome === 'hang') return new Promise<string>(() => undefined);
    return ts;
  }

  async update(_channel: string, ts: string, message: SlackMessage): Promise<void> {
    if (!this.messages.has(ts)) throw platformError('message_not_found');
    if (this.refuseUpdates > 0) {
      this.refuseUpdates -= 1;
      throw platformError('internal_error');
    }
    this.messages.set(ts, message);
  }
}

const say = (message: SlackMessage | undefined): string => JSON.stringify(message ?? {});

describe('an incident desk and its first post', () => {
  let now: number;
  let records: MemoryRecords;
  let channel: Channel;
  let ids: number;

  const desk = (store: Records = records): IncidentDesk => {
    const clock = () => now;
    const newId = () => `id-${++ids}`;
    const rollups = new Rollups({ records: store, chat: channel, now: clock, newId, logger });
    return new IncidentDesk({ records: store, chat: channel, rollups, now: clock, newId, logger });
  };
  const stored = async (): Promise<Incident> => (await records.read(KEY)) as Incident;
  const take = async (d: IncidentDesk, type: AlertType, n: number) => (await d.take(CONNECTION, alert(type, n))).shown;

  beforeEach(() => {
    now = T0;
    records = new MemoryRecords(() => now);
    channel = new Channel();
    ids = 0;
  });

  test('the change that records the posted message lets go of the hold: a process killed right after leaves nothing to wait out', async () => {
    // The first process dies the moment the store has taken the message's ts: it never writes again.
    let dead = false;
    const mortal: Records = {
      read: (key) => (dead ? new Promise(() => undefined) : records.read(key)),
      change: async (key, change, ttlMs) => {
        if (dead) return new Promise(() => undefined);
        const after = await records.change(key, change, ttlMs);
        if (key === KEY && (after as Incident).ts !== undefined) dead = true;
        return after;
      },
    };
    void take(desk(mortal), 'ALERT_FAILURE', 1);
    await waitFor(() => dead);
    const incident = await stored();
    expect(incident.ts).toBeDefined();
    expect(incident.shownVersion).toBe(incident.version);
    expect(incident.lease).toBeUndefined();
    expect(incident.posts).toBe(1);
    // Another process takes the recovery at once and updates the same message.
    await take(desk(), 'ALERT_RECOVERY', 2);
    expect(channel.messages.size).toBe(1);
    expect(say(channel.messages.get(incident.ts!))).toMatch(/recovered after/);
    expect(say(channel.messages.get(incident.ts!))).not.toContain(EARLIER_POST);
  });

  test('a post Slack refused is not in the channel: the post that follows says nothing of an earlier one', async () => {
    channel.next = ['refused'];
    const d = desk();
    await take(d, 'ALERT_FAILURE', 1);
    expect(channel.messages.size).toBe(0);
    expect((await stored()).posts ?? 0).toBe(0);
    await d.sweep();
    expect(channel.messages.size).toBe(1);
    expect(say([...channel.messages.values()][0])).not.toContain(EARLIER_POST);
  });

  test('a post Slack took but did not answer: the next post says an earlier message may be above, and keeps saying it as it is updated', async () => {
    channel.next = ['unanswered'];
    const d = desk();
    await take(d, 'ALERT_FAILURE', 1);
    expect(channel.messages.size).toBe(1);
    expect(say([...channel.messages.values()][0])).not.toContain(EARLIER_POST);
    await d.sweep();
    expect(channel.messages.size).toBe(2);
    const { ts } = await stored();
    expect(say(channel.messages.get(ts!))).toContain(EARLIER_POST);
    await take(d, 'ALERT_FAILURE_REMAIN', 2);
    expect(say(channel.messages.get(ts!))).toMatch(/2 alerts/);
    expect(say(channel.messages.get(ts!))).toContain(EARLIER_POST);
  });

  test('a process gone between Slack taking the post and recording it: the next one waits out its hold, then posts once, saying so, with the recovery and its reply', async () => {
    channel.next = ['hang'];
    void take(desk(), 'ALERT_FAILURE', 1);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(channel.messages.size).toBe(1);
    const held = await stored();
    expect(held.lease).toBeDefined();
    expect(held.ts).toBeUndefined();

    const next = desk();
    await take(next, 'ALERT_RECOVERY', 2);
    await next.sweep();
    expect(channel.messages.size).toBe(1);
    now = held.lease!.until;
    await next.sweep();
    expect(channel.messages.size).toBe(2);
    const { ts, lease } = await stored();
    const shown = say(channel.messages.get(ts!));
    expect(shown).toMatch(/recovered after/);
    expect(shown).toContain(EARLIER_POST);
    expect(lease).toBeUndefined();
    expect(channel.replies).toHaveLength(1);
    await next.sweep();
    expect(channel.messages.size).toBe(2);
  });

  describe('in a storm (more than 5 incidents at once: the roll-up)', () => {
    const checks = Array.from({ length: 7 }, (_, i) => `00000000-0000-4000-8000-0000000000${String(i + 10)}`);
    const rollupMessage = (): SlackMessage | undefined => [...channel.messages.values()].find((m) => /Outage/.test(say(m)));

    test('a roll-up update Slack refused is shown by the next sweep', async () => {
      const d = desk();
      for (const [i, check] of checks.entries()) await (await d.take(CONNECTION, alert('ALERT_FAILURE', i + 1, check))).shown;
      expect(say(rollupMessage())).toMatch(/Outage: 2 checks failing/);
      channel.refuseUpdates = 1;
      await (await d.take(CONNECTION, alert('ALERT_RECOVERY', 20, checks[6]))).shown;
      expect(say(rollupMessage())).toMatch(/Outage: 2 checks failing/);
      await d.sweep();
      expect(say(rollupMessage())).toMatch(/Outage: 1 check failing\* · 1 recovered/);
      expect(say(rollupMessage())).not.toContain(EARLIER_ROLLUP);
    });

    test('a roll-up post Slack took without answering: the next sweep posts it again, saying an earlier one may be above', async () => {
      channel.next = ['ok', 'ok', 'ok', 'ok', 'ok', 'unanswered'];
      const d = desk();
      for (const [i, check] of checks.slice(0, 6).entries()) await (await d.take(CONNECTION, alert('ALERT_FAILURE', i + 1, check))).shown;
      const outages = () => [...channel.messages.values()].filter((m) => /Outage/.test(say(m)));
      expect(outages()).toHaveLength(1);
      expect(channel.replies).toHaveLength(0);
      await d.sweep();
      expect(outages()).toHaveLength(2);
      expect(say(outages()[1])).toMatch(/Outage: 1 check failing/);
      expect(say(outages()[1])).toContain(EARLIER_ROLLUP);
      expect(say(outages()[0])).not.toContain(EARLIER_ROLLUP);
      expect(channel.replies).toHaveLength(1);
      await d.sweep();
      expect(outages()).toHaveLength(2);
    });
  });
});
