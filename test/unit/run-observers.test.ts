/**
 * The way back: the runner tells its observers what happened (runs/lifecycle.ts), and the metrics and
 * the run API's waiters listen. A real runner over the runner fixture, on jest's fake clock.
 */
import { RunEvents } from '../../src/api/run-events';
import { Metrics } from '../../src/ops/metrics';
import { runAudit } from '../../src/ops/run-audit';
import { runMetrics } from '../../src/ops/run-metrics';
import { createLogger } from '../../src/shared/log';
import { request, useRunnerFixture } from './runner-fixture';

const make = useRunnerFixture();

async function sample(metrics: Metrics, series: string): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('the runner tells its observers', () => {
  test('the metrics: a run counts as started when its message is posted (a rerun as a rerun, none when the bot cannot post), and as finished once, by outcome', async () => {
    const { runner, checkly, messages, start } = make();
    const metrics = new Metrics({ defaultMetrics: false });
    runner.observe(runMetrics(metrics));
    await start();
    const started = await runner.start(request);
    if (!('run' in started)) throw new Error('not started');
    messages.postFailure = 'not_in_channel';
    await runner.start({ ...request, channel: 'C0NOPE' });
    messages.postFailure = undefined;
    await jest.advanceTimersByTimeAsync(10);
    checkly.finish('s1', 'FAILED');
    checkly.finish('s2', 'PASSED');
    await jest.advanceTimersByTimeAsync(1500);
    expect(await sample(metrics, 'checkly_slack_runs_started_total{kind="command"}')).toBe(1);
    expect(await sample(metrics, 'checkly_slack_runs_finished_total{outcome="failed"}')).toBe(1);
    // Showing the final state again (the sweep's retries) counts nothing more.
    await runner.sweep();
    expect(await sample(metrics, 'checkly_slack_runs_finished_total{outcome="failed"}')).toBe(1);

    const parent = await runner.get(started.run.id);
    const rerun = await runner.rerun(parent!, 'failed', 'U2');
    expect(rerun.kind).toBe('started');
    expect(await sample(metrics, 'checkly_slack_runs_started_total{kind="rerun"}')).toBe(1);
  });

  test("the run API's waiters: a run that ends wakes the listeners of that run, and nobody while it goes on", async () => {
    const { runner, checkly, start } = make();
    const events = new RunEvents();
    runner.observe(events);
    await start();
    const started = await runner.start(request);
    if (!('run' in started)) throw new Error('not started');
    const heard: string[] = [];
    const stop = events.onOver(started.run.id, () => heard.push('over'));
    events.onOver('another-run', () => heard.push('another'));
    await jest.advanceTimersByTimeAsync(10);
    checkly.finish('s1', 'PASSED');
    await jest.advanceTimersByTimeAsync(1500);
    expect(heard).toEqual([]); // one session still running
    checkly.finish('s2', 'PASSED');
    await jest.advanceTimersByTimeAsync(1500);
    expect(heard).toEqual(['over']);
    stop();
    expect(events.waiting).toBe(1);
    await events.close();
  });

  test('an observer that throws changes nothing of the run', async () => {
    const { runner, checkly, store, start } = make();
    runner.observe({
      posted: () => {
        throw new Error('observer down');
      },
      over: () => {
        throw new Error('observer down');
      },
    });
    await start();
    const started = await runner.start(request);
    if (!('run' in started)) throw new Error('not started');
    await jest.advanceTimersByTimeAsync(10);
    checkly.finish('s1', 'PASSED');
    checkly.finish('s2', 'PASSED');
    await jest.advanceTimersByTimeAsync(1500);
    expect((await store.get(started.run.id))?.phase).toBe('final');
  });

  test('the audit trail: a line per run asked for, naming the person or the token, and what came of it', async () => {
    const { runner, messages, start } = make();
    const lines: Array<Record<string, unknown>> = [];
    runner.observe(runAudit(createLogger({ level: 'info', destination: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) } })));
    await start();
    await runner.start({ ...request, origin: { kind: 'modal', userId: 'U7' } });
    await runner.start({ ...request, origin: { kind: 'api', token: 'deploy-web' } });
    messages.postFailure = 'channel_not_found';
    await runner.start(request);
    expect(lines.map((l) => [l.action, l.userId, l.via, l.token, l.outcome, l.reason, (l.sessions as string[]).length, l.target])).toEqual([
      ['trigger', 'U7', 'modal', undefined, 'started', undefined, 2, 'prod'],
      ['trigger', 'api:deploy-web', 'api', 'deploy-web', 'started', undefined, 2, 'prod'],
      ['trigger', 'U1', 'command', undefined, 'unreachable', 'channel_not_found', 0, 'prod'],
    ]);
    expect(lines.every((l) => l.audit === true && l.channelId === 'C1' && l.teamId === 'T1')).toBe(true);
  });
});
