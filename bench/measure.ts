/**
 * The benchmark's figures, computed from what the fakes recorded: Checkly's sessions and requests,
 * Slack's messages (every version, with the time Slack applied it) and calls. Pure functions.
 */
import { STATUS_GLYPH } from '../src/blocks/order';
import type { SessionStatus } from '../src/runs/types';
import type { RecordedRequest, SessionView } from '../test/fakes/checkly';
import type { FakeMessage, MessageVersion, SlackCall } from '../test/fakes/slack';
import type { Spread } from './scenarios';

/** Nearest-rank percentiles, in the unit given (rounded to whole units). */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => {
    if (sorted.length === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * sorted.length));
    return Math.round(sorted[rank - 1] as number);
  };
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

/** The most events in any half-open span of `windowMs`: what a sliding-window limiter counts. */
export function slidingPeak(times: readonly number[], windowMs = 60_000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < sorted.length; j += 1) {
    while ((sorted[j] as number) - (sorted[i] as number) >= windowMs) i += 1;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** Every line of every section and context text in a version's blocks. */
export function lines(version: Pick<MessageVersion, 'blocks'>): string[] {
  const out: string[] = [];
  for (const block of (version.blocks ?? []) as Array<Record<string, unknown>>) {
    const text = block.text as { text?: unknown } | undefined;
    if (typeof text?.text === 'string') out.push(...text.text.split('\n'));
    for (const element of (block.elements ?? []) as Array<Record<string, unknown>>) {
      if (typeof element.text === 'string') out.push(...element.text.split('\n'));
    }
  }
  return out;
}

/** A check's row: `<glyph> *<https://…/check-sessions/<id>|name>*`; the closing lines' links are not rows. */
const ROW = /^(\S+) \*<[^|>]*\/check-sessions\/([0-9a-f-]{36})[|>]/;

/** The glyph each listed session shows in a version, by session id. */
export function rowGlyphs(version: Pick<MessageVersion, 'blocks'>): Map<string, string> {
  const glyphs = new Map<string, string>();
  for (const line of lines(version)) {
    const m = ROW.exec(line);
    if (m) glyphs.set(m[2] as string, m[1] as string);
  }
  return glyphs;
}

/** How many sessions a version counts as final, from its fallback text ("7 passed, 3 running (10 checks)"). */
export function finalCount(version: Pick<MessageVersion, 'text'>): number {
  const text = version.text ?? '';
  const total = /\((\d+) checks?\)/.exec(text);
  if (!total) return 0;
  const running = /(\d+) running/.exec(text);
  return Number(total[1]) - (running ? Number(running[1]) : 0);
}

/** The run's phase is final: the context says how long the run took. */
export function showsRunFinal(version: Pick<MessageVersion, 'text' | 'blocks'>): boolean {
  return lines(version).some((l) => /(^|\s)took \d/.test(l));
}

export interface RunView {
  message: FakeMessage;
  sessions: SessionView[];
}

export interface RunDelays {
  /** Per session: from its final status at Checkly to the first version showing it. */
  sessionShownMs: number[];
  /** From the run's last final status to the first version showing the run final; undefined if never. */
  runShownMs?: number;
  /** Sessions whose final status was never shown. */
  neverShown: number;
}

/**
 * When each session's final status was shown: the first version whose row for it carries its final
 * glyph. A session with no row in that version (passed rows are folded into a count in large runs)
 * counts as shown once the version counts as many final sessions as had finished by its own finalAt.
 */
export function runDelays(run: RunView): RunDelays {
  const versions = run.message.versions;
  const byFinal = [...run.sessions].sort((a, b) => a.finalAt - b.finalAt);
  const rank = new Map(byFinal.map((s, i) => [s.id, i + 1]));
  const parsed = versions.map((v) => ({ at: v.at, glyphs: rowGlyphs(v), finals: finalCount(v), runFinal: showsRunFinal(v) }));
  const sessionShownMs: number[] = [];
  let neverShown = 0;
  for (const s of run.sessions) {
    const glyph = STATUS_GLYPH[s.status as SessionStatus];
    const shown = parsed.find((v) => {
      const listed = v.glyphs.get(s.id);
      return listed !== undefined ? listed === glyph : v.finals >= (rank.get(s.id) as number);
    });
    if (shown) sessionShownMs.push(Math.max(0, shown.at - s.finalAt));
    else neverShown += 1;
  }
  const lastFinal = Math.max(...run.sessions.map((s) => s.finalAt));
  const runShown = parsed.find((v) => v.runFinal);
  const delays: RunDelays = { sessionShownMs, neverShown };
  if (runShown) delays.runShownMs = runShown.at - lastFinal;
  return delays;
}

/** What is wrong with a run's last version, compared with Checkly's final statuses (empty when right). */
export function finalProblems(run: RunView): string[] {
  const last = run.message.versions[run.message.versions.length - 1];
  if (!last) return ['no message'];
  const problems: string[] = [];
  if (!showsRunFinal(last)) problems.push('the run is not shown final');
  const glyphs = rowGlyphs(last);
  for (const s of run.sessions) {
    const listed = glyphs.get(s.id);
    if (listed !== undefined && listed !== STATUS_GLYPH[s.status as SessionStatus]) problems.push(`${s.name}: shows ${listed}, is ${s.status}`);
  }
  const expected: Record<string, number> = { passed: 0, failed: 0, degraded: 0, 'timed out': 0, cancelled: 0 };
  const key: Partial<Record<string, string>> = { PASSED: 'passed', FAILED: 'failed', DEGRADED: 'degraded', TIMED_OUT: 'timed out', CANCELLED: 'cancelled' };
  for (const s of run.sessions) {
    const k = key[s.status];
    if (k === undefined) problems.push(`${s.name} is not final at Checkly (${s.status})`);
    else expected[k] = (expected[k] ?? 0) + 1;
  }
  const text = last.text ?? '';
  for (const [words, n] of Object.entries(expected)) {
    const m = new RegExp(`(\\d+) ${words}`).exec(text);
    const shown = m ? Number(m[1]) : 0;
    if (shown !== n) problems.push(`${words}: shows ${shown}, Checkly has ${n}`);
  }
  if (/\d+ running/.test(text)) problems.push('still counts running checks');
  return problems;
}

/** Per session: from its final status to the first completion poll Checkly answered with it. */
export function detectionDelays(requests: readonly RecordedRequest[], sessions: readonly SessionView[]): number[] {
  const answered = new Map<string, number>();
  for (const r of requests) {
    if (r.op !== 'completion' || r.status !== 200 || r.answeredAt === undefined) continue;
    const id = /check-sessions\/([^/]+)\/completion/.exec(r.path)?.[1];
    if (id !== undefined && !answered.has(id)) answered.set(id, r.answeredAt);
  }
  return sessions.flatMap((s) => {
    const at = answered.get(s.id);
    return at === undefined ? [] : [Math.max(0, at - s.finalAt)];
  });
}

/** The operations that start and follow sessions: what knowing a session's final status costs. */
const SESSION_OPERATIONS: ReadonlySet<string> = new Set(['trigger', 'completion', 'session', 'cancel']);

/** Requests that start or follow sessions (not error lines, evidence or the catalogue). */
export function sessionRequests(requests: readonly RecordedRequest[]): number {
  return requests.filter((r) => r.op !== undefined && SESSION_OPERATIONS.has(r.op)).length;
}

/** Requests by operation. */
export function byOperation(requests: readonly RecordedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[r.op ?? 'other'] = (counts[r.op ?? 'other'] ?? 0) + 1;
  return counts;
}

export function callTimes(calls: readonly SlackCall[], method: string): number[] {
  return calls.filter((c) => c.method === method).map((c) => c.at);
}
