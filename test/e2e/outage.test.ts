/**
 * The outage run of issue 9: many checks failing at once, each with a long error. Slack refuses a
 * message whose blocks hold more than about 12,000 characters of text (the fake Slack too); the run
 * message must still reach its final state, and the thread must name every failed check.
 */
import type { FakeMessage } from '../fakes/slack';
import { RUN_MESSAGE_TEXT_TARGET, assertWithinSlackLimits, blocksTextLength } from '../unit/slack-limits';
import { findButton, messageText, startHarness, waitFor, type Harness, type HarnessOptions } from './harness';

const FAILING = 80;
const PASSING = 40;
const name = (i: number): string => `Outage API ${String(i).padStart(3, '0')}`;
/** 200 characters, one line, different for every check. */
const error200 = (i: number): string => `connect ETIMEDOUT 10.20.30.${i}:443 ${'upstream payments gateway did not answer in time; '.repeat(5)}`.slice(0, 200);

function addOutageChecks(h: Harness): void {
  for (let i = 0; i < FAILING; i++) {
    h.checkly.addCheck({
      name: name(i),
      tags: ['outage'],
      outcome: 'FAILED',
      errorMessage: error200(i),
      locations: ['eu-west-1', 'us-east-1'],
      durationMs: 200 + (i % 10) * 50,
    });
  }
  for (let i = 0; i < PASSING; i++) h.checkly.addCheck({ name: `Outage page ${i}`, tags: ['outage'], durationMs: 200 + (i % 10) * 50 });
}

async function outageRun(options: HarnessOptions): Promise<{ h: Harness; final: FakeMessage; replies: FakeMessage[] }> {
  const h = await startHarness(options);
  addOutageChecks(h);
  const ack = await h.command('run outage');
  expect(ack.status).toBe(200);
  const final = await waitFor(() => h.runMessages().find((m) => /took/.test(messageText(m))), 60_000, 'the final run message');
  // Every failed name, over as many thread replies as it takes.
  const replies = await waitFor(
    () => {
      const inThread = [...h.slack.messages.values()].filter((m) => m.thread_ts === final.ts);
      const text = inThread.map(messageText).join('\n');
      return Array.from({ length: FAILING }, (_, i) => name(i)).every((n) => text.includes(n)) ? inThread : undefined;
    },
    20_000,
    'every failed check named in the thread',
  );
  return { h, final, replies };
}

function expectFinalOutageMessage(final: FakeMessage): void {
  assertWithinSlackLimits(final);
  const text = messageText(final);
  expect(text).toContain('✅ 40 passed · ❌ 80 failed');
  expect(text).not.toContain('running');
  expect(findButton(final.blocks ?? [], 'run_rerun_failed')?.button.text.text).toBe(`Rerun failed (${FAILING})`);
  expect(findButton(final.blocks ?? [], 'run_cancel')).toBeUndefined();
  expect(text).toMatch(/❌ …and \d+ more failed \(listed in the thread\)/);
}

describe('an outage run: 120 checks, 80 failing with errors of 200 characters', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('the final message is taken by Slack as rendered, counts right, and the thread names every failure', async () => {
    const run = await outageRun({});
    h = run.h;
    expectFinalOutageMessage(run.final);
    expect(blocksTextLength(run.final.blocks)).toBeLessThan(RUN_MESSAGE_TEXT_TARGET);
    // The renderer kept within the budget on its own: Slack never had to refuse anything.
    expect(h.slack.rejections).toEqual([]);
    // The first reply mentions the requester; every reply is within Slack's limits.
    expect(run.replies[0]?.text).toContain('<@');
    for (const reply of run.replies) assertWithinSlackLimits(reply);
    const names =
      run.replies
        .map(messageText)
        .join('\n')
        .match(/Outage API \d{3}/g) ?? [];
    expect(new Set(names).size).toBe(FAILING);
  }, 90_000);

  test('a Slack that counts more and refuses the message as too long gets it smaller, never left running', async () => {
    // Refuses anything over 4,000 characters of text: the full message (up to 10,000) and the full
    // thread replies are refused, their smaller sizes are taken.
    const run = await outageRun({ slack: { blocksTextLimit: 4_000 } });
    h = run.h;
    expectFinalOutageMessage(run.final);
    expect(blocksTextLength(run.final.blocks)).toBeLessThanOrEqual(4_000);
    expect(h.slack.rejections.some((r) => r.error === 'msg_blocks_too_long')).toBe(true);
    expect(h.slack.rejections.every((r) => r.error === 'msg_blocks_too_long')).toBe(true);
    // Split over several smaller replies, each taken.
    expect(run.replies.length).toBeGreaterThan(1);
    for (const reply of run.replies) expect(blocksTextLength(reply.blocks)).toBeLessThanOrEqual(4_000);
    expect(h.logs.some((l) => l.includes('building it smaller'))).toBe(true);
  }, 90_000);
});
