/**
 * A workflow step outlives the process that started its run: killed mid-run, the next process (or
 * another replica on the same Redis) follows the run to its end and completes the step, once, with
 * the step's own token kept beside the run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { postEvent } from '../fakes/sign';
import type { FakeExecution } from '../fakes/slack-functions';
import { redisPrefixForThisBlock } from '../helpers';
import { childApps, type AppProcess } from './child';
import { SECRETS, waitFor } from './harness';

const fx = childApps({ CHECKLY_POLL_WAIT_SECONDS: '2', SLACK_UPDATE_INTERVAL_MS: '200', RUN_SWEEP_INTERVAL_MS: '1000' });

function completions(execution: FakeExecution) {
  return fx.slack.calls.filter((c) => c.method.startsWith('functions.complete') && c.args.function_execution_id === execution.id);
}

async function startStep(app: AppProcess, inputs: Record<string, unknown>): Promise<FakeExecution> {
  const { execution, envelope } = fx.slack.functions.execute('run_checkly_checks', inputs);
  expect((await postEvent(app.eventsUrl, envelope, SECRETS.signingSecret)).status).toBe(200);
  return execution;
}

describe('a workflow step whose run is cut off by a restart', () => {
  test('SIGKILL while its run is under way: the next process completes the step once, with the step’s token', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'checkly-slack-step-restart-'));
    fx.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 300 });
    fx.checkly.addCheck({ name: 'Slow page', tags: ['public'], durationMs: 5000 });

    const first = await launchStarted({ STATE_DIR: stateDir });
    const execution = await startStep(first, { target: 'public', channel: 'C0OPS' });
    await waitFor(() => first.logged('following run'), 10_000, 'the run under way');
    first.kill('SIGKILL');
    await first.exited();
    expect(execution.completed).toBeUndefined();

    await launchStarted({ STATE_DIR: stateDir });
    await waitFor(() => execution.completed, 30_000, 'the step to be completed by the next process');
    expect(execution.completed).toMatchObject({ outputs: { status: 'passed', passed: 2, failed: 0 } });
    expect(completions(execution).map((c) => [c.method, c.token, c.error])).toEqual([['functions.completeSuccess', execution.token, undefined]]);
    expect(fx.checkly.requests.filter((r) => r.op === 'trigger' && r.status === 201)).toHaveLength(1);
  }, 60_000);
});

describe('a workflow step on replicas sharing one Redis', () => {
  const prefix = redisPrefixForThisBlock('step');

  test('the replica that got the step dies while following its run: the other one ends the run and completes the step, once', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: prefix, STATE_DIR: '/nonexistent-unused' };
    fx.checkly.addCheck({ name: 'Homepage', tags: ['public'], durationMs: 300 });
    fx.checkly.addCheck({ name: 'Checkout', tags: ['public'], durationMs: 5000, outcome: 'FAILED', errorMessage: 'boom' });
    const a = await launchStarted(env);
    const b = await launchStarted(env);

    const execution = await startStep(a, { target: 'public', channel: 'C0OPS' });
    const runId = (await waitFor(() => [a, b].flatMap((p) => p.lines).find((l) => l.msg === 'following run')?.runId, 10_000, 'a follower')) as string;
    const follower = a.logged('following run', runId) ? a : b;
    const other = follower === a ? b : a;
    follower.kill('SIGKILL');
    await follower.exited();

    await waitFor(() => execution.completed, 40_000, 'the other replica to complete the step');
    expect(execution.completed).toMatchObject({ outputs: { status: 'failed', passed: 1, failed: 1 } });
    expect(completions(execution).map((c) => [c.method, c.token])).toEqual([['functions.completeSuccess', execution.token]]);
    // Its log line comes through a pipe, after Slack has taken the completion: wait for it.
    await waitFor(() => other.logged('workflow step completed'), 10_000, 'the other replica to log the completion');
  }, 90_000);
});

function launchStarted(env: Record<string, string>): Promise<AppProcess> {
  return fx.launch(env).started();
}
