/**
 * Adversarial text for the fuzz tests: what a careless paste or a hostile person puts in a command,
 * a check name or an error message. Pieces are joined at random with arbitrary Unicode in between.
 */
import fc from 'fast-check';

/** Slack mrkdwn that would ping, link or format if it got through unescaped. */
export const MRKDWN_PIECES = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<!here|here>',
  '<@U1>',
  '<@U0BOSS|boss>',
  '<#C1>',
  '<#C1|general>',
  '<!subteam^S1>',
  '<!subteam^S1|@oncall>',
  '<!date^1700000000^{date}|x>',
  '<https://evil.example|click>',
  '<javascript:alert(1)|x>',
  '<mailto:a@b.c>',
  '*',
  '_',
  '~',
  '`',
  '```',
  '>',
  '> quote',
  '&',
  '&amp;',
  '&lt;',
  '&gt;',
  '&lt;!channel&gt;',
  '|',
  '\\',
  ':skull:',
];

/** Characters that fool readers and naive code: controls, NUL, bidi marks, separators, BOM. */
export const TRICKY_CHARS = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\u0008',
  '\u001B',
  '\u001B[31m',
  '\u007F',
  '\u0085',
  '\u009B',
  '\u200B',
  '\u200E',
  '\u200F',
  '\u202A',
  '\u202E',
  '\u2066',
  '\u2069',
  '\u061C',
  '\u2028',
  '\u2029',
  '\uFEFF',
  '\u00A0',
  '\u3000',
  '\t',
  '\n',
  '\r\n',
  '\v',
  '\f',
];

/** Emoji and astral characters, whole (a pair) and broken (a lone half). */
export const ASTRAL = ['😀', '👩‍👩‍👧‍👦', '🇺🇳', '🏳️‍🌈', '𝕏', '\u{10FFFF}', 'é', 'ﷺ', 'ß'];
export const LONE_SURROGATES = ['\uD83D', '\uDE00', '\uDBFF', '\uDC00'];

/** The command grammar's own characters and words. */
export const GRAMMAR_PIECES = [
  ' ',
  ',',
  '!',
  '=',
  '"',
  "'",
  '\u201C',
  '\u201D',
  '\u2018',
  '\u2019',
  '-',
  '--',
  '\u2013',
  '\u2014',
  '--check',
  '--check=',
  '--all',
  '--refresh-cache',
  'run',
  'status',
  'help',
  'prod',
  'api',
  '3f1e2a9c-0b4d-4c6e-9f7a-1b2c3d4e5f60',
];

const piece = (lone: boolean): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...MRKDWN_PIECES), weight: 4 },
    { arbitrary: fc.constantFrom(...TRICKY_CHARS), weight: 3 },
    { arbitrary: fc.constantFrom(...ASTRAL, ...(lone ? LONE_SURROGATES : [])), weight: 2 },
    { arbitrary: fc.constantFrom(...GRAMMAR_PIECES), weight: 3 },
    { arbitrary: fc.string({ unit: lone ? 'binary' : 'binary-ascii', maxLength: 8 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }), weight: 1 },
  );

/** Short hostile text (up to ~60 pieces). `lone`: may hold lone surrogates. */
export function hostileText(options: { lone?: boolean; maxPieces?: number } = {}): fc.Arbitrary<string> {
  return fc.array(piece(options.lone ?? true), { maxLength: options.maxPieces ?? 60 }).map((parts) => parts.join(''));
}

/** At least `minLength` code points (10 k by default): a hostile piece repeated, cut between code points. */
export function hugeText(minLength = 10_240, options: { lone?: boolean } = {}): fc.Arbitrary<string> {
  return hostileText({ lone: options.lone, maxPieces: 20 })
    .map((s) => [...s])
    .filter((points) => points.length > 0)
    .map((points) => Array.from({ length: minLength }, (_, i) => points[i % points.length]).join(''));
}

/** A lone surrogate anywhere: what a cut through a pair leaves behind. */
export function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
