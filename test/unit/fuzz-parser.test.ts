/**
 * The command parser against hostile input: it never throws, never triggers on malformed input,
 * answers quickly, and whatever it answers renders within Slack's limits with nothing unescaped.
 */
import fc from 'fast-check';
import { renderHelp, renderParseError, renderStatus, renderTriggering } from '../../src/blocks/ephemeral';
import type { SlackMessage } from '../../src/blocks/message';
import { unescapeSlackText } from '../../src/commands/checkly';
import { renderCheckList, renderFailingList } from '../../src/blocks/listing';
import { renderHistory } from '../../src/blocks/history';
import { historyGrid } from '../../src/runs/history';
import {
  MAX_CHECK_IDS,
  MAX_GROUPS,
  MAX_SEARCH_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS_PER_GROUP,
  MAX_TEXT_LENGTH,
  parseCommand,
  type Command,
  type ParseError,
} from '../../src/grammar/parse';
import { runUsage } from '../../src/grammar/usage';
import { describeTarget } from '../../src/grammar/describe';
import type { Target } from '../../src/runs/types';
import { bareAmpersands, mrkdwnOf, strayAngles } from './blocks-fixtures';
import { GRAMMAR_PIECES, MRKDWN_PIECES, hostileText, hugeText } from './hostile';
import { slackLimitViolations } from './slack-limits';

const COMMAND = '/checkly';
/** Control characters the tokenizer does not treat as whitespace: they can only end up inside a token. */
const NON_SPACE_CONTROLS = ['\u0000', '\u0001', '\u0007', '\u0008', '\u001B', '\u001C', '\u001F', '\u007F', '\u0085', '\u009B'];
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEED = 20250601;

/** What the `/checkly` handler answers for a parse result (the status list is empty here). */
function answerFor(parsed: Command | ParseError): SlackMessage {
  switch (parsed.kind) {
    case 'error':
      return renderParseError(parsed.problem, parsed.usage, COMMAND);
    case 'help':
      return renderHelp(COMMAND, parsed.unknown);
    case 'status':
      return renderStatus([], 0);
    case 'run':
      return renderTriggering(parsed.target);
    case 'checks':
      return renderCheckList(parsed.words, [], LISTING);
    case 'failing':
      return renderFailingList([], 0, LISTING);
    case 'pick':
      // The picker is a modal with no input in it; what the person typed is nothing.
      return renderHelp(COMMAND);
    case 'history':
      return renderHistory(historyGrid([]), { target: describeTarget(parsed.target), permalinks: {}, commandName: COMMAND });
  }
}

const LISTING = { now: 0, commandName: COMMAND, catalogueAt: 0, stale: false };

/** A parse result of the right shape; a run only when its target is well-formed (what Checkly would get). */
function expectWellFormed(parsed: Command | ParseError): void {
  expect(['help', 'status', 'run', 'error', 'pick', 'checks', 'failing', 'history']).toContain(parsed.kind);
  if (parsed.kind === 'checks') {
    expect([...parsed.words].length).toBeLessThanOrEqual(MAX_SEARCH_LENGTH);
    expect(parsed.words).not.toMatch(/\p{Cc}/u);
  }
  if (parsed.kind === 'error') {
    expect(parsed.problem.trim()).not.toBe('');
    expect(parsed.usage.trim()).not.toBe('');
    return;
  }
  if (parsed.kind !== 'run') return;
  const { tags, checkIds, all } = parsed.target;
  if (all) expect(tags.length + checkIds.length).toBe(0);
  else expect(tags.length + checkIds.length).toBeGreaterThan(0);
  expect(tags.length).toBeLessThanOrEqual(MAX_GROUPS);
  for (const group of tags) {
    expect(group.length).toBeGreaterThan(0);
    expect(group.length).toBeLessThanOrEqual(MAX_TAGS_PER_GROUP);
    for (const tag of group) {
      const name = tag.startsWith('!') ? tag.slice(1) : tag;
      expect(name.trim()).not.toBe('');
      expect([...tag].length).toBeLessThanOrEqual(MAX_TAG_LENGTH);
      expect(tag).not.toMatch(/(?![\t\n\v\f\r])\p{Cc}/u);
    }
  }
  expect(checkIds.length).toBeLessThanOrEqual(MAX_CHECK_IDS);
  for (const id of checkIds) expect(id).toMatch(LOWER_UUID);
}

/** Within Slack's limits, and no outside text that could ping, link or break out of a code span. */
function expectSafeAnswer(message: SlackMessage): void {
  expect(slackLimitViolations(message)).toEqual([]);
  for (const text of [...mrkdwnOf(message.blocks), message.text]) {
    expect(strayAngles(text)).toBe(0);
    expect(bareAmpersands(text)).toBe(0);
    expect(text).not.toMatch(/<[!@#]/);
  }
}

describe('the checks used below catch what they are for', () => {
  it('an unescaped mention, a bare ampersand or a broken limit fails expectSafeAnswer', () => {
    const section = (text: string) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text } });
    expect(() => expectSafeAnswer({ text: 'ok', blocks: [section('hi <!channel>')] })).toThrow();
    expect(() => expectSafeAnswer({ text: 'hi <@U1>', blocks: [section('ok')] })).toThrow();
    expect(() => expectSafeAnswer({ text: 'ok', blocks: [section('a & b')] })).toThrow();
    expect(() => expectSafeAnswer({ text: 'ok', blocks: [section('x'.repeat(3001))] })).toThrow();
    expect(() => expectSafeAnswer({ text: 'ok &lt;!channel&gt; &amp;', blocks: [section('ok')] })).not.toThrow();
  });

  it('a run with a control character, a bad ID or no target fails expectWellFormed', () => {
    const run = (target: Target): Command => ({ kind: 'run', target, refreshCache: false });
    expect(() => expectWellFormed(run({ tags: [['pr\u0000od']], checkIds: [], all: false }))).toThrow();
    expect(() => expectWellFormed(run({ tags: [], checkIds: ['not-a-uuid'], all: false }))).toThrow();
    expect(() => expectWellFormed(run({ tags: [], checkIds: [], all: false }))).toThrow();
    expect(() => expectWellFormed(run({ tags: [['prod']], checkIds: [], all: true }))).toThrow();
    expect(() => expectWellFormed(run({ tags: [['prod']], checkIds: [], all: false }))).not.toThrow();
  });
});

const subcommand = fc.constantFrom('', 'run ', 'RUN ', 'status ', 'help ', 'run --check ', 'run --all ', 'run "');
const adversarial = fc.tuple(subcommand, hostileText()).map(([sub, rest]) => sub + rest);

describe('parseCommand on hostile input', () => {
  it.each([
    ['mrkdwn, mentions, controls, bidi marks, emoji and lone surrogates', adversarial, 600],
    [
      'the same, as Slack sends it (entities) and the handler unescapes it',
      adversarial.map((t) => unescapeSlackText(t.replace(/&/g, '&amp;').replace(/</g, '&lt;'))),
      200,
    ],
    ['10 kB after any subcommand', fc.tuple(subcommand, hugeText()).map(([sub, rest]) => sub + rest), 30],
    ['arbitrary full Unicode', fc.string({ unit: 'binary', maxLength: 300 }), 300],
  ])('never throws, and answers within Slack limits with everything escaped: %s', (_name, arb, numRuns) => {
    fc.assert(
      fc.property(arb, (text) => {
        const parsed = parseCommand(text, COMMAND);
        expectWellFormed(parsed);
        expectSafeAnswer(answerFor(parsed));
      }),
      { numRuns, seed: SEED },
    );
  });

  // A guard against catastrophic backtracking (seconds and more), not a speed target: those are in `npm run bench`.
  it('answers a 10 kB input well within a second', () => {
    let slowest = 0;
    fc.assert(
      fc.property(fc.tuple(subcommand, hugeText()), ([sub, rest]) => {
        const started = process.hrtime.bigint();
        parseCommand(sub + rest, COMMAND);
        slowest = Math.max(slowest, Number(process.hrtime.bigint() - started) / 1e6);
      }),
      { numRuns: 30, seed: SEED },
    );
    expect(slowest).toBeLessThan(1_000);
  });
});

describe('parseCommand never triggers on malformed input', () => {
  it('refuses anything longer than the limit, saying how long it is and what the limit is', () => {
    fc.assert(
      fc.property(fc.constantFrom('run ', 'RUN ', 'run prod ', 'run --all '), hugeText(MAX_TEXT_LENGTH + 1, { lone: true }), (sub, rest) => {
        const text = sub + rest;
        expect(parseCommand(text, COMMAND)).toEqual({
          kind: 'error',
          problem: `The command is ${[...text].length} characters long; the limit is ${MAX_TEXT_LENGTH}.`,
          usage: runUsage(COMMAND),
        });
      }),
      { numRuns: 40, seed: SEED },
    );
  });

  const simpleTag = fc.oneof(
    fc.constantFrom('prod', 'api', '!flaky', 'eu west', '-beta', 'café', '日本', '😀', ...MRKDWN_PIECES.filter((p) => !/[\s,"'“”‘’]/u.test(p))),
    fc.stringMatching(/^[a-z][a-z0-9_.-]{0,15}$/),
  );
  const target: fc.Arbitrary<Target> = fc.oneof(
    fc.constant<Target>({ tags: [], checkIds: [], all: true }),
    fc.record({
      tags: fc.array(fc.array(simpleTag, { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
      checkIds: fc.uniqueArray(
        fc.uuid().map((id) => id.toLowerCase()),
        { maxLength: 3 },
      ),
      all: fc.constant(false),
    }),
  );
  /** A command that parses to a run, with where its arguments start. */
  const validRun = fc
    .tuple(target, fc.boolean())
    .map(([t, refresh]) => `run ${describeTarget(t)}${refresh ? ' --refresh-cache' : ''}`)
    .filter((text) => parseCommand(text, COMMAND).kind === 'run');

  it('refuses a valid command with a control character put anywhere in its arguments', () => {
    fc.assert(
      fc.property(validRun, fc.nat(), fc.constantFrom(...NON_SPACE_CONTROLS), (text, at, control) => {
        const points = [...text];
        const index = 4 + (at % (points.length - 3)); // after "run ", up to the end
        const broken = [...points.slice(0, index), control, ...points.slice(index)].join('');
        const parsed = parseCommand(broken, COMMAND);
        expect(parsed.kind).toBe('error');
        expectSafeAnswer(answerFor(parsed));
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it('refuses a valid command followed by a quote that never closes', () => {
    const noDoubleQuote = hostileText({ maxPieces: 20 }).map((s) => s.replace(/["“”]/g, ''));
    const noSingleQuote = hostileText({ maxPieces: 20 }).map((s) => s.replace(/['‘’]/g, ''));
    fc.assert(
      fc.property(
        validRun,
        fc.oneof(fc.tuple(fc.constantFrom('"', '“', '”'), noDoubleQuote), fc.tuple(fc.constantFrom("'", '‘', '’'), noSingleQuote)),
        (text, [quote, rest]) => {
          const broken = `${text} ${quote}${rest}`;
          fc.pre([...broken].length <= MAX_TEXT_LENGTH);
          const parsed = parseCommand(broken, COMMAND);
          expect(parsed).toMatchObject({ kind: 'error', problem: expect.stringMatching(/^The quote at .* is never closed\.$/su) });
          expectSafeAnswer(answerFor(parsed));
        },
      ),
      { numRuns: 300, seed: SEED },
    );
  });

  it('refuses an unknown flag, and --all with anything else', () => {
    const known = new Set(['--check', '--all', '--refresh-cache']);
    fc.assert(
      fc.property(
        validRun,
        fc.stringMatching(/^--?[a-z][a-z-]{0,12}$/).filter((f) => !known.has(f)),
        fc.constantFrom('prod', `--check 3f1e2a9c-0b4d-4c6e-9f7a-1b2c3d4e5f60`),
        (text, flag, other) => {
          expect(parseCommand(`${text} ${flag}`, COMMAND).kind).toBe('error');
          expect(parseCommand(`run --all ${other}`, COMMAND).kind).toBe('error');
        },
      ),
      { numRuns: 200, seed: SEED },
    );
  });

  it('turns mention and mrkdwn syntax into plain tags, echoed escaped', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...MRKDWN_PIECES.filter((p) => !/[\s,"'“”‘’]/u.test(p) && !p.startsWith('-'))), { minLength: 1, maxLength: 5 }),
        (pieces) => {
          const parsed = parseCommand(`run ${pieces.join(',')}`, COMMAND);
          fc.pre(parsed.kind === 'run'); // `!` alone is an empty negation: refused, and tested elsewhere
          if (parsed.kind !== 'run') return;
          expect(parsed.target.tags).toEqual([pieces]);
          expectSafeAnswer(answerFor(parsed));
        },
      ),
      { numRuns: 200, seed: SEED },
    );
  });

  it('grammar pieces in any order never make a malformed run', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...GRAMMAR_PIECES), { maxLength: 30 }), (pieces) => {
        const parsed = parseCommand(pieces.join(''), COMMAND);
        expectWellFormed(parsed);
        expectSafeAnswer(answerFor(parsed));
      }),
      { numRuns: 500, seed: SEED },
    );
  });
});
