/**
 * The renderers against hostile outside text (check names, locations, error messages, tags, links):
 * every message stays within Slack's limits, nothing from outside pings or links, and cutting text
 * never splits a character.
 */
import fc from 'fast-check';
import { renderParseError, renderStatus, renderTriggering } from '../../src/blocks/ephemeral';
import type { SlackMessage } from '../../src/blocks/message';
import { renderRun } from '../../src/blocks/run';
import { renderFailureReplies } from '../../src/blocks/thread';
import type { Run, RunError, RunPhase, Session, SessionStatus } from '../../src/runs/types';
import { T0, bareAmpersands, foreignTokens, makeRun, makeSession, mrkdwnOf, textsOf } from './blocks-fixtures';
import { hasLoneSurrogate, hostileText, hugeText } from './hostile';
import { slackLimitViolations } from './slack-limits';

const SEED = 20250602;
const REQUESTER = 'U0ALICE';
const APP_URL = 'https://app.checklyhq.com/accounts/a/runs/1';

const STATUSES: SessionStatus[] = ['STARTED', 'PROGRESS', 'PROGRESS_FAILED', 'PROGRESS_DEGRADED', 'PASSED', 'FAILED', 'DEGRADED', 'TIMED_OUT', 'CANCELLED'];
const ERROR_KINDS: RunError['kind'][] = ['bad_request', 'unauthorized', 'payment_required', 'forbidden', 'not_found', 'rate_limited', 'server', 'network'];

/**
 * Hostile text of every size: short pieces, 3 kB (a section's limit), 10 kB. With `lone: false` it
 * holds no lone surrogate, so one in the output can only come from a cut through a pair.
 */
function outside(lone: boolean): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: hostileText({ lone }), weight: 8 },
    { arbitrary: hugeText(3000, { lone }), weight: 1 },
    { arbitrary: hugeText(10_240, { lone }), weight: 1 },
  );
}

function sessionArb(lone: boolean): fc.Arbitrary<Session> {
  const text = outside(lone);
  return fc
    .record({
      name: text,
      status: fc.constantFrom(...STATUSES),
      error: fc.option(text, { nil: undefined }),
      link: fc.oneof(
        fc.webUrl(),
        text,
        fc.constant('javascript:alert(1)'),
        text.map((t) => `https://app.checklyhq.com/${t}`),
      ),
      locations: fc.array(text, { maxLength: 6 }),
      // Checkly may send a type newer than our generated types know.
      checkType: fc.oneof(
        fc.constantFrom<Session['checkType']>('API', 'BROWSER'),
        text.map((t) => t as Session['checkType']),
      ),
      // What the run did to the check (runs/changes.ts), with since when and how flaky.
      change: fc.option(fc.constantFrom<NonNullable<Session['change']>>('new', 'still_failing', 'fixed', 'flaky', 'unchanged'), { nil: undefined }),
      since: fc.option(fc.integer({ min: 0, max: T0 }), { nil: undefined }),
      flaky: fc.option(fc.record({ failed: fc.integer({ min: 2, max: 10 }), of: fc.integer({ min: 3, max: 10 }) }), { nil: undefined }),
    })
    .map(({ change, since, flaky, ...s }) =>
      makeSession({
        ...s,
        failedLocations: s.locations.slice(0, 3),
        ...(change !== undefined ? { change, before: since !== undefined ? { state: 'failing' as const, since } : { state: 'passing' as const } } : {}),
        ...(flaky !== undefined ? { flaky } : {}),
      }),
    );
}

function runArb(lone: boolean): fc.Arbitrary<Run> {
  const text = outside(lone);
  return fc
    .record({
      phase: fc.constantFrom<RunPhase>('triggering', 'running', 'final', 'error', 'abandoned'),
      sessions: fc.array(sessionArb(lone), { maxLength: 60 }),
      tags: fc.array(fc.array(text, { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
      checkIds: fc.array(text, { maxLength: 3 }),
      all: fc.boolean(),
      // Whether the checks' states were read before the run (and could be), or it predates that.
      before: fc.constantFrom<Run['before']>(undefined, { at: T0 }, { at: T0, checks: {} }),
      error: fc.record({ kind: fc.constantFrom(...ERROR_KINDS), message: text, status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }) }),
    })
    .map(({ phase, sessions, tags, checkIds, all, error, before }) =>
      makeRun({
        phase,
        ...(before !== undefined ? { before } : {}),
        requester: REQUESTER,
        target: all ? { tags: [], checkIds: [], all } : { tags: tags.length + checkIds.length > 0 ? tags : [['prod']], checkIds, all },
        sessions: phase === 'triggering' || phase === 'error' ? [] : sessions,
        error: phase === 'error' ? error : undefined,
        finishedAt: phase === 'final' || phase === 'abandoned' || phase === 'error' ? T0 + 90_000 : undefined,
      }),
    );
}

/** Within limits; every `<…>` token is one we write; every `&` starts an entity; no character cut in half. */
function expectSafe(message: SlackMessage, opts: { lone: boolean }): void {
  expect(slackLimitViolations(message)).toEqual([]);
  for (const text of [...mrkdwnOf(message.blocks), message.text]) {
    expect(foreignTokens(text, REQUESTER)).toEqual([]);
    expect(bareAmpersands(text)).toBe(0);
  }
  if (!opts.lone) {
    for (const { text } of textsOf(message.blocks)) expect(hasLoneSurrogate(text)).toBe(false);
    expect(hasLoneSurrogate(message.text)).toBe(false);
  }
}

describe('the check used below catches what it is for', () => {
  it('fails on a foreign mention, a bare ampersand, a broken limit or a split pair', () => {
    const message = (text: string): SlackMessage => ({ text: 'ok', blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
    expect(() => expectSafe(message('<!channel>'), { lone: true })).toThrow();
    expect(() => expectSafe(message('<#C1>'), { lone: true })).toThrow();
    expect(() => expectSafe(message('a & b'), { lone: true })).toThrow();
    expect(() => expectSafe(message('x'.repeat(3001)), { lone: true })).toThrow();
    expect(() => expectSafe(message('half \uD83D'), { lone: false })).toThrow();
    expect(() => expectSafe(message(`<@${REQUESTER}> &lt;!channel&gt; <https://a.example|a>`), { lone: false })).not.toThrow();
  });
});

describe('rendering hostile runs', () => {
  it.each([
    ['with lone surrogates', true, 60],
    ['without lone surrogates (a cut must not make one)', false, 60],
  ])('the run message, in every phase, stays safe and within limits: %s', (_name, lone, numRuns) => {
    fc.assert(
      fc.property(runArb(lone), fc.boolean(), (run, interactive) => {
        expectSafe(renderRun(run, { now: T0 + 60_000, interactive, checklyAppUrl: APP_URL }), { lone });
      }),
      { numRuns, seed: SEED },
    );
  });

  it('the thread reply stays safe and within limits', () => {
    fc.assert(
      fc.property(fc.array(sessionArb(false), { minLength: 1, maxLength: 40 }), (sessions) => {
        for (const reply of renderFailureReplies(makeRun({ phase: 'final', requester: REQUESTER, sessions }))) expectSafe(reply, { lone: false });
      }),
      { numRuns: 60, seed: SEED },
    );
  });

  it('the status list stays safe and within limits, with hostile permalinks too', () => {
    fc.assert(
      fc.property(fc.array(runArb(false), { maxLength: 8 }), outside(false), (runs, permalink) => {
        const ids = runs.map((r, i) => ({ ...r, id: `run-${i}`, phase: i % 2 ? ('running' as const) : ('triggering' as const) }));
        const permalinks = Object.fromEntries(ids.map((r, i) => [r.id, i % 3 === 0 ? permalink : `https://fake.slack.com/archives/C1/p${i}`]));
        expectSafe(renderStatus(ids, T0 + 60_000, permalinks), { lone: false });
      }),
      { numRuns: 40, seed: SEED },
    );
  });

  it('the answers to a command stay safe with hostile targets and problems', () => {
    fc.assert(
      fc.property(runArb(false), outside(false), outside(false), (run, problem, usage) => {
        expectSafe(renderTriggering(run.target), { lone: false });
        expectSafe(renderParseError(problem, usage, '/checkly'), { lone: false });
      }),
      { numRuns: 100, seed: SEED },
    );
  });

  it('a hostile requester (not a user ID) pings nobody', () => {
    fc.assert(
      fc.property(hostileText(), fc.array(sessionArb(false), { minLength: 1, maxLength: 5 }), (requester, sessions) => {
        fc.pre(!/^[UW][A-Z0-9]{2,20}$/.test(requester));
        const run = makeRun({ phase: 'final', requester, sessions: sessions.map((s) => ({ ...s, status: 'FAILED' as const })) });
        for (const message of [renderRun(run, { now: T0, interactive: true }), ...renderFailureReplies(run)]) {
          expect(slackLimitViolations(message)).toEqual([]);
          // No requester to allow: any `<@…>` at all is foreign here.
          for (const text of [...mrkdwnOf(message.blocks), message.text]) expect(foreignTokens(text, 'U0NOBODY')).toEqual([]);
        }
      }),
      { numRuns: 100, seed: SEED },
    );
  });
});
