/**
 * The app under test, alone in its process as in production: started with startApp from the
 * configuration the scenario sends, so that the fakes and the load they generate do not share its
 * event loop. Reports its port, then, when told to stop, its peak memory and what it logged.
 */
import { startApp, type Running } from '../src/app';
import { loadConfig } from '../src/config';

export type HostRequest = { type: 'start'; env: Record<string, string> } | { type: 'stop' };
export type HostReport = { type: 'started'; port: number } | { type: 'stopped'; peakRssMb: number; logged: string[] };

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);
const logged: string[] = [];
let running: Running | undefined;

function report(message: HostReport, then: () => void = () => undefined): void {
  process.send?.(message, then);
}

process.on('message', (message: HostRequest) => {
  if (message.type === 'start') {
    const loaded = loadConfig(message.env);
    if (!loaded.ok) throw new Error(`bad bench config: ${loaded.problems.join('; ')}`);
    void startApp(loaded.config, { logDestination: { write: (line: string) => logged.push(line) } }).then((app) => {
      running = app;
      report({ type: 'started', port: app.port ?? 0 });
    });
  } else {
    void (running?.stop() ?? Promise.resolve()).then(() => {
      clearInterval(sampler);
      report({ type: 'stopped', peakRssMb: Math.round(peakRss / 1024 / 1024), logged }, () => process.exit(0));
    });
  }
});
