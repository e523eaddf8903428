/** The CLI client's pure parts: its default Idempotency-Key in CI, and how long it waits before asking again. */
import path from 'node:path';

interface Client {
  ciKey(env: Record<string, string>, body: Record<string, unknown>): string | undefined;
  retryDelayMs(attempt: number, retryAfterMs?: number, random?: () => number): number;
  retryAfterMs(header: string | null, now?: number): number;
  readOptions(argv: string[], env: Record<string, string>): { failOn?: string; outputFile?: string };
  exitFor(run: { status: string; checks: Array<{ status: string; change: string | null }> }, failOn: string): number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const client = require(path.join(__dirname, '../../bin/checkly-slack-run.js')) as Client;

const body = { channel: 'C0OPS', target: 'prod,web' };
const github = {
  GITHUB_RUN_ID: '9876543210',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'deploy',
  GITHUB_ACTION: '__run_2',
  GITHUB_STEP_SUMMARY: '/home/runner/work/_temp/_runner_file_commands/step_summary_1cb22d7f-5663-41a8-9ffc-13472605c76c',
};

describe('the default Idempotency-Key in CI', () => {
  test('the same step sending the same request gets the same key: a retry answers its run', () => {
    expect(client.ciKey(github, body)).toBe(client.ciKey({ ...github }, { ...body }));
    expect(client.ciKey(github, body)).toMatch(/^github-9876543210-[0-9a-f]{16}-[0-9a-f]{16}$/);
  });

  test('two steps of one job, two legs of a matrix, another attempt: each its own key, with the same target', () => {
    const keys = [
      client.ciKey(github, body),
      client.ciKey({ ...github, GITHUB_ACTION: '__run_5', GITHUB_STEP_SUMMARY: `${github.GITHUB_STEP_SUMMARY.slice(0, -4)}9999` }, body),
      // A matrix leg: same job and step names, a step file of its own.
      client.ciKey({ ...github, GITHUB_STEP_SUMMARY: '/home/runner/work/_temp/_runner_file_commands/step_summary_0b7e…' }, body),
      client.ciKey({ ...github, GITHUB_RUN_ATTEMPT: '2' }, body),
    ];
    expect(new Set(keys).size).toBe(4);
  });

  test('another request from the same step gets another key (a pre-deploy and a post-deploy run)', () => {
    expect(client.ciKey(github, { ...body, title: 'Post-deploy' })).not.toBe(client.ciKey(github, { ...body, title: 'Pre-deploy' }));
    expect(client.ciKey(github, { ...body, channel: 'C0OTHER' })).not.toBe(client.ciKey(github, body));
  });

  test.each([
    ['gitlab', { CI_JOB_ID: '4242' }, { CI_JOB_ID: '4243' }],
    ['circleci', { CIRCLE_WORKFLOW_JOB_ID: 'a1', CIRCLE_NODE_INDEX: '0' }, { CIRCLE_WORKFLOW_JOB_ID: 'a1', CIRCLE_NODE_INDEX: '1' }],
    ['buildkite', { BUILDKITE_JOB_ID: 'b1' }, { BUILDKITE_JOB_ID: 'b2' }],
    [
      'azure',
      { SYSTEM_JOBID: 'j1', SYSTEM_JOBATTEMPT: '1', SYSTEM_TASKINSTANCEID: 't1' },
      { SYSTEM_JOBID: 'j1', SYSTEM_JOBATTEMPT: '1', SYSTEM_TASKINSTANCEID: 't2' },
    ],
    ['bitbucket', { BITBUCKET_BUILD_NUMBER: '7', BITBUCKET_STEP_UUID: '{s1}' }, { BITBUCKET_BUILD_NUMBER: '7', BITBUCKET_STEP_UUID: '{s2}' }],
    ['jenkins', { BUILD_TAG: 'jenkins-web-12', STAGE_NAME: 'pre' }, { BUILD_TAG: 'jenkins-web-12', STAGE_NAME: 'post' }],
  ])('%s: a key per job or step, printable, at most 200 characters', (ci, one, other) => {
    const key = client.ciKey(one, body);
    expect(key).toMatch(new RegExp(`^${ci}-`));
    expect(key).toMatch(/^[\x21-\x7e]{1,200}$/);
    expect(client.ciKey(one, body)).toBe(key);
    expect(client.ciKey(other, body)).not.toBe(key);
  });

  test('outside a known CI there is none (the client makes a new one per invocation)', () => {
    expect(client.ciKey({ PATH: '/usr/bin' }, body)).toBeUndefined();
  });
});

describe('asking again', () => {
  test('never sooner than a second, doubling with jitter over the upper half, up to 15 s', () => {
    const low = () => 0;
    const high = () => 1;
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => client.retryDelayMs(n, 0, low))).toEqual([1000, 1000, 2000, 4000, 7500, 7500, 7500]);
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => client.retryDelayMs(n, 0, high))).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });

  test("the app's Retry-After first, in seconds or as a date", () => {
    expect(client.retryDelayMs(1, client.retryAfterMs('7'), () => 0)).toBe(7000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(client.retryAfterMs('Thu, 01 Jan 2026 00:00:04 GMT', now)).toBe(4000);
    expect(client.retryAfterMs(null)).toBe(0);
    expect(client.retryAfterMs('soon')).toBe(0);
  });
});

describe('--fail-on and --output-file', () => {
  const required = ['--url', 'https://checkly-slack.example.com', '--token', 't', '--channel', 'C0OPS', '--target', 'prod'];

  test('--fail-on is "any" by default and when given, or "new"; anything else is bad usage', () => {
    expect(client.readOptions(required, {}).failOn).toBe('any');
    expect(client.readOptions([...required, '--fail-on', 'any'], {}).failOn).toBe('any');
    expect(client.readOptions([...required, '--fail-on', 'new'], {}).failOn).toBe('new');
    expect(() => client.readOptions([...required, '--fail-on', 'old'], {})).toThrow('--fail-on must be "any" or "new"');
    expect(() => client.readOptions([...required, '--fail-on', ''], {})).toThrow('--fail-on must be "any" or "new"');
  });

  test('--fail-on new: a failed run exits 1 only when a failure is new, or cannot be told; errors and cancels exit 1 as with any', () => {
    const check = (status: string, change: string | null) => ({ status, change });
    const old = {
      status: 'failed',
      checks: [check('failed', 'still_failing'), check('degraded', 'flaky'), check('passed', 'fixed'), check('cancelled', null)],
    };
    expect(client.exitFor(old, 'new')).toBe(0);
    expect(client.exitFor(old, 'any')).toBe(1);
    expect(client.exitFor({ status: 'failed', checks: [...old.checks, check('failed', 'new')] }, 'new')).toBe(1);
    expect(client.exitFor({ status: 'failed', checks: [check('failed', null)] }, 'new')).toBe(1);
    expect(client.exitFor({ status: 'failed', checks: [check('timedOut', 'unchanged')] }, 'new')).toBe(1);
    expect(client.exitFor({ status: 'failed', checks: [check('running', null)] }, 'new')).toBe(1);
    expect(client.exitFor({ status: 'error', checks: [] }, 'new')).toBe(1);
    expect(client.exitFor({ status: 'cancelled', checks: [] }, 'new')).toBe(1);
    expect(client.exitFor({ status: 'passed', checks: [] }, 'new')).toBe(0);
    expect(client.exitFor({ status: 'degraded', checks: [] }, 'any')).toBe(0);
  });

  test('--output-file names a file, or is refused', () => {
    expect(client.readOptions([...required, '--output-file', '/tmp/out'], {}).outputFile).toBe('/tmp/out');
    expect(client.readOptions(required, {}).outputFile).toBeUndefined();
    expect(() => client.readOptions([...required, '--output-file='], {})).toThrow('--output-file must name a file');
  });
});
