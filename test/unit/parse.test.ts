import fc from 'fast-check';
import {
  MAX_CHECK_IDS,
  MAX_GROUPS,
  MAX_TAG_LENGTH,
  MAX_TAGS_PER_GROUP,
  MAX_SEARCH_LENGTH,
  MAX_TEXT_LENGTH,
  parseCommand,
  type Command,
  type ParseError,
} from '../../src/grammar/parse';
import { checksUsage, failingUsage, runUsage, statusUsage } from '../../src/grammar/usage';
import type { Target } from '../../src/runs/types';
import { describeTarget } from '../../src/grammar/describe';

const A = '3f1e2a9c-0b4d-4c6e-9f7a-1b2c3d4e5f60';
const B = 'b8c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e';

const tags = (groups: string[][], refreshCache = false): Command => ({
  kind: 'run',
  target: { tags: groups, checkIds: [], all: false },
  refreshCache,
});
const runError = (problem: string): ParseError => ({ kind: 'error', problem, usage: runUsage() });

describe('parseCommand: the tag expression table of docs/commands.md#the-command', () => {
  it.each([
    ['run prod', [['prod']]],
    ['run prod,api staging', [['prod', 'api'], ['staging']]],
    ['run prod,!flaky', [['prod', '!flaky']]],
    ['run "eu west",web', [['eu west', 'web']]],
  ])('%s', (typed, matchTags) => {
    expect(parseCommand(typed)).toEqual(tags(matchTags));
  });
});

describe('parseCommand: tag expressions', () => {
  it.each([
    ['smart double quotes', 'run \u201Ceu west\u201D,web', [['eu west', 'web']]],
    ['smart single quotes', 'run \u2018eu west\u2019,web', [['eu west', 'web']]],
    ['straight single quotes', "run 'eu west',web", [['eu west', 'web']]],
    ['a closing smart quote at both ends', 'run \u201Deu west\u201D', [['eu west']]],
    ['mixed forms of one family', 'run "eu west\u201D', [['eu west']]],
    ['an apostrophe inside double quotes', 'run "don\'t"', [["don't"]]],
    ['a comma inside quotes', 'run "a,b",c', [['a,b', 'c']]],
    ['a quoted part inside a tag', 'run eu"-"west', [['eu-west']]],
    ['a negated quoted tag', 'run prod,!"eu west"', [['prod', '!eu west']]],
    ['newlines and tabs separating groups', 'run prod,api\nstaging\t\tweb', [['prod', 'api'], ['staging'], ['web']]],
    ['leading and trailing whitespace', '  run   prod  \n', [['prod']]],
    ['a quoted tag that starts with a dash', 'run "-beta"', [['-beta']]],
    ['a dash inside a group', 'run prod,-beta', [['prod', '-beta']]],
    ['case kept in tags', 'RUN Prod', [['Prod']]],
    ['non-ASCII tags', 'run café,日本', [['café', '日本']]],
  ])('%s', (_name, typed, matchTags) => {
    expect(parseCommand(typed)).toEqual(tags(matchTags));
  });
});

describe('parseCommand: flags', () => {
  it('takes repeated --check, lower-cased and de-duplicated', () => {
    expect(parseCommand(`run --check ${A.toUpperCase()} --check ${B} --check ${A}`)).toEqual({
      kind: 'run',
      target: { tags: [], checkIds: [A, B], all: false },
      refreshCache: false,
    });
  });

  it.each([
    ['comma-separated', `run --check ${A},${B}`],
    ['with =', `run --check=${A} --check=${B}`],
    ['quoted', `run --check "${A}" --check=\u201C${B}\u201D`],
    ['as an em dash (macOS smart dashes)', `run \u2014check ${A} \u2013check ${B}`],
    ['in upper case', `run --CHECK ${A} --Check ${B}`],
  ])('takes --check %s', (_name, typed) => {
    expect(parseCommand(typed)).toEqual({
      kind: 'run',
      target: { tags: [], checkIds: [A, B], all: false },
      refreshCache: false,
    });
  });

  it('sends --check and tags together', () => {
    expect(parseCommand(`run prod --check ${A} api,!flaky`)).toEqual({
      kind: 'run',
      target: { tags: [['prod'], ['api', '!flaky']], checkIds: [A], all: false },
      refreshCache: false,
    });
  });

  it('takes --all on its own', () => {
    expect(parseCommand('run --all')).toEqual({
      kind: 'run',
      target: { tags: [], checkIds: [], all: true },
      refreshCache: false,
    });
    expect(parseCommand('run \u2014all --refresh-cache')).toEqual({
      kind: 'run',
      target: { tags: [], checkIds: [], all: true },
      refreshCache: true,
    });
  });

  it.each(['run --refresh-cache prod', 'run prod --refresh-cache', 'run --REFRESH-CACHE prod', 'run \u2014refresh-cache prod'])(
    'takes --refresh-cache anywhere: %s',
    (typed) => {
      expect(parseCommand(typed)).toEqual(tags([['prod']], true));
    },
  );
});

describe('parseCommand: subcommands', () => {
  it.each([
    ['', { kind: 'pick' }],
    [' \n\t ', { kind: 'pick' }],
    ['run', { kind: 'pick' }],
    ['RUN   ', { kind: 'pick' }],
    ['failing', { kind: 'failing' }],
    ['checks login api', { kind: 'checks', words: 'login api' }],
    ['Checks  "eu west"  ', { kind: 'checks', words: '"eu west"' }],
    ['help', { kind: 'help' }],
    ['HELP run', { kind: 'help' }],
    ['status', { kind: 'status' }],
    ['  Status  ', { kind: 'status' }],
    ['deploy prod', { kind: 'help', unknown: 'deploy' }],
    ['Runn prod', { kind: 'help', unknown: 'Runn' }],
    ['"run" prod', { kind: 'help', unknown: '"run"' }],
    [`${'x'.repeat(80)} y`, { kind: 'help', unknown: `${'x'.repeat(49)}…` }],
  ])('%j', (typed, command) => {
    expect(parseCommand(typed)).toEqual(command);
  });

  it('refuses arguments to status', () => {
    expect(parseCommand('status prod now')).toEqual({
      kind: 'error',
      problem: '`status` takes no arguments, but got `prod now`.',
      usage: statusUsage(),
    });
  });

  it('refuses arguments to failing, and checks without words, too long or with control characters', () => {
    expect(parseCommand('failing now')).toEqual({ kind: 'error', problem: '`failing` takes no arguments, but got `now`.', usage: failingUsage() });
    expect(parseCommand('checks')).toEqual({ kind: 'error', problem: '`checks` needs words to look for in check names and tags.', usage: checksUsage() });
    expect(parseCommand(`checks ${'a'.repeat(10_000)}`)).toEqual({
      kind: 'error',
      problem: `The search is 10000 characters long; the limit is ${MAX_SEARCH_LENGTH}.`,
      usage: checksUsage(),
    });
    expect(parseCommand(`checks ${'a'.repeat(MAX_SEARCH_LENGTH)}`)).toEqual({ kind: 'checks', words: 'a'.repeat(MAX_SEARCH_LENGTH) });
    expect(parseCommand('checks log\u0000in')).toEqual({
      kind: 'error',
      problem: 'The search `log\\u0000in` contains a control character.',
      usage: checksUsage(),
    });
  });

  it('names the configured command in the usage', () => {
    const result = parseCommand('run --refresh-cache', '/checkly-staging');
    expect(result.kind === 'error' && result.usage).toBe(runUsage('/checkly-staging'));
    expect(runUsage('/checkly-staging')).toContain('`/checkly-staging run --all`');
    expect(runUsage('/checkly-staging')).not.toContain('/checkly ');
  });
});

describe('parseCommand: errors', () => {
  it.each([
    [
      'run with only --refresh-cache',
      'run --refresh-cache',
      '`run` needs to know which checks to run: give tags or `--check <uuid>`, or `--all` to run every check.',
    ],
    ['an unknown long flag', 'run prod --foo', '`--foo` is not an option of `run`.'],
    ['an unknown short flag', 'run -x prod', '`-x` is not an option of `run`.'],
    ['a lone dash', 'run -', '`-` is not an option of `run`.'],
    ['a value on --all', 'run --all=yes', '`--all` takes no value, but got `--all=yes`.'],
    ['--check at the end', 'run prod --check', '`--check` needs a check ID (a UUID) after it.'],
    ['--check followed by a flag', 'run --check --all', '`--check` needs a check ID (a UUID) after it.'],
    ['an empty --check=', 'run --check=', '`--check` needs a check ID (a UUID) after it.'],
    ['a malformed UUID', 'run --check 1234', '`1234` is not a check ID; check IDs are UUIDs such as `3f1e2a9c-0b4d-4c6e-9f7a-1b2c3d4e5f60`.'],
    [
      'a UUID one digit short',
      `run --check ${A.slice(1)}`,
      `\`${A.slice(1)}\` is not a check ID; check IDs are UUIDs such as \`3f1e2a9c-0b4d-4c6e-9f7a-1b2c3d4e5f60\`.`,
    ],
    ['a malformed UUID in a list', `run --check ${A},nope`, '`nope` is not a check ID; check IDs are UUIDs such as `3f1e2a9c-0b4d-4c6e-9f7a-1b2c3d4e5f60`.'],
    ['an empty check ID in a list', `run --check ${A},`, `\`${A},\` has an empty check ID: check the commas.`],
    ['an unbalanced double quote', 'run "eu west,web', 'The quote at `"eu west,web` is never closed.'],
    ['an unbalanced smart quote', 'run prod \u201Ceu west', 'The quote at `\u201Ceu west` is never closed.'],
    ['an apostrophe outside quotes', "run don't", "The quote at `'t` is never closed."],
    ['a double comma', 'run prod,,api', '`prod,,api` has an empty tag: check the commas and quotes.'],
    ['a trailing comma', 'run prod,', '`prod,` has an empty tag: check the commas and quotes.'],
    ['a leading comma', 'run ,prod', '`,prod` has an empty tag: check the commas and quotes.'],
    ['a lone comma', 'run ,', '`,` has an empty tag: check the commas and quotes.'],
    ['empty quotes', 'run ""', '`""` has an empty tag: check the commas and quotes.'],
    ['quoted whitespace', 'run " ",prod', '`" ",prod` has an empty tag: check the commas and quotes.'],
    ['a lone !', 'run prod,!', '`prod,!` has a `!` with no tag after it; write `!flaky` to leave out checks tagged flaky.'],
    ['! and empty quotes', 'run !""', '`!""` has a `!` with no tag after it; write `!flaky` to leave out checks tagged flaky.'],
    ['--all with tags', 'run --all prod', '`--all` runs every check, so it cannot be combined with tags or `--check`.'],
    ['--all with --check', `run --check ${A} --all`, '`--all` runs every check, so it cannot be combined with tags or `--check`.'],
    ['a control character in a tag', 'run prod,a\u0007b', 'The tag `a\\u0007b` contains a control character.'],
    ['a control character inside quotes', 'run "a\u0000b"', 'The tag `a\\u0000b` contains a control character.'],
    ['a backtick in the offending piece', 'run --fo`o', '"--fo`o" is not an option of `run`.'],
  ])('%s', (_name, typed, problem) => {
    expect(parseCommand(typed)).toEqual(runError(problem));
  });

  it('truncates the offending piece to 50 characters', () => {
    const flag = `--${'y'.repeat(100)}`;
    expect(parseCommand(`run ${flag}`)).toEqual(runError(`\`${flag.slice(0, 49)}…\` is not an option of \`run\`.`));
  });

  it('refuses text longer than MAX_TEXT_LENGTH and takes text at the limit', () => {
    const atLimit = `run prod${' '.repeat(MAX_TEXT_LENGTH - 8)}`;
    expect(parseCommand(atLimit)).toEqual(tags([['prod']]));
    expect(parseCommand(`${atLimit} `)).toEqual(runError(`The command is ${MAX_TEXT_LENGTH + 1} characters long; the limit is ${MAX_TEXT_LENGTH}.`));
  });

  it('refuses a tag longer than MAX_TAG_LENGTH and takes one at the limit', () => {
    const long = 'a'.repeat(MAX_TAG_LENGTH + 1);
    expect(parseCommand(`run ${long}`)).toEqual(
      runError(`The tag \`${'a'.repeat(49)}…\` is ${MAX_TAG_LENGTH + 1} characters long; the limit is ${MAX_TAG_LENGTH}.`),
    );
    expect(parseCommand(`run ${long.slice(1)}`)).toEqual(tags([[long.slice(1)]]));
  });

  it('counts tag length in code points', () => {
    const emoji = '\u{1F680}'.repeat(MAX_TAG_LENGTH);
    expect(parseCommand(`run ${emoji}`)).toEqual(tags([[emoji]]));
  });

  it('refuses more than MAX_GROUPS groups and takes MAX_GROUPS', () => {
    const groups = Array.from({ length: MAX_GROUPS + 1 }, (_, i) => `t${i}`);
    expect(parseCommand(`run ${groups.join(' ')}`)).toEqual(runError(`The expression has more than ${MAX_GROUPS} tag groups; that is the limit.`));
    expect(parseCommand(`run ${groups.slice(1).join(' ')}`)).toEqual(tags(groups.slice(1).map((t) => [t])));
  });

  it('refuses more than MAX_TAGS_PER_GROUP tags in a group and takes MAX_TAGS_PER_GROUP', () => {
    const group = Array.from({ length: MAX_TAGS_PER_GROUP + 1 }, (_, i) => `t${i}`);
    const result = parseCommand(`run ${group.join(',')}`);
    expect(result).toEqual(
      runError(`The tag group \`${group.join(',').slice(0, 49)}…\` has ${MAX_TAGS_PER_GROUP + 1} tags; the limit is ${MAX_TAGS_PER_GROUP}.`),
    );
    expect(parseCommand(`run ${group.slice(1).join(',')}`)).toEqual(tags([group.slice(1)]));
  });

  it('refuses more than MAX_CHECK_IDS distinct check IDs and takes MAX_CHECK_IDS', () => {
    const ids = Array.from({ length: MAX_CHECK_IDS + 1 }, (_, i) => `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`);
    expect(parseCommand(`run --check ${ids.join(',')}`)).toEqual(
      runError(`More than ${MAX_CHECK_IDS} check IDs given; that is the limit. Tag the checks and run the tag instead.`),
    );
    const atLimit = parseCommand(`run --check ${ids.slice(1).join(',')} --check ${ids[1]}`);
    expect(atLimit).toEqual({ kind: 'run', target: { tags: [], checkIds: ids.slice(1), all: false }, refreshCache: false });
  });
});

describe('describeTarget', () => {
  it.each<[string, Target, string]>([
    ['one tag', { tags: [['prod']], checkIds: [], all: false }, 'prod'],
    [
      'groups and negation',
      {
        tags: [
          ['prod', 'api'],
          ['staging', '!flaky'],
        ],
        checkIds: [],
        all: false,
      },
      'prod,api staging,!flaky',
    ],
    ['a tag with a space', { tags: [['eu west', 'web']], checkIds: [], all: false }, '"eu west",web'],
    ['a tag with a comma', { tags: [['a,b']], checkIds: [], all: false }, '"a,b"'],
    ['a tag with an apostrophe', { tags: [["don't"]], checkIds: [], all: false }, '"don\'t"'],
    ['a tag with a double quote', { tags: [['say "hi"']], checkIds: [], all: false }, `"say "'"'"hi"'"'`],
    ['a tag with a smart quote', { tags: [['\u201Cx']], checkIds: [], all: false }, `'\u201C'"x"`],
    ['a tag that starts with a dash', { tags: [['-beta', 'a-b']], checkIds: [], all: false }, '"-beta",a-b'],
    ['check IDs', { tags: [], checkIds: [A, B], all: false }, `--check ${A} --check ${B}`],
    ['tags and check IDs', { tags: [['prod']], checkIds: [A], all: false }, `prod --check ${A}`],
    ['everything', { tags: [], checkIds: [], all: true }, '--all'],
  ])('%s', (_name, target, described) => {
    expect(describeTarget(target)).toBe(described);
    expect(parseCommand(`run ${described}`)).toEqual({ kind: 'run', target, refreshCache: false });
  });
});

/** What a valid tag is, written independently of the parser. */
function isValidTag(tag: string): boolean {
  const name = tag.startsWith('!') ? tag.slice(1) : tag;
  return name.trim() !== '' && [...tag].length <= MAX_TAG_LENGTH && ![...tag].some((ch) => /\p{Cc}/u.test(ch) && !/\s/u.test(ch));
}

const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectValid(result: Command | ParseError): void {
  switch (result.kind) {
    case 'error':
      expect(result.problem.length).toBeGreaterThan(0);
      expect(result.usage.length).toBeGreaterThan(0);
      return;
    case 'help':
      if (result.unknown !== undefined) expect([...result.unknown].length).toBeLessThanOrEqual(50);
      return;
    case 'status':
      return;
    case 'run': {
      const { tags: groups, checkIds, all } = result.target;
      expect(groups.length).toBeLessThanOrEqual(MAX_GROUPS);
      for (const group of groups) {
        expect(group.length).toBeGreaterThan(0);
        expect(group.length).toBeLessThanOrEqual(MAX_TAGS_PER_GROUP);
        for (const tag of group) expect(isValidTag(tag)).toBe(true);
      }
      expect(checkIds.length).toBeLessThanOrEqual(MAX_CHECK_IDS);
      expect(new Set(checkIds).size).toBe(checkIds.length);
      for (const id of checkIds) expect(id).toMatch(LOWER_UUID);
      if (all) expect(groups.length + checkIds.length).toBe(0);
      else expect(groups.length + checkIds.length).toBeGreaterThan(0);
    }
  }
}

/** Characters the grammar gives meaning to, and a few it must refuse. */
const GRAMMAR_CHARS = [
  'a',
  'b',
  'Z',
  '1',
  '-',
  '!',
  ',',
  '=',
  ' ',
  '\n',
  '\t',
  '\u00A0',
  '"',
  "'",
  '\u201C',
  '\u201D',
  '\u2018',
  '\u2019',
  '\u2013',
  '\u2014',
  '`',
  '\u0000',
  '\u0007',
  '\u0085',
  '\u{1F680}',
];
const grammarChar = fc.constantFrom(...GRAMMAR_CHARS);
const tagArb = fc
  .oneof(
    fc.string({ unit: grammarChar, minLength: 1, maxLength: 12 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
    fc.constantFrom('prod', '!flaky', 'eu west', '-beta', '!!x', 'a'.repeat(MAX_TAG_LENGTH)),
  )
  .filter(isValidTag);
const uuidArb = fc.uuid().map((id) => id.toLowerCase());
const targetArb: fc.Arbitrary<Target> = fc.oneof(
  { arbitrary: fc.constant<Target>({ tags: [], checkIds: [], all: true }), weight: 1 },
  {
    arbitrary: fc
      .record({
        tags: fc.array(fc.array(tagArb, { minLength: 1, maxLength: 4 }), { maxLength: 4 }),
        checkIds: fc.uniqueArray(uuidArb, { maxLength: 4 }),
        all: fc.constant(false),
      })
      .filter((t) => t.tags.length + t.checkIds.length > 0),
    weight: 9,
  },
);

describe('properties', () => {
  it('describeTarget round-trips through parseCommand', () => {
    fc.assert(
      fc.property(targetArb, fc.boolean(), (target, refreshCache) => {
        const text = `run ${describeTarget(target)}${refreshCache ? ' --refresh-cache' : ''}`;
        fc.pre([...text].length <= MAX_TEXT_LENGTH);
        expect(parseCommand(text)).toEqual({ kind: 'run', target, refreshCache });
      }),
      { numRuns: 500 },
    );
  });

  it('a parsed target described and parsed again is the same target (parse, then describe)', () => {
    let runs = 0;
    fc.assert(
      fc.property(grammarText, (text) => {
        const first = parseCommand(text);
        if (first.kind !== 'run') return;
        runs++;
        const again = parseCommand(`run ${describeTarget(first.target)}`);
        expect(again).toEqual({ kind: 'run', target: first.target, refreshCache: false });
      }),
      { numRuns: 1000 },
    );
    // The grammar texts must reach the run branch often enough for the property to mean something.
    expect(runs).toBeGreaterThan(20);
  });

  const wordArb = fc.oneof(
    fc.constantFrom('run', 'RUN', 'status', 'help', '--check', '--check=', '--all', '--refresh-cache', '\u2014all', '-x', '!', ',', '"', A, B.toUpperCase()),
    fc.string({ unit: grammarChar, maxLength: 8 }),
  );
  const grammarText = fc.oneof(
    fc.array(wordArb, { maxLength: 12 }).map((words) => words.join(' ')),
    fc.array(wordArb, { maxLength: 12 }).map((words) => `run ${words.join(' ')}`),
    fc.array(wordArb, { maxLength: 12 }).map((words) => `run ${words.join('')}`),
  );

  it.each([
    ['fc.string()', fc.string()],
    ['full Unicode', fc.string({ unit: 'binary' })],
    ['graphemes', fc.string({ unit: 'grapheme', maxLength: 40 })],
    ['run + full Unicode', fc.string({ unit: 'binary' }).map((s) => `run ${s}`)],
    ['grammar characters', grammarText],
    ['long input', fc.string({ unit: grammarChar, minLength: 900, maxLength: 1200 }).map((s) => `run ${s}`)],
  ])('never throws and returns a valid command or an error, on %s', (_name, arb) => {
    fc.assert(
      fc.property(arb as fc.Arbitrary<string>, (text) => {
        expectValid(parseCommand(text));
      }),
      { numRuns: 400 },
    );
  });
});
