/**
 * The simulated Checkly account of `npm run demo`: about 30 checks a real team might have, with tags,
 * groups (shown in the name, as Checkly lists a group's checks), locations and durations from 2 s to
 * 2 minutes; a few fail or degrade, the way real ones do. What a result says agrees with itself: an
 * API check calls its own endpoint, a failed one answers the status its assertion names, a degraded
 * one says no more than Checkly does (its response time), a failed browser check has a screenshot.
 */
import type { FakeCheckInput } from '../test/fakes/checkly';
import { checkoutScreenshot } from './screenshot';

const EU = ['eu-west-1', 'eu-central-1'];
const US = ['us-east-1', 'us-west-2'];
const WORLD = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];

export const DEMO_CHECKS: FakeCheckInput[] = [
  // Checkout group
  { name: 'Checkout · add to cart', checkType: 'BROWSER', tags: ['prod', 'web', 'checkout'], locations: EU, durationMs: 38_000 },
  {
    name: 'Checkout · pay with card',
    checkType: 'BROWSER',
    tags: ['prod', 'web', 'checkout', 'eu'],
    locations: EU,
    durationMs: 74_000,
    outcome: 'FAILED',
    failingLocations: ['eu-central-1'],
    failedAttempts: 1,
    errorMessage: "TimeoutError: locator.click: Timeout 30000ms exceeded.\nwaiting for getByRole('button', { name: 'Pay now' })",
    screenshot: checkoutScreenshot(),
  },
  { name: 'Checkout · apply voucher', checkType: 'BROWSER', tags: ['prod', 'web', 'checkout'], locations: EU, durationMs: 52_000 },
  { name: 'Checkout · guest checkout', checkType: 'MULTI_STEP', tags: ['prod', 'checkout', 'api'], locations: WORLD, durationMs: 21_000 },
  {
    name: 'Payments API · create intent',
    checkType: 'API',
    tags: ['prod', 'api', 'checkout'],
    locations: WORLD,
    durationMs: 2_400,
    method: 'POST',
    url: 'https://api.example.com/v1/payment_intents',
  },
  // Degraded: slower than its threshold, which is all a result says about it.
  {
    name: 'Payments API · refunds',
    checkType: 'API',
    tags: ['prod', 'api', 'checkout'],
    locations: US,
    durationMs: 3_100,
    outcome: 'DEGRADED',
    url: 'https://api.example.com/v1/refunds?limit=20',
  },
  // Web group
  { name: 'Web · home page', checkType: 'BROWSER', tags: ['prod', 'web'], locations: WORLD, durationMs: 14_000 },
  { name: 'Web · sign in', checkType: 'BROWSER', tags: ['prod', 'web', 'eu'], locations: EU, durationMs: 19_000 },
  { name: 'Web · search results', checkType: 'BROWSER', tags: ['prod', 'web'], locations: US, durationMs: 26_000 },
  { name: 'Web · product page', checkType: 'BROWSER', tags: ['prod', 'web'], locations: WORLD, durationMs: 17_000 },
  { name: 'Web · account settings', checkType: 'BROWSER', tags: ['prod', 'web'], locations: EU, durationMs: 120_000 },
  { name: 'Marketing site', checkType: 'URL', tags: ['prod', 'web'], locations: WORLD, durationMs: 2_000, url: 'https://www.example.com/' },
  { name: 'Docs site', checkType: 'URL', tags: ['prod', 'web'], locations: US, durationMs: 2_200, url: 'https://docs.example.com/' },
  // API group
  { name: 'Public API · health', checkType: 'API', tags: ['prod', 'api'], locations: WORLD, durationMs: 2_000, url: 'https://api.example.com/health' },
  {
    name: 'Public API · list orders',
    checkType: 'API',
    tags: ['prod', 'api'],
    locations: WORLD,
    durationMs: 3_600,
    url: 'https://api.example.com/v1/orders?limit=20',
  },
  // Failed: the service answers 503, and the check's status-code assertion says so.
  {
    name: 'Public API · create order',
    checkType: 'API',
    tags: ['prod', 'api', 'eu'],
    locations: EU,
    durationMs: 4_800,
    outcome: 'FAILED',
    method: 'POST',
    url: 'https://api.example.com/v1/orders',
    failingStatus: 503,
  },
  { name: 'Public API · webhooks', checkType: 'API', tags: ['prod', 'api'], locations: US, durationMs: 5_200, url: 'https://api.example.com/v1/webhooks' },
  {
    name: 'Auth API · token refresh',
    checkType: 'API',
    tags: ['prod', 'api', 'eu'],
    locations: EU,
    durationMs: 2_300,
    method: 'POST',
    url: 'https://auth.example.com/oauth/token',
  },
  {
    name: 'Search API · suggestions',
    checkType: 'API',
    tags: ['prod', 'api'],
    locations: WORLD,
    durationMs: 2_800,
    url: 'https://search.example.com/v1/suggest?q=shoes',
  },
  {
    name: 'GraphQL · product query',
    checkType: 'API',
    tags: ['prod', 'api'],
    locations: US,
    durationMs: 6_500,
    method: 'POST',
    url: 'https://api.example.com/graphql',
  },
  { name: 'Inventory sync job', checkType: 'HEARTBEAT', tags: ['prod', 'api'], locations: ['eu-west-1'], durationMs: 2_000 },
  { name: 'Status page', checkType: 'URL', tags: ['prod'], locations: WORLD, durationMs: 2_100, url: 'https://status.example.com/' },
  { name: 'TLS certificate · shop.example.com', checkType: 'SSL', tags: ['prod', 'web'], locations: ['eu-west-1'], durationMs: 2_500 },
  { name: 'DNS · api.example.com', checkType: 'DNS', tags: ['prod', 'api'], locations: WORLD, durationMs: 2_000 },
  // EU region group
  { name: 'EU · cookie banner', checkType: 'BROWSER', tags: ['prod', 'web', 'eu'], locations: EU, durationMs: 12_000 },
  {
    name: 'EU · VAT calculation',
    checkType: 'API',
    tags: ['prod', 'api', 'eu', 'checkout'],
    locations: EU,
    durationMs: 3_300,
    method: 'POST',
    url: 'https://api.example.com/v1/tax/vat',
  },
  // Staging
  { name: 'Staging · home page', checkType: 'BROWSER', tags: ['staging', 'web'], locations: ['eu-west-1'], durationMs: 15_000 },
  {
    name: 'Staging · public API health',
    checkType: 'API',
    tags: ['staging', 'api'],
    locations: ['eu-west-1'],
    durationMs: 2_000,
    url: 'https://staging-api.example.com/health',
  },
  {
    name: 'Staging · checkout smoke test',
    checkType: 'MULTI_STEP',
    tags: ['staging', 'checkout'],
    locations: ['eu-west-1'],
    durationMs: 45_000,
    outcome: 'FAILED',
    errorMessage: 'AssertionError: expected order total 41.90 to equal 41.80',
  },
  {
    name: 'Staging · search API',
    checkType: 'API',
    tags: ['staging', 'api'],
    locations: ['us-east-1'],
    durationMs: 2_600,
    url: 'https://staging-search.example.com/v1/suggest?q=shoes',
  },
];

/** Check groups, and the checks in each by the start of their name. */
export const DEMO_GROUPS: Array<{ name: string; tags: string[]; members: RegExp }> = [
  { name: 'Checkout', tags: ['checkout'], members: /^(Checkout|Payments API) · / },
  { name: 'Web', tags: ['web'], members: /^(Web · |Marketing site|Docs site|TLS certificate)/ },
  { name: 'Public API', tags: ['api'], members: /^(Public API|Auth API|Search API|GraphQL|DNS) · / },
  { name: 'EU region', tags: ['eu'], members: /^EU · / },
  { name: 'Staging', tags: ['staging'], members: /^Staging · / },
];

/** Fails one run in two, as flaky checks do: a "Rerun failed" then shows it passing. */
export const FLAKY_CHECK = 'Checkout · pay with card';

/** Passes in its scheduled runs and fails when run from Slack: the failure a deploy brought (🆕). */
export const NEW_FAILURE = 'Public API · create order';

/**
 * The checks, their durations divided by `speed` (DEMO_SPEED), never below 300 ms; the ones that
 * fail or degrade also do so in their scheduled runs (what `/checkly failing` lists), but NEW_FAILURE,
 * so that a run shows a new failure beside the ones already failing (since ALREADY_FAILING_FOR before
 * the demo started, as if its scheduled runs had seen them fail for a while).
 */
export function demoChecks(speed: number, now = Date.now()): FakeCheckInput[] {
  const since = now - ALREADY_FAILING_FOR;
  return DEMO_CHECKS.map((c) => ({
    ...c,
    durationMs: Math.max(300, Math.round((c.durationMs ?? 2000) / speed)),
    ...(c.name === NEW_FAILURE
      ? {}
      : c.outcome === 'FAILED'
        ? { state: 'failing' as const, stateSince: since }
        : c.outcome === 'DEGRADED'
          ? { state: 'degraded' as const, stateSince: since }
          : {}),
  }));
}

/** How long before the demo starts its failing checks already failed in their scheduled runs. */
export const ALREADY_FAILING_FOR = 95 * 60_000;
