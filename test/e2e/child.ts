import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startFakeCheckly, type FakeCheckly } from '../fakes/checkly';
import { blockActionsBody, postSigned, slashCommandBody } from '../fakes/sign';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack';
import { ACCOUNT_ID, SECRETS, blockActionsPayload, fakeEnv, findButton, waitFor } from './harness';

const ROOT = path.join(__dirname, '../..');

/** The real app as a separate process, as `npm start` runs it, with its log lines parsed. */
export class AppProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly stderr: string[] = [];
  port?: number;
  exitCode?: number | null;
  exitedAt?: number;
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'src/app.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          this.lines.push(parsed);
          if (parsed.msg === 'checkly-slack started' && typeof parsed.port === 'number') this.port = parsed.port;
        } catch {
          this.lines.push({ raw: line });
        }
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString('utf8')));
    this.child.on('exit', (code) => {
      this.exitCode = code;
      this.exitedAt = Date.now();
    });
  }

  get eventsUrl(): string {
    return `http://127.0.0.1:${this.port}/slack/events`;
  }

  async started(timeoutMs = 20_000): Promise<this> {
    await waitFor(() => this.port !== undefined || this.exitCode !== undefined, timeoutMs, 'the app to start');
    if (this.port === undefined) throw new Error(`the app exited: ${this.stderr.join('')}`);
    return this;
  }

  logged(msg: string, runId?: string): boolean {
    return this.lines.some((l) => l.msg === msg && (runId === undefined || l.runId === runId));
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async exited(timeoutMs = 15_000): Promise<number | null> {
    await waitFor(() => this.exitCode !== undefined, timeoutMs, 'the app to exit');
    return this.exitCode!;
  }
}

/**
 * Fresh fakes before each test of a file and app processes started against them with `defaults`
 * (and the test's own variables); after each test every process still running is killed and the
 * fakes are closed. With the signed command and click a test sends to one of the processes.
 */
export function childApps(defaults: Record<string, string>) {
  const apps: AppProcess[] = [];
  const fixture = {
    slack: undefined as unknown as FakeSlack,
    checkly: undefined as unknown as FakeCheckly,
    launch(env: Record<string, string> = {}): AppProcess {
      const app = new AppProcess({ ...fakeEnv(fixture.slack, fixture.checkly), PORT: '0', LOG_LEVEL: 'info', ...defaults, ...env });
      apps.push(app);
      return app;
    },
    command(app: AppProcess, text: string) {
      const body = slashCommandBody({ text, command: '/checkly', response_url: fixture.slack.responseUrl(`cmd-${Math.random()}`) });
      return postSigned(app.eventsUrl, body, SECRETS.signingSecret);
    },
    click(app: AppProcess, message: FakeMessage, actionId: string) {
      const found = findButton(message.blocks ?? [], actionId);
      if (!found) throw new Error(`no ${actionId} button`);
      const payload = blockActionsPayload(message, found.button, found.blockId, 'U0BOB', fixture.slack.responseUrl(`click-${Math.random()}`));
      return postSigned(app.eventsUrl, blockActionsBody(payload), SECRETS.signingSecret);
    },
  };
  beforeEach(async () => {
    fixture.slack = await startFakeSlack({ botToken: SECRETS.botToken });
    fixture.checkly = await startFakeCheckly({ apiKey: SECRETS.checklyApiKey, accountId: ACCOUNT_ID });
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) if (app.exitCode === undefined) app.kill('SIGKILL');
    await Promise.all([fixture.slack.close(), fixture.checkly.close()]);
  });
  return fixture;
}
