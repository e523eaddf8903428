/**
 * Splits command text into whitespace-separated tokens, keeping quoted parts whole.
 * Shared with `describeTarget` (describe.ts), which must quote exactly what this tokenizer would split.
 */

/**
 * Slack clients turn typed quotes into smart quotes, and some keyboards produce the closing form at
 * both ends, so any quote of a family closes a quote opened by any other of the same family.
 */
export const DOUBLE_QUOTES = '"\u201C\u201D'; // " “ ”
const SINGLE_QUOTES = "'\u2018\u2019"; // ' ‘ ’
/** macOS and iOS turn a typed `--` into an en or em dash, so a flag may arrive as `—all`. */
export const DASHES = '-\u2013\u2014'; // - – —

/** One stretch of a token, quoted or not: commas split tags only outside quotes. */
export interface Segment {
  text: string;
  quoted: boolean;
}

export interface Token {
  /** The token exactly as typed, for error messages. */
  raw: string;
  segments: Segment[];
}

export type Tokenized =
  | { ok: true; tokens: Token[] }
  /** `from` is the text from the unclosed quote to the end. */
  | { ok: false; from: string };

const WHITESPACE = /\s/u;

export function isWhitespace(ch: string): boolean {
  return WHITESPACE.test(ch);
}

export function quoteFamily(ch: string): string | undefined {
  if (DOUBLE_QUOTES.includes(ch)) return DOUBLE_QUOTES;
  if (SINGLE_QUOTES.includes(ch)) return SINGLE_QUOTES;
  return undefined;
}

export function tokenize(text: string): Tokenized {
  const tokens: Token[] = [];
  let segments: Segment[] = [];
  let buffer = '';
  let family: string | undefined; // set while inside quotes
  let tokenStart = -1;
  let quoteStart = 0;

  const endSegment = (quoted: boolean): void => {
    if (quoted || buffer !== '') segments.push({ text: buffer, quoted });
    buffer = '';
  };
  const endToken = (end: number): void => {
    endSegment(false);
    if (segments.length > 0) tokens.push({ raw: text.slice(tokenStart, end), segments });
    segments = [];
    tokenStart = -1;
  };

  let i = 0;
  for (const ch of text) {
    if (family !== undefined) {
      if (family.includes(ch)) {
        endSegment(true);
        family = undefined;
      } else {
        buffer += ch;
      }
    } else if (isWhitespace(ch)) {
      if (tokenStart >= 0) endToken(i);
    } else {
      if (tokenStart < 0) tokenStart = i;
      const opened = quoteFamily(ch);
      if (opened !== undefined) {
        endSegment(false);
        family = opened;
        quoteStart = i;
      } else {
        buffer += ch;
      }
    }
    i += ch.length;
  }
  if (family !== undefined) return { ok: false, from: text.slice(quoteStart) };
  if (tokenStart >= 0) endToken(text.length);
  return { ok: true, tokens };
}
