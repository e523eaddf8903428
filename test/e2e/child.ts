import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './harness';

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
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
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
