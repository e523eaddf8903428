/**
 * The demo's simulated account says nothing that contradicts itself: what the app reads out of each
 * failing result (src/checkly/result-detail.ts, as the thread reply and the Details modal show it) is run
 * through the fake Checkly's own result bodies for every check of the demo.
 */
import { ALREADY_FAILING_FOR, DEMO_CHECKS, NEW_FAILURE, demoChecks } from '../../demo/catalogue';
import { resultDetail } from '../../src/checkly/result-detail';
import { checkResultBody, newCheck, newSession } from '../fakes/checkly-model';

const ACCOUNT = '6a1b0c4e-8f3d-4a52-9a7e-2f1c3b4d5e6f';

/** What the app reads from each final result of one session of the check. */
function details(name: string) {
  const check = newCheck(DEMO_CHECKS.find((c) => c.name === name)!, 0);
  const session = newSession(check, ACCOUNT, 0);
  return session.results.filter((r) => r.resultType === 'FINAL').map((ref) => resultDetail(checkResultBody(session, ref)));
}

const apiChecks = DEMO_CHECKS.filter((c) => c.checkType === 'API' || c.checkType === 'URL');

test('every API and URL check calls an endpoint of its own, not its name as a URL', () => {
  const urls = apiChecks.flatMap((c) => details(c.name).map((d) => d.request?.url ?? ''));
  for (const url of urls) {
    expect(url).toMatch(/^https:\/\/[a-z.-]+\.example\.com\//);
    expect(url).not.toMatch(/%20|%C2%B7/);
  }
  expect(new Set(urls).size).toBe(apiChecks.length);
});

test('a failed API check answers the status its errors name', () => {
  const failed = apiChecks.filter((c) => c.outcome === 'FAILED');
  expect(failed.length).toBeGreaterThan(0);
  for (const check of failed) {
    for (const d of details(check.name)) {
      const status = d.response?.status;
      expect(status).toBeGreaterThanOrEqual(400);
      // "received 503", "got 503", "status code 503": every status the errors quote is the response's.
      const quoted = d.errors.flatMap((e) => [...e.matchAll(/(?:received|got|status code)\s+(\d{3})\b/gi)].map((m) => Number(m[1])));
      expect(quoted.length).toBeGreaterThan(0);
      expect(new Set(quoted)).toEqual(new Set([status]));
      expect(d.assertions.find((a) => !a.passed)?.actual).toBe(String(status));
    }
  }
});

test('a degraded API check says no more than Checkly does: no error text of its own beside its response', () => {
  const degraded = apiChecks.filter((c) => c.outcome === 'DEGRADED');
  expect(degraded.length).toBeGreaterThan(0);
  for (const check of degraded) {
    expect(check.errorMessage).toBeUndefined();
    for (const d of details(check.name)) {
      expect(d.outcome).toBe('degraded');
      expect(d.errors).toEqual([]);
      expect(d.response?.status).toBe(200);
    }
  }
});

test("a failed browser check has a screenshot a person can see (a PNG at a browser's size), as fast or slow as the demo runs", () => {
  const browser = demoChecks(5).filter((c) => c.checkType === 'BROWSER' && c.outcome === 'FAILED');
  expect(browser.length).toBeGreaterThan(0);
  for (const check of browser) {
    const png = check.screenshot!;
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // IHDR: width and height, big-endian, after the signature and the chunk's length and type.
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(640);
    expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(400);
  }
});

test('the checks that fail or degrade in a run were already failing for a while in their scheduled runs, but the one a deploy brings (a new failure)', () => {
  const now = Date.UTC(2026, 11, 5, 16, 0);
  const checks = demoChecks(5, now);
  const broken = checks.filter((c) => c.outcome === 'FAILED' || c.outcome === 'DEGRADED');
  expect(broken.map((c) => c.name)).toContain(NEW_FAILURE);
  for (const c of broken) {
    if (c.name === NEW_FAILURE) expect([c.state, c.stateSince]).toEqual([undefined, undefined]);
    else expect([c.state, c.stateSince]).toEqual([c.outcome === 'FAILED' ? 'failing' : 'degraded', now - ALREADY_FAILING_FOR]);
  }
  expect(ALREADY_FAILING_FOR).toBeGreaterThanOrEqual(60 * 60_000);
});
