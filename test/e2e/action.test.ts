import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { FakeCheckly } from '../fakes/checkly';
import type { FakeSlack } from '../fakes/slack';
import { API_TOKENS, startPipelineApp, type PipelineApp } from './api-helpers';
import { messageText } from './harness';

/**
 * action.yml as GitHub's runner runs it: the inputs with their defaults, the step's `env:` with its
 * `${{ }}` expressions evaluated, its `run:` script in `bash --noprofile --norc -eo pipefail` with
 * GITHUB_ACTION_PATH and GITHUB_OUTPUT, then the action's outputs read from that file. The app runs in
 * its own process against the fakes.
 */
const ROOT = path.join(__dirname, '../..');

interface ActionYaml {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Array<{ id?: string; shell: string; env?: Record<string, string>; run: string }> };
}

const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYaml;
const GITHUB = { server_url: 'https://github.com', repository: 'acme/web', run_id: '4242' };

/** `${{ a.b }}` expressions, as the runner evaluates them: contexts only; anything else fails the test. */
function evaluate(text: string, contexts: Record<string, Record<string, string>>): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
    const m = /^(\w+)\.([\w-]+)(?:\.outputs\.([\w-]+))?$/.exec(expression);
    if (!m) throw new Error(`an expression this test does not evaluate: ${expression}`);
    const [, context, name, output] = m;
    const scope = contexts[context!];
    if (!scope) throw new Error(`an unknown context: ${expression}`);
    return output ? (scope[`${name}.${output}`] ?? '') : (scope[name!] ?? '');
  });
}

/** `name=value` lines of a GITHUB_OUTPUT file, and the `name<<DELIMITER` form. */
function readOutputFile(file: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([\w-]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      values[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}

interface ActionResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

/** Runs the action's steps with these inputs (`with:`), as the runner would in run `runId` of a workflow. */
async function runAction(withInputs: Record<string, string>, runId: string, cwd: string): Promise<ActionResult> {
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    inputs[name] = withInputs[name] ?? evaluate(spec.default ?? '', { github: { ...GITHUB, run_id: runId } });
  }
  const steps: Record<string, string> = {};
  let last: Omit<ActionResult, 'outputs'> = { code: 0, stdout: '', stderr: '' };
  for (const [index, step] of action.runs.steps.entries()) {
    expect(step.shell).toBe('bash');
    const outputFile = path.join(cwd, `output-${index}`);
    writeFileSync(outputFile, '');
    const script = path.join(cwd, `step-${index}.sh`);
    writeFileSync(script, step.run);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      GITHUB_ACTIONS: 'true',
      GITHUB_RUN_ID: runId,
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'deploy',
      GITHUB_ACTION: '__acme_checkly-slack',
      GITHUB_ACTION_PATH: ROOT,
      GITHUB_OUTPUT: outputFile,
    };
    for (const [name, value] of Object.entries(step.env ?? {})) env[name] = evaluate(String(value), { inputs, github: GITHUB });
    last = await new Promise((resolve) => {
      const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    for (const [name, value] of Object.entries(readOutputFile(outputFile))) steps[`${step.id}.${name}`] = value;
    if (last.code !== 0) break;
  }
  const outputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.outputs)) outputs[name] = evaluate(spec.value, { steps });
  return { ...last, outputs };
}

describe('action.yml, run as the runner runs it, against the app in its own process', () => {
  let slack: FakeSlack;
  let checkly: FakeCheckly;
  let url: string;
  let cwd: string;

  let pipeline: PipelineApp;

  beforeAll(async () => {
    pipeline = await startPipelineApp();
    ({ slack, checkly, url } = pipeline);
  }, 90_000);

  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'checkly-slack-action-step-'));
  });

  afterAll(() => pipeline.close());

  const triggers = () => checkly.requests.filter((r) => r.op === 'trigger').length;
  const required = () => ({ url, token: API_TOKENS.deploy.secret, channel: 'C0FAKE' });

  test("a composite action of one bash step that runs the client with the runner's Node, installing nothing", () => {
    expect(action.runs.using).toBe('composite');
    expect(action.runs.steps).toHaveLength(1);
    const [step] = action.runs.steps;
    expect(step!.run).toContain('node "$GITHUB_ACTION_PATH/bin/checkly-slack-run.js"');
    expect(step!.run).not.toMatch(/npm|npx|yarn|pnpm|curl|wget/);
    // No input is pasted into the script: inputs reach it as variables only.
    expect(step!.run).not.toContain('${{');
    expect(Object.keys(action.inputs).sort()).toEqual(['channel', 'fail-on', 'link', 'notify', 'target', 'timeout', 'title', 'token', 'url', 'wait']);
    expect(Object.keys(action.outputs)).toEqual(expect.arrayContaining(['status', 'permalink']));
  });

  test('a run that passed: exit 0, outputs status=passed and the permalink; the message has the title and the workflow link', async () => {
    const posts = slack.callsTo('chat.postMessage').length;
    const res = await runAction({ ...required(), target: 'green', title: 'Deploy web@4f2c1a9' }, '1001', cwd);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.outputs.status).toBe('passed');
    expect(res.outputs.permalink).toMatch(/^https:\/\/fake\.slack\.com\/archives\/C0FAKE\/p\d+$/);
    expect(res.outputs.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.stdout).toContain(`started: ${res.outputs.permalink}`);
    expect(res.stdout).toContain('Run passed: 1 passed');
    const [post] = slack.callsTo('chat.postMessage').slice(posts);
    const text = messageText(post!.args as { text?: string; blocks?: unknown[] });
    expect(text).toContain('Deploy web@4f2c1a9');
    // The link input's default: this workflow run.
    expect(text).toContain('https://github.com/acme/web/actions/runs/1001');
    expect(res.stdout + res.stderr).not.toContain(API_TOKENS.deploy.secret);
  }, 60_000);

  test('a run that failed: exit 1 and status=failed', async () => {
    const res = await runAction({ ...required(), target: 'red' }, '1002', cwd);
    expect(res.code).toBe(1);
    expect(res.outputs.status).toBe('failed');
    expect(res.outputs.permalink).toMatch(/^https:\/\/fake\.slack\.com\/archives\/C0FAKE\/p\d+$/);
    expect(res.stdout).toMatch(/Checkout flow\s+failed\s+.*expected 200, got 503/);
  }, 60_000);

  test('wait: "false" ends once the run started: exit 0, status=triggering', async () => {
    const res = await runAction({ ...required(), target: 'red', wait: 'false' }, '1003', cwd);
    expect(res.code).toBe(0);
    expect(res.outputs.status).toBe('triggering');
    expect(res.outputs.permalink).toMatch(/^https:\/\/fake\.slack\.com\//);
  }, 60_000);

  test('fail-on passes through: "any" is the default, "new" is taken, anything else is refused with exit 2 and triggers nothing', async () => {
    expect(action.inputs['fail-on']!.default).toBe('any');
    const before = triggers();
    const res = await runAction({ ...required(), target: 'green', 'fail-on': 'old' }, '1004', cwd);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--fail-on must be "any" or "new"');
    expect(res.outputs.status).toBe('');
    const badWait = await runAction({ ...required(), target: 'green', wait: 'yes' }, '1005', cwd);
    expect(badWait.code).toBe(2);
    expect(badWait.stdout).toContain('::error::wait must be true or false');
    expect(triggers()).toBe(before);
  }, 60_000);

  test('inputs are data, never shell code: a title with $(…), quotes and a leading dash reaches the message as typed', async () => {
    // The step runs in `cwd`: a command that ran would leave this file there.
    const marker = path.join(cwd, 'pwned');
    const title = `--wait "; touch pwned; echo $(touch pwned) \`touch pwned\``;
    const posts = slack.callsTo('chat.postMessage').length;
    const res = await runAction({ ...required(), target: 'green', title }, '1006', cwd);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    // The run message, not a thread reply an earlier test's failing run may still be posting.
    const [post] = slack
      .callsTo('chat.postMessage')
      .slice(posts)
      .filter((call) => !(call.args as { thread_ts?: string }).thread_ts);
    // Slack's escaping of & < > aside, the title arrives whole.
    expect(messageText(post!.args as { text?: string; blocks?: unknown[] })).toContain('--wait "; touch pwned; echo $(touch pwned) `touch pwned`');
  }, 60_000);
});
