/**
 * The fake Slack is as strict as Slack about workflow steps and the Home tab: a step is completed
 * only with its own token, once, with the outputs its function declares, and within the token's 15
 * minutes; a Home tab view keeps to a home view's fields and limits.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';
import type { FunctionDefinition } from '../fakes/slack-functions';

const BOT = 'xoxb-test';
const STEP: FunctionDefinition = {
  title: 'Run',
  input_parameters: { properties: { target: { type: 'string' }, channel: { type: 'slack#/types/channel_id' } }, required: ['target', 'channel'] },
  output_parameters: { properties: { status: { type: 'string' }, passed: { type: 'integer' } }, required: ['status', 'passed'] },
};

describe('fake Slack: workflow steps and the Home tab', () => {
  let fake: FakeSlack;
  let clock: number;
  const client = (token: string) => new WebClient(token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  const errorOf = (call: Promise<unknown>) =>
    call.then(
      () => 'ok',
      (err: { data?: { error?: string } }) => err.data?.error,
    );

  beforeEach(async () => {
    clock = 1_700_000_000_000;
    fake = await startFakeSlack({ botToken: BOT, teamId: 'T1', now: () => clock, functions: { run_step: STEP } });
  });
  afterEach(() => fake.close());

  test('a step’s event carries its inputs and its own token; Workflow Builder runs no step without its required inputs', () => {
    const { execution, envelope } = fake.functions.execute('run_step', { target: 'prod', channel: 'C1X' });
    expect(envelope).toMatchObject({
      type: 'event_callback',
      team_id: 'T1',
      event: {
        type: 'function_executed',
        function: { callback_id: 'run_step' },
        inputs: { target: 'prod', channel: 'C1X' },
        function_execution_id: execution.id,
        bot_access_token: execution.token,
      },
    });
    expect(execution.token).toMatch(/^xwfp-/);
    expect(() => fake.functions.execute('run_step', { target: 'prod' })).toThrow('inputs.channel is required');
    expect(() => fake.functions.execute('run_step', { target: 'prod', channel: 'general' })).toThrow('inputs.channel must be of type slack#/types/channel_id');
  });

  test('completed only with the step’s own token, once; the outputs as declared', async () => {
    const { execution } = fake.functions.execute('run_step', { target: 'prod', channel: 'C1X' });
    const other = fake.functions.execute('run_step', { target: 'prod', channel: 'C1X' }).execution;
    const complete = (token: string, outputs: Record<string, unknown>) =>
      errorOf(client(token).functions.completeSuccess({ function_execution_id: execution.id, outputs }));
    expect(await complete(BOT, { status: 'passed', passed: 1 })).toBe('access_denied');
    expect(await complete(other.token, { status: 'passed', passed: 1 })).toBe('access_denied');
    expect(await complete(execution.token, { status: 'passed' })).toBe('parameter_validation_failed');
    expect(await complete(execution.token, { status: 'passed', passed: '1' })).toBe('parameter_validation_failed');
    expect(await complete(execution.token, { status: 'passed', passed: 1, extra: true })).toBe('parameter_validation_failed');
    expect(execution.completed).toBeUndefined();
    expect(await complete(execution.token, { status: 'passed', passed: 1 })).toBe('ok');
    expect(execution.completed).toEqual({ at: clock, outputs: { status: 'passed', passed: 1 } });
    // A second completion, of either kind: as Slack answers it.
    expect(await complete(execution.token, { status: 'failed', passed: 0 })).toBe('function_execution_not_found');
    expect(await errorOf(client(execution.token).functions.completeError({ function_execution_id: execution.id, error: 'no' }))).toBe(
      'function_execution_not_found',
    );
    // The token is revoked once its step completed.
    expect(await errorOf(client(execution.token).chat.postMessage({ channel: 'C1X', text: 'hi' }))).toBe('token_revoked');
    expect(await errorOf(client(other.token).chat.postMessage({ channel: 'C1X', text: 'hi' }))).toBe('ok');
  });

  test('a step’s token expires 15 minutes after it was issued', async () => {
    const { execution } = fake.functions.execute('run_step', { target: 'prod', channel: 'C1X' });
    clock += 15 * 60_000 + 1;
    expect(await errorOf(client(execution.token).functions.completeError({ function_execution_id: execution.id, error: 'late' }))).toBe('token_expired');
    expect(await errorOf(client(execution.token).chat.postMessage({ channel: 'C1X', text: 'hi' }))).toBe('token_expired');
    expect(execution.completed).toBeUndefined();
  });

  test('views.publish takes a home view within its limits, and refuses what Slack refuses', async () => {
    const bot = client(BOT);
    const section = (i: number) => ({ type: 'section', text: { type: 'mrkdwn', text: `row ${i}` } });
    const publish = (view: Record<string, unknown>, user = 'U1X', hash?: string) =>
      errorOf(bot.views.publish({ user_id: user, view: { type: 'home', ...view } as never, ...(hash ? { hash } : {}) }));
    expect(await publish({ blocks: Array.from({ length: 100 }, (_, i) => section(i)) })).toBe('ok');
    expect(fake.views.home('U1X')?.versions).toHaveLength(1);
    expect(await publish({ blocks: Array.from({ length: 101 }, (_, i) => section(i)) })).toBe('invalid_arguments');
    expect(await publish({ blocks: [], title: { type: 'plain_text', text: 'Home' } })).toBe('invalid_arguments');
    expect(await publish({ blocks: [], private_metadata: 'x'.repeat(3001) })).toBe('invalid_arguments');
    expect(await publish({ blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] })).toBe('invalid_arguments');
    expect(await publish({ blocks: [] }, 'C1X')).toBe('invalid_arguments');
    expect(await publish({ blocks: [] }, 'U1X', 'stale-hash')).toBe('hash_conflict');
    expect(await errorOf(bot.views.publish({ user_id: 'U1X', view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] } }))).toBe(
      'invalid_arguments',
    );
    expect(fake.views.home('U1X')?.versions).toHaveLength(1);
  });

  test('an overflow menu holds 2 to 5 options', async () => {
    const menu = (n: number) => ({
      type: 'actions',
      elements: [
        {
          type: 'overflow',
          action_id: 'more',
          options: Array.from({ length: n }, (_, i) => ({ text: { type: 'plain_text', text: `o${i}` }, value: `v${i}` })),
        },
      ],
    });
    const post = (n: number) => errorOf(client(BOT).chat.postMessage({ channel: 'C1X', text: 'x', blocks: [menu(n) as never] }));
    expect(await post(1)).toBe('invalid_blocks');
    expect(await post(2)).toBe('ok');
    expect(await post(5)).toBe('ok');
    expect(await post(6)).toBe('invalid_blocks');
  });
});
