/**
 * The app under test, alone in its process as in production: started with startApp from the
 * configuration the scenario sends, so that the fakes and the load they generate do not share its
 * event loop. Reports its port, then, when told to stop, its peak memory and what it logged.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Running, startApp as StartApp } from '../src/app';
import type { allowingOrigin as AllowingOrigin } from '../src/checkly/redirects';
import type { loadConfig as LoadConfig } from '../src/config';

/**
 * BENCH_APP=dist: the production build (`npm run build`), the JavaScript `node dist/app.js` runs;
 * only this small host around it is TypeScript. Otherwise the sources, through ts-node.
 */
const build = process.env.BENCH_APP === 'dist' ? '../dist' : '../src';
const { startApp } = require(`${build}/app`) as { startApp: typeof StartApp };
const { allowingOrigin } = require(`${build}/checkly/redirects`) as { allowingOrigin: typeof AllowingOrigin };
const { loadConfig } = require(`${build}/config`) as { loadConfig: typeof LoadConfig };

export type HostRequest =
  | { type: 'start'; name: string; env: Record<string, string> }
  | { type: 'busy' }
  /** The longest event-loop delay since the last such request. */
  | { type: 'stall' }
  /** With BENCH_PROFILE: on drops what was profiled so far and starts again; off writes the profile. */
  | { type: 'profile'; on: boolean }
  | { type: 'stop' };
export type HostReport =
  | { type: 'started'; port: number }
  /** The event loop's busy time since the process started, in ms (performance.eventLoopUtilization). */
  | { type: 'busy'; activeMs: number }
  | { type: 'stall'; longestMs: number }
  /** The profile request is done (the profiler's start and stop block the app's event loop for a while). */
  | { type: 'profiled' }
  | { type: 'stopped'; peakRssMb: number; logged: string[] };

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);
const logged: string[] = [];
/** The longest event-loop delay: a POST that waits half a second behind a stall is not the same story as one behind fifty short tasks. */
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
let running: Running | undefined;

/**
 * BENCH_PROFILE=/tmp/profiles: a CPU profile of the app, <scenario>.cpuprofile, for Chrome DevTools: from
 * start to stop, or over the span a scenario marks as measured (Host.profile).
 */
const profiler = {
  session: undefined as Session | undefined,
  path: undefined as string | undefined,
  /** The monotonic times (µs, the profile's clock) of the busy requests while profiling: the bench asks at a burst's start and end. */
  marks: [] as number[],
  async start(name: string): Promise<void> {
    const dir = process.env.BENCH_PROFILE;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${name}.cpuprofile`);
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.start');
  },
  /** Drops what was profiled so far and starts again. */
  async restart(): Promise<void> {
    if (!this.session) return;
    this.marks = [];
    await this.session.post('Profiler.stop');
    await this.session.post('Profiler.start');
  },
  async stop(): Promise<void> {
    if (!this.session || !this.path) return;
    const { profile } = await this.session.post('Profiler.stop');
    writeFileSync(this.path, JSON.stringify({ ...profile, marks: this.marks }));
    this.path = undefined;
  },
};

function report(message: HostReport, then: () => void = () => undefined): void {
  process.send?.(message, then);
}

// A bench that dies (or is stopped by a timeout) takes this process with it: no orphan holds its output open.
process.on('disconnect', () => process.exit(1));
process.on('message', (message: HostRequest) => {
  if (message.type === 'start') {
    const loaded = loadConfig(message.env);
    if (!loaded.ok) throw new Error(`bad bench config: ${loaded.problems.join('; ')}`);
    // The fake Checkly serves its screenshots from loopback over http, which the app refuses by default.
    const assetRedirects = allowingOrigin(loaded.config.checkly.apiUrl);
    void startApp(loaded.config, { logDestination: { write: (line: string) => logged.push(line) }, assetRedirects }).then(async (app) => {
      running = app;
      await profiler.start(message.name);
      report({ type: 'started', port: app.port ?? 0 });
    });
  } else if (message.type === 'profile') {
    void (message.on ? profiler.restart() : profiler.stop()).then(() => report({ type: 'profiled' }));
  } else if (message.type === 'stall') {
    report({ type: 'stall', longestMs: delay.max / 1e6 });
    delay.reset();
  } else if (message.type === 'busy') {
    if (profiler.path) profiler.marks.push(Number(process.hrtime.bigint() / 1000n));
    report({ type: 'busy', activeMs: performance.eventLoopUtilization().active });
  } else {
    void profiler
      .stop()
      .then(() => running?.stop())
      .then(() => {
        clearInterval(sampler);
        report({ type: 'stopped', peakRssMb: Math.round(peakRss / 1024 / 1024), logged }, () => process.exit(0));
      });
  }
});
