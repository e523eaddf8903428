/**
 * The demo's scheduled alerts: one check of the simulated account fails and recovers every few
 * minutes (faster with DEMO_SPEED), and Checkly's alerts for it reach the demo channel through the
 * app's real endpoint, as Checkly sends them: an alert channel in the fake Checkly (made by hand, as
 * the Checkly CLI would), its template rendered with Handlebars and signed with its secret.
 */
import { randomUUID } from 'node:crypto';
import { ALERT_TEMPLATE } from '../src/alerts';
import type { FakeCheck, FakeCheckly } from '../test/fakes/checkly';

/** One incident a cycle: a failure, the same failure elsewhere, then the recovery. */
const CYCLE_MS = 3 * 60_000;

export interface DemoAlertsOptions {
  checkly: FakeCheckly;
  check: FakeCheck;
  /** Where the app takes alerts, with the Slack channel they are for. */
  url: string;
  secret: string;
  speed: number;
}

export function startDemoAlerts(options: DemoAlertsOptions): { stop(): void } {
  const { checkly, check } = options;
  const created = checkly.alertChannels.create({
    type: 'WEBHOOK',
    config: {
      name: 'Slack #general (demo)',
      webhookType: 'WEBHOOK',
      url: options.url,
      method: 'POST',
      template: ALERT_TEMPLATE,
      webhookSecret: options.secret,
    },
    sendFailure: true,
    sendRecovery: true,
    sendDegraded: true,
  });
  const id = String((created.body as { id: number }).id);
  checkly.alertChannels.subscribe(id, { checkId: check.id, activated: true });

  const cycle = CYCLE_MS / options.speed;
  const alert = (type: string, location: string) =>
    void checkly.alertChannels.sendAlert({
      ALERT_TYPE: type,
      CHECK_ID: check.id,
      CHECK_NAME: check.name,
      CHECK_TYPE: check.checkType,
      CHECK_RESULT_ID: randomUUID(),
      RESULT_LINK: `https://app.checklyhq.com/checks/${check.id}`,
      RUN_LOCATION: location,
      RESPONSE_TIME: 30_000,
      STARTED_AT: new Date().toISOString(),
      TAGS: check.tags,
      GROUP_NAME: '',
      CHECK_ERROR_MESSAGE: type === 'ALERT_RECOVERY' ? '' : 'TimeoutError: page.goto: Timeout 30000ms exceeded.',
    });
  const timers = [
    setTimeout(function again() {
      alert('ALERT_FAILURE', 'eu-west-1');
      timers.push(setTimeout(() => alert('ALERT_FAILURE_REMAIN', 'us-east-1'), cycle / 4));
      timers.push(setTimeout(() => alert('ALERT_RECOVERY', 'eu-west-1'), cycle / 2));
      timers.push(setTimeout(again, cycle));
    }, cycle),
  ];
  for (const t of timers) t.unref();
  return {
    stop() {
      for (const t of timers) clearTimeout(t);
    },
  };
}
