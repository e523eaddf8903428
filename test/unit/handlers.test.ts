/**
 * The listeners as Bolt calls them, with a fake `ack` and `respond` (as the Bolt starter template
 * tests its listeners): the slash command, Rerun and Cancel. Behind them, the real run service over
 * the runner fixture (in-memory store, fake Slack messages, fake Checkly) on jest's fake clock.
 */
import type { AccessPolicy } from '../../src/access/policy';
import { cancelAction } from '../../src/buttons/cancel';
import type { ButtonDeps } from '../../src/buttons/deps';
import { rerunAction } from '../../src/buttons/rerun';
import { encodeButtonValue } from '../../src/blocks/actions';
import { renderCancelled, renderRerunInProgress, renderRunNotRunning, renderUnknownRun } from '../../src/blocks/clicks';
import { renderHelp, renderNotInChannel, renderTriggering } from '../../src/blocks/ephemeral';
import { refusalText } from '../../src/blocks/refusal';
import { checklyCommand, type CommandDeps } from '../../src/commands/checkly';
import type { ListingDeps } from '../../src/listing/deps';
import type { PickerDeps } from '../../src/picker/deps';
import { runAudit } from '../../src/ops/run-audit';
import { createLogger } from '../../src/shared/log';
import { RunService } from '../../src/runs/service';
import type { Session } from '../../src/runs/types';
import { aRun, useRunnerFixture } from './runner-fixture';
import { runChain } from '../helpers';
import type { BlockButtonAction, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';

const makeRunner = useRunnerFixture();

const PERMALINK = 'https://example.slack.com/archives/C1/p1700000000000001';

function make(policy: AccessPolicy = { allowAll: false }) {
  const s = makeRunner();
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) } });
  s.runner.observe(runAudit(logger));
  const runs = new RunService({ runner: s.runner, permalinks: { of: async () => PERMALINK } });
  const refused: string[] = [];
  const common = { runs, commandName: '/checkly', logger, access: { policy }, metrics: { refused: (rule: string) => void refused.push(rule) } };
  const commandDeps: CommandDeps = { ...common, now: Date.now, picker: {} as PickerDeps, listing: {} as ListingDeps };
  const actionDeps: ButtonDeps = common;
  const audits = () => logs.filter((l) => l.audit === true);
  return { ...s, runs, commandDeps, actionDeps, audits, refused };
}

type CommandArgs = Parameters<typeof runChain<SlackCommandMiddlewareArgs>>[1];
type ButtonArgs = Parameters<typeof runChain<SlackActionMiddlewareArgs<BlockButtonAction>>>[1];

/** What Bolt hands a slash-command listener, with `ack` and `respond` recording their calls. */
function slashCommand(text: string, channel = 'C1') {
  const ack = jest.fn(async () => undefined);
  const respond = jest.fn(async () => undefined);
  const args = {
    command: { text, user_id: 'U1', team_id: 'T1', channel_id: channel, trigger_id: 'trigger' },
    ack,
    respond,
    client: {},
  } as unknown as CommandArgs;
  return { args, ack, respond };
}

/** What Bolt hands a button listener. */
function click(value: string, user = 'U2', channel = 'C1') {
  const ack = jest.fn(async () => undefined);
  const respond = jest.fn(async () => undefined);
  const args = {
    action: { type: 'button', action_id: 'x', value },
    body: { user: { id: user }, team: { id: 'T1' }, channel: { id: channel } },
    ack,
    respond,
    client: {},
  } as unknown as ButtonArgs;
  return { args, ack, respond };
}

const FAILED: Session = { sessionId: 'p1', checkId: 'c1', name: 'C1', checkType: 'API', link: 'l', status: 'FAILED', locations: [], failedLocations: [] };

describe('the slash command', () => {
  test('help is the acknowledgement itself, and nothing else is said or started', async () => {
    const s = make();
    const { args, ack, respond } = slashCommand('help');
    await runChain(checklyCommand(s.commandDeps), args);
    expect(ack).toHaveBeenCalledWith({ response_type: 'ephemeral', ...renderHelp('/checkly') });
    expect(respond).not.toHaveBeenCalled();
    expect(s.messages.posts).toHaveLength(0);
  });

  test('bad input is answered in the acknowledgement and triggers nothing', async () => {
    const s = make();
    const { args, ack } = slashCommand('run --check not-a-uuid');
    await runChain(checklyCommand(s.commandDeps), args);
    expect(ack).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(ack.mock.calls[0])).toContain('not-a-uuid');
    expect(s.checkly.triggers).toHaveLength(0);
    expect(s.audits()).toEqual([]);
  });

  test('a run is acknowledged with what will be triggered, then started through the service with its origin', async () => {
    const s = make();
    const triggered = jest.spyOn(s.checkly, 'trigger');
    const { args, ack, respond } = slashCommand('run prod');
    await runChain(checklyCommand(s.commandDeps), args);
    expect(ack.mock.invocationCallOrder[0]).toBeLessThan(triggered.mock.invocationCallOrder[0]!);
    expect(ack).toHaveBeenCalledWith({ response_type: 'ephemeral', ...renderTriggering({ tags: [['prod']], checkIds: [], all: false }) });
    // Once the run message is posted, the "Triggering checks…" note goes (and nothing else is said).
    expect(respond.mock.calls).toEqual([[{ delete_original: true }]]);
    expect(s.checkly.triggers).toHaveLength(1);
    expect(s.messages.posts.map((r) => r.origin)).toEqual([{ kind: 'command', userId: 'U1' }]);
    expect(s.audits()).toEqual([
      expect.objectContaining({ action: 'trigger', via: 'command', outcome: 'started', target: 'prod', userId: 'U1', sessions: ['s1', 's2'] }),
    ]);
  });

  test('a channel the bot cannot post in is said after the acknowledgement, and nothing is triggered', async () => {
    const s = make();
    s.messages.postFailure = 'not_in_channel';
    const { args, respond } = slashCommand('run prod');
    await runChain(checklyCommand(s.commandDeps), args);
    expect(respond).toHaveBeenCalledWith({ response_type: 'ephemeral', replace_original: false, ...renderNotInChannel('/checkly', 'not_in_channel') });
    expect(s.checkly.triggers).toHaveLength(0);
    expect(s.audits()).toEqual([expect.objectContaining({ outcome: 'unreachable', reason: 'not_in_channel' })]);
  });

  test('a refused run is refused in the acknowledgement, counted and audited, and nothing is posted', async () => {
    const s = make({ allowAll: false, allowedChannels: new Set(['C9']) });
    const { args, ack } = slashCommand('run prod');
    await runChain(checklyCommand(s.commandDeps), args);
    const reason = refusalText({ allowed: false, rule: 'channel', action: 'run', channels: ['C9'] });
    expect(ack).toHaveBeenCalledWith({
      response_type: 'ephemeral',
      text: expect.any(String),
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: reason } }],
    });
    expect(reason).toContain('<#C9>');
    expect(s.refused).toEqual(['channel']);
    expect(s.messages.posts).toHaveLength(0);
    expect(s.audits()).toEqual([expect.objectContaining({ outcome: 'refused', reason: 'channel', via: 'command' })]);
  });

  test('status lists the runs in progress here with their links', async () => {
    const s = make();
    await s.store.create(aRun({ id: 'going', ts: '1700000000.000001', sessions: [{ ...FAILED, status: 'PROGRESS' }] }));
    const { args, ack, respond } = slashCommand('status');
    await runChain(checklyCommand(s.commandDeps), args);
    expect(ack).toHaveBeenCalledWith();
    expect(respond).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(respond.mock.calls[0])).toContain(PERMALINK);
  });
});

describe('Rerun', () => {
  async function finishedParent(s: ReturnType<typeof make>) {
    await s.store.create(aRun({ id: 'parent', ts: '1700000000.000100', phase: 'final', finishedAt: Date.now(), settledAt: Date.now(), sessions: [FAILED] }));
  }

  test('is acknowledged first; a started rerun says nothing more (its message is in the thread)', async () => {
    const s = make();
    await finishedParent(s);
    const triggered = jest.spyOn(s.checkly, 'trigger');
    const { args, ack, respond } = click(encodeButtonValue({ run: 'parent' }));
    await runChain(rerunAction(s.actionDeps, 'failed'), args);
    expect(ack).toHaveBeenCalledWith();
    expect(ack.mock.invocationCallOrder[0]).toBeLessThan(triggered.mock.invocationCallOrder[0]!);
    expect(respond).not.toHaveBeenCalled();
    expect(s.checkly.triggers.map((t) => t.target?.checkId)).toEqual([['c1']]);
    expect(s.messages.posts[0]?.threadTs).toBe('1700000000.000100');
    expect(s.audits()).toEqual([expect.objectContaining({ action: 'rerun', outcome: 'started', fromRunId: 'parent', via: 'button', userId: 'U2' })]);
  });

  test('a second click while it runs is told where the rerun is', async () => {
    const s = make();
    await finishedParent(s);
    s.checkly.hold = true;
    const first = runChain(rerunAction(s.actionDeps, 'failed'), click(encodeButtonValue({ run: 'parent' })).args);
    await jest.advanceTimersByTimeAsync(10);
    const second = click(encodeButtonValue({ run: 'parent' }), 'U3');
    await runChain(rerunAction(s.actionDeps, 'failed'), second.args);
    const ref = (await s.store.get('parent'))!.reruns![0]!;
    expect(second.respond).toHaveBeenCalledWith({ response_type: 'ephemeral', replace_original: false, ...renderRerunInProgress(ref, PERMALINK) });
    s.checkly.release();
    await first;
    expect(s.checkly.triggers).toHaveLength(1);
  });

  test('a run the app no longer knows, or a value not ours, is answered as unknown', async () => {
    const s = make();
    for (const value of [encodeButtonValue({ run: 'gone' }), 'not json']) {
      const { args, ack, respond } = click(value);
      await runChain(rerunAction(s.actionDeps, 'failed'), args);
      expect(ack).toHaveBeenCalled();
      expect(respond).toHaveBeenCalledWith({ response_type: 'ephemeral', replace_original: false, ...renderUnknownRun('/checkly') });
    }
    expect(s.checkly.triggers).toHaveLength(0);
  });

  test('someone not allowed is refused and nothing is triggered', async () => {
    const s = make({ allowAll: false, allowedUsers: new Set(['U1']) });
    await finishedParent(s);
    const { args, respond } = click(encodeButtonValue({ run: 'parent' }), 'U2');
    await runChain(rerunAction(s.actionDeps, 'failed'), args);
    expect(JSON.stringify(respond.mock.calls[0])).toContain('not on the list of people who may run Checkly checks');
    expect(s.checkly.triggers).toHaveLength(0);
    expect(s.refused).toEqual(['user']);
  });
});

describe('Cancel', () => {
  test('cancels what is still running and audits those sessions', async () => {
    const s = make();
    await s.store.create(aRun({ id: 'r', ts: '1700000000.000300', sessions: [FAILED, { ...FAILED, sessionId: 'go', status: 'PROGRESS' }] }));
    const cancels = jest.spyOn(s.checkly, 'cancel');
    const { args, ack, respond } = click(encodeButtonValue({ run: 'r' }));
    await runChain(cancelAction(s.actionDeps), args);
    expect(ack).toHaveBeenCalledWith();
    expect(cancels.mock.calls.map((c) => c[0])).toEqual(['go']);
    expect(respond).toHaveBeenCalledWith({ response_type: 'ephemeral', replace_original: false, ...renderCancelled(1) });
    expect(s.audits()).toEqual([expect.objectContaining({ action: 'cancel', outcome: 'cancelled', runId: 'r', sessions: ['go'], via: 'button' })]);
  });

  test('a finished run has nothing to cancel', async () => {
    const s = make();
    await s.store.create(aRun({ id: 'r', phase: 'final', finishedAt: Date.now(), sessions: [FAILED] }));
    const { args, respond } = click(encodeButtonValue({ run: 'r' }));
    await runChain(cancelAction(s.actionDeps), args);
    expect(respond).toHaveBeenCalledWith({ response_type: 'ephemeral', replace_original: false, ...renderRunNotRunning() });
  });
});
