/**
 * `npm run demo`: the real app (same listeners, store, Checkly client and budgets as `npm start`) in
 * HTTP mode, a local Slack workspace in the browser, and a simulated Checkly account. With
 * CHECKLY_API_KEY and CHECKLY_ACCOUNT_ID set, the real account's checks run instead.
 *
 *   DEMO_PORT   the page's port (default 3000)
 *   DEMO_SPEED  simulated checks run this many times faster (default 5; 1: real speed, 2 s to 2 min)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { startApp } from '../src/app';
import { allowingOrigin } from '../src/checkly/redirects';
import { holdsPlaceholder, loadConfig } from '../src/config';
import { startFakeCheckly } from '../test/fakes/checkly';
import { startFakeSlack } from '../test/fakes/slack';
import { SLASH_COMMAND_DEFAULTS } from '../test/fakes/sign';
import { freePort } from '../test/helpers';
import { startDemoAlerts } from './alerts';
import { DEMO_GROUPS, FLAKY_CHECK, demoChecks } from './catalogue';
import { startWorkspace } from './workspace';

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const env = process.env;
  const port = Number(env.DEMO_PORT ?? 3000);
  const speed = Number(env.DEMO_SPEED ?? 5);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('DEMO_PORT must be a port number');
  if (!(speed >= 1 && speed <= 1000)) throw new Error('DEMO_SPEED must be a number from 1 to 1000');

  // Fresh secrets each time: nothing of a real workspace is used or needed.
  const botToken = `xoxb-demo-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  // Slack's Tier 3 limit on chat.update, as in a real workspace.
  const slack = await startFakeSlack({ botToken, updatesPerMinute: 50 });

  // A .env copied from .env.example and not filled in means the simulated account, not a refusal.
  const realCheckly =
    Boolean(env.CHECKLY_API_KEY && env.CHECKLY_ACCOUNT_ID) &&
    !holdsPlaceholder('CHECKLY_API_KEY', env.CHECKLY_API_KEY) &&
    !holdsPlaceholder('CHECKLY_ACCOUNT_ID', env.CHECKLY_ACCOUNT_ID);
  const checkly = realCheckly ? undefined : await startFakeCheckly({ apiKey: `cu_demo_${randomBytes(16).toString('hex')}` });
  const groups = checkly ? DEMO_GROUPS.map((g) => ({ ...g, id: checkly.addGroup({ name: g.name, tags: g.tags }).id })) : [];
  for (const check of checkly ? demoChecks(speed) : []) {
    const group = groups.find((g) => g.members.test(check.name));
    checkly!.addCheck(group ? { ...check, groupId: group.id } : check);
  }
  const flaky = checkly?.checks.find((c) => c.name === FLAKY_CHECK);
  // After each session of the flaky check, the next one has the other outcome (a change to a fake
  // check applies to the sessions triggered after it).
  let flakySessions = 0;
  const flakyTimer = setInterval(() => {
    const sessions = checkly && flaky ? checkly.sessions.filter((s) => s.checkId === flaky.id).length : 0;
    if (flaky && sessions !== flakySessions) {
      flaky.outcome = sessions % 2 === 0 ? 'FAILED' : 'PASSED';
      flakySessions = sessions;
    }
  }, 200);
  flakyTimer.unref();

  // Checkly's alerts reach the app at its own address; the demo's user may connect channels.
  const appPort = await freePort();
  const alertsSecret = randomBytes(32).toString('hex');
  const loaded = loadConfig({
    SLACK_BOT_TOKEN: botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(appPort),
    PUBLIC_URL: `http://127.0.0.1:${appPort}`,
    ALERTS_ADMINS: SLASH_COMMAND_DEFAULTS.user_id,
    ALERTS_WEBHOOK_SECRET: alertsSecret,
    STATE_DIR: mkdtempSync(path.join(tmpdir(), 'checkly-slack-demo-')),
    LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    ...(checkly
      ? { CHECKLY_API_KEY: checkly.apiKey, CHECKLY_ACCOUNT_ID: checkly.accountId, CHECKLY_API_URL: checkly.url, CHECKLY_POLL_WAIT_SECONDS: '10' }
      : {
          CHECKLY_API_KEY: env.CHECKLY_API_KEY,
          CHECKLY_ACCOUNT_ID: env.CHECKLY_ACCOUNT_ID,
          ...(env.CHECKLY_API_URL ? { CHECKLY_API_URL: env.CHECKLY_API_URL } : {}),
        }),
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  // The fake Checkly serves its screenshots from loopback over http, which the app refuses by default.
  const app = await startApp(loaded.config, checkly ? { assetRedirects: allowingOrigin(checkly.url) } : {});
  const workspace = await startWorkspace({
    slack,
    eventsUrl: `http://127.0.0.1:${app.port}/slack/events`,
    signingSecret,
    command: loaded.config.slack.command,
    port,
  });

  // One scheduled check fails and recovers every few minutes; its alerts come to the demo channel.
  const scheduled = checkly?.checks.find((c) => c.name === 'Web · home page');
  const alerts =
    checkly && scheduled
      ? startDemoAlerts({
          checkly,
          check: scheduled,
          url: `http://127.0.0.1:${app.port}/alerts/checkly?channel=${SLASH_COMMAND_DEFAULTS.channel_id}`,
          secret: alertsSecret,
          speed,
        })
      : undefined;

  const pace = speed > 1 ? `, ${speed}× faster; DEMO_SPEED=1 runs them at real speed` : '';
  const source = checkly ? `a simulated Checkly account (${checkly.checks.length} checks${pace})` : `your Checkly account ${env.CHECKLY_ACCOUNT_ID}`;
  process.stdout.write(`checkly-slack demo: the real app, a local Slack workspace and ${source}.\n`);
  process.stdout.write(`open ${workspace.url.replace(/\/$/, '')}\n`);

  const stop = () => {
    setTimeout(() => process.exit(1), 5000).unref();
    void (async () => {
      alerts?.stop();
      await workspace.close();
      await app.stop();
      await Promise.all([slack.close(), checkly?.close()]);
      process.exit(0);
    })();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
