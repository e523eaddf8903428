import { addOwner, applyAlert, needsShowing, type Incident } from '../../src/alerts/incident';
import { ALERT_TEMPLATE, parseAlert, type Alert, type AlertType } from '../../src/alerts/payload';
import Handlebars from 'handlebars';

const CHECK = '0bbfc00c-44df-46a7-a4d9-ba38deca8bfd';
const WHERE = { teamId: 'T0FAKE', channel: 'C0ALERTS' };
const T0 = Date.parse('2026-12-05T03:00:00Z');
let ids = 0;
const newId = () => `inc-${++ids}`;

function alert(type: AlertType, n: number, extra: Partial<Alert> = {}): Alert {
  return {
    type,
    checkId: CHECK,
    checkName: 'Checkout API',
    checkType: 'API',
    resultId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    resultLink: `https://app.checklyhq.com/results/${n}`,
    location: n % 2 === 0 ? 'eu-west-1' : 'us-east-1',
    startedAt: T0 + n * 60_000,
    tags: ['prod'],
    groupName: '',
    error: `error ${n}`,
    ...extra,
  };
}

function run(steps: Alert[], start?: Incident): { incident: Incident | undefined; outcomes: string[] } {
  let incident = start;
  const outcomes: string[] = [];
  for (const step of steps) {
    const { next, outcome } = applyAlert(incident, step, WHERE, newId);
    incident = next;
    outcomes.push(outcome);
  }
  return { incident, outcomes };
}

describe('an incident, alert by alert', () => {
  test('a failure opens it; further failures update it (count, locations, latest error); a recovery ends it', () => {
    const { incident, outcomes } = run([
      alert('ALERT_FAILURE', 0),
      alert('ALERT_FAILURE_REMAIN', 1),
      alert('ALERT_FAILURE_REMAIN', 2),
      alert('ALERT_RECOVERY', 14),
    ]);
    expect(outcomes).toEqual(['opened', 'updated', 'updated', 'recovered']);
    expect(incident).toMatchObject({
      state: 'recovered',
      failed: true,
      alerts: 4,
      locations: ['eu-west-1', 'us-east-1'],
      error: 'error 2',
      startedAt: T0,
      recoveredAt: T0 + 14 * 60_000,
      version: 4,
      shownVersion: 0,
    });
  });

  test('a delivery Checkly repeats (same result and type) changes nothing, not even the version', () => {
    const first = run([alert('ALERT_FAILURE', 0)]).incident!;
    const { next, outcome } = applyAlert(first, alert('ALERT_FAILURE', 0), WHERE, newId);
    expect(outcome).toBe('repeat');
    expect(next).toBe(first);
    // The same result with another type is another delivery.
    expect(applyAlert(first, alert('ALERT_RECOVERY', 0), WHERE, newId).outcome).toBe('recovered');
  });

  test('a recovery before its failure posts nothing, and the late failure opens nothing', () => {
    const { incident, outcomes } = run([alert('ALERT_RECOVERY', 5), alert('ALERT_FAILURE', 1)]);
    expect(outcomes).toEqual(['stale', 'stale']);
    expect(incident?.marker).toBe(true);
    expect(needsShowing(incident!, T0)).toBe(false);
    // A failure after that recovery is a new incident.
    const later = applyAlert(incident, alert('ALERT_FAILURE', 9), WHERE, newId);
    expect(later.outcome).toBe('opened');
    expect(later.next).toMatchObject({ state: 'failing', alerts: 1, version: 1 });
    expect(later.next?.marker).toBeUndefined();
  });

  test('after a recovery, a failure that started before it is stale; one after it opens a new incident with a new id', () => {
    const over = run([alert('ALERT_FAILURE', 0), alert('ALERT_RECOVERY', 5)]).incident!;
    expect(applyAlert(over, alert('ALERT_FAILURE_REMAIN', 3), WHERE, newId).outcome).toBe('stale');
    const again = applyAlert(over, alert('ALERT_FAILURE', 7), WHERE, newId);
    expect(again.outcome).toBe('opened');
    expect(again.next?.id).not.toBe(over.id);
    expect(again.next?.ts).toBeUndefined();
  });

  test('a degraded-only incident is not "failed" (yellow); a failure during it makes it so', () => {
    const degraded = run([alert('ALERT_DEGRADED', 0), alert('ALERT_DEGRADED_REMAIN', 1)]).incident!;
    expect(degraded).toMatchObject({ state: 'degraded', failed: false });
    const worse = applyAlert(degraded, alert('ALERT_DEGRADED_FAILURE', 2), WHERE, newId).next!;
    expect(worse).toMatchObject({ state: 'failing', failed: true });
    const better = applyAlert(worse, alert('ALERT_FAILURE_DEGRADED', 3), WHERE, newId).next!;
    expect(better).toMatchObject({ state: 'degraded', failed: true });
    expect(applyAlert(better, alert('ALERT_DEGRADED_RECOVERY', 4), WHERE, newId).next?.state).toBe('recovered');
  });

  test("I'm on it adds a person once and bumps the version", () => {
    const open = run([alert('ALERT_FAILURE', 0)]).incident!;
    const owned = addOwner(addOwner(open, 'U0ALICE'), 'U0BOB');
    expect(owned.owners).toEqual(['U0ALICE', 'U0BOB']);
    expect(owned.version).toBe(open.version + 2);
    expect(addOwner(owned, 'U0ALICE')).toBe(owned);
  });

  test('a lease held by a live process keeps others from showing it; an expired one does not', () => {
    const open = run([alert('ALERT_FAILURE', 0)]).incident!;
    expect(needsShowing(open, T0)).toBe(true);
    expect(needsShowing({ ...open, lease: { by: 'x', until: T0 + 1 } }, T0)).toBe(false);
    expect(needsShowing({ ...open, lease: { by: 'x', until: T0 } }, T0)).toBe(true);
    expect(needsShowing({ ...open, shownVersion: open.version }, T0)).toBe(false);
  });
});

describe("the app's template, rendered as Checkly renders it (Handlebars), and its parser", () => {
  const render = (vars: Record<string, unknown>) => Handlebars.compile(ALERT_TEMPLATE)(vars);
  const vars = {
    ALERT_TYPE: 'ALERT_FAILURE',
    CHECK_ID: CHECK,
    CHECK_NAME: 'He said "hi" <!channel> & *bold* `tick` = \'q\'',
    CHECK_TYPE: 'API',
    CHECK_RESULT_ID: '11111111-2222-4333-8444-555555555555',
    RESULT_LINK: 'https://app.checklyhq.com/checks/x/results/y?a=1&b=2',
    RUN_LOCATION: 'eu-west-1',
    RESPONSE_TIME: 1234,
    STARTED_AT: '2026-12-05T03:00:00.000Z',
    TAGS: ['prod', 'api'],
    GROUP_NAME: 'Shop',
    CHECK_ERROR_MESSAGE: 'expected 200\nbut got 500 at C:\\path',
    API_CHECK_RESPONSE_STATUS_CODE: 500,
  };

  test('every value comes back as Checkly had it: entities undone, the array split, a raw newline and backslash mended', () => {
    const body = render(vars);
    expect(body).toContain('&quot;hi&quot;');
    expect(body).toContain('"TAGS":"prod,api"');
    const parsed = parseAlert(body, 0);
    expect(parsed).toEqual({
      ok: true,
      alert: {
        type: 'ALERT_FAILURE',
        checkId: CHECK,
        checkName: vars.CHECK_NAME,
        checkType: 'API',
        resultId: vars.CHECK_RESULT_ID,
        resultLink: vars.RESULT_LINK,
        location: 'eu-west-1',
        startedAt: Date.parse(vars.STARTED_AT),
        tags: ['prod', 'api'],
        groupName: 'Shop',
        error: vars.CHECK_ERROR_MESSAGE,
        statusCode: 500,
        responseTimeMs: 1234,
      },
    });
  });

  test('a body that is not the template is refused with what is wrong', () => {
    expect(parseAlert('not json', 0)).toEqual({ ok: false, problem: 'The body is not a JSON object.' });
    expect(parseAlert(render({ ...vars, ALERT_TYPE: 'ALERT_SOMETHING' }), 0)).toMatchObject({ ok: false, problem: expect.stringContaining('ALERT_TYPE') });
    expect(parseAlert(render({ ...vars, CHECK_ID: 'nope' }), 0)).toMatchObject({ ok: false, problem: expect.stringContaining('CHECK_ID') });
  });

  test('a delivery without a start time is placed at its arrival', () => {
    const parsed = parseAlert(render({ ...vars, STARTED_AT: '' }), 42);
    expect(parsed.ok && parsed.alert.startedAt).toBe(42);
  });
});
