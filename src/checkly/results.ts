import type { LocationResult } from '../runs/types';
import type { CheckResult, SessionResult } from './types';
import { scrubUrls } from '../shared/urls';

/** The final results of a session that failed or degraded, one per location. */
export function failingResults(results: readonly SessionResult[]): SessionResult[] {
  return results.filter((r) => r.resultType === 'FINAL' && (r.hasFailures || r.hasErrors || r.isDegraded) && !r.isCancelled);
}

/** Checkly runs a check in at most a few dozen locations; a hostile answer is not kept whole. */
const MAX_LOCATION_RESULTS = 25;

/** The final result of each location, failing ones first: where the details of a failed session are. */
export function locationResults(results: readonly SessionResult[]): LocationResult[] {
  const finals = results.filter((r) => r.resultType === 'FINAL' && !r.isCancelled);
  const failing = new Set(failingResults(finals));
  const ordered = [...finals.filter((r) => failing.has(r)), ...finals.filter((r) => !failing.has(r))];
  return ordered.slice(0, MAX_LOCATION_RESULTS).map((r) => ({
    resultId: r.checkResultId,
    location: r.runLocation,
    link: r.checkResultLink,
    failing: failing.has(r),
    ...(failing.has(r) && isSlowOnly(r) ? { slowOnly: true as const } : {}),
    ...(typeof r.responseTime === 'number' && Number.isFinite(r.responseTime) && r.responseTime >= 0 ? { responseTimeMs: r.responseTime } : {}),
  }));
}

/**
 * Check types whose only degraded state is a response time over the check's degradation limit (the
 * spec: `isDegraded`, "over its degradation limit"). Browser, multi-step, Playwright and agentic
 * checks degrade from soft assertions and `markCheckAsDegraded` too, with a reason in their errors.
 */
const DEGRADED_BY_TIME_ONLY: ReadonlySet<string> = new Set(['API', 'URL', 'TCP', 'DNS', 'ICMP', 'SSL', 'GRPC', 'TRACEROUTE', 'HEARTBEAT']);

/** Degraded, not failed, in a check whose degradation is its response time alone: its result holds no error to read. */
function isSlowOnly(r: SessionResult): boolean {
  return r.isDegraded && !r.hasFailures && !r.hasErrors && DEGRADED_BY_TIME_ONLY.has(r.checkType);
}

const MAX_ERROR_LENGTH = 300;

/**
 * The first line of the first error a check result reports, whatever the check type keeps it in.
 * Checkly's error shapes differ per type (strings, `{message}` objects, assertion objects), so this
 * looks for the first human-readable message in the places the spec names.
 */
export function firstErrorLine(result: CheckResult): string | undefined {
  const candidates: unknown[] = [
    result.apiCheckResult?.requestError,
    ...(result.apiCheckResult?.assertions ?? []).filter(isFailedAssertion).map(describeAssertion),
    ...(result.browserCheckResult?.errors ?? []),
    ...(result.multiStepCheckResult?.errors ?? []),
    ...(result.playwrightCheckResult?.errors ?? []),
    ...(result.agenticCheckResult?.errors ?? []),
    result.tracerouteCheckResult?.requestError,
    result.grpcCheckResult?.requestError,
    result.sslCheckResult?.requestError,
  ];
  for (const candidate of candidates) {
    const text = messageOf(candidate);
    const line = text
      ?.split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0);
    // Kept with the run and answered by the run API too: a URL it quotes is scrubbed here, not only at the Slack edge.
    if (line) {
      const shown = scrubUrls(line);
      return shown.length > MAX_ERROR_LENGTH ? `${shown.slice(0, MAX_ERROR_LENGTH - 1)}…` : shown;
    }
  }
  return undefined;
}

function messageOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of ['message', 'error', 'stack']) {
      if (typeof record[key] === 'string') return record[key] as string;
    }
  }
  return undefined;
}

function isFailedAssertion(assertion: unknown): boolean {
  if (!assertion || typeof assertion !== 'object') return false;
  const a = assertion as Record<string, unknown>;
  return a.error !== undefined && a.error !== null && a.error !== false && a.error !== '';
}

function describeAssertion(assertion: unknown): string | undefined {
  const a = assertion as Record<string, unknown>;
  if (typeof a.error === 'string') return a.error;
  const parts = [a.source, a.property, a.comparison, a.target].filter((p) => typeof p === 'string' && p !== '');
  const actual = a.actual === undefined ? '' : ` (got ${JSON.stringify(a.actual)})`;
  return parts.length > 0 ? `Assertion failed: ${parts.join(' ')}${actual}` : undefined;
}
