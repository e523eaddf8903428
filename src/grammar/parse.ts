import type { Target } from '../runs/types';
import { UUID } from '../shared/uuid';
import { truncate } from '../shared/truncate';
import { DASHES, tokenize, type Token } from './tokenize';
import { DEFAULT_COMMAND, checksUsage, failingUsage, historyUsage, runUsage, statusUsage } from './usage';

/*
 * Limits on `/checkly run`. Checkly documents none, so these bound what a person plausibly types and what
 * the run message has to echo back: the target is shown in a section (3,000 characters at most, and
 * escaping `&<>` makes text longer), and anything larger than this is almost surely a paste accident.
 * Lengths count Unicode code points, as a person would.
 */
/** A long expression is a handful of tags and IDs; 1,000 leaves room for ~25 UUIDs. */
export const MAX_TEXT_LENGTH = 1000;
/** Real tags are short words; 100 covers any sensible one and keeps the echoed target readable. */
export const MAX_TAG_LENGTH = 100;
/** Each group is a separate OR branch; beyond 20 a tag that names the set is the better tool. */
export const MAX_GROUPS = 20;
export const MAX_TAGS_PER_GROUP = 20;
/** Listing checks one by one is for a few; more should share a tag. 20 also fits in MAX_TEXT_LENGTH twice over. */
export const MAX_CHECK_IDS = 20;
/** Search words are a few words of a check's name or tags; longer is a paste accident. */
export const MAX_SEARCH_LENGTH = 100;
/** How much of an offending piece of input an error message quotes. */
const MAX_QUOTED_LENGTH = 50;

export type Command =
  /** `unknown`: the subcommand typed, when it was not one we know (at most MAX_QUOTED_LENGTH characters). */
  | { kind: 'help'; unknown?: string }
  | { kind: 'status' }
  | { kind: 'run'; target: Target; refreshCache: boolean }
  /** `/checkly` alone or `/checkly run` with nothing after it: the picker modal. */
  | { kind: 'pick' }
  /** `/checkly checks <words>`: the checks whose name or tags contain the words. */
  | { kind: 'checks'; words: string }
  /** `/checkly failing`: the checks failing or degraded right now. */
  | { kind: 'failing' }
  /** `/checkly history <target>`: the target's last runs in this channel. */
  | { kind: 'history'; target: Target };

/** `problem` names the offending input (not escaped: the renderer escapes); `usage` shows the right form. */
export interface ParseError {
  kind: 'error';
  problem: string;
  usage: string;
}

/** Parses the text after the slash command. `command` is only used in the usage text. */
export function parseCommand(text: string, command: string = DEFAULT_COMMAND): Command | ParseError {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'pick' };
  const [word = '', ...rest] = trimmed.split(/\s+/u);
  const subcommand = word.toLowerCase();
  const args = trimmed.slice(word.length);
  switch (subcommand) {
    case 'help':
      return { kind: 'help' };
    case 'status':
      return rest.length === 0
        ? { kind: 'status' }
        : { kind: 'error', problem: `\`status\` takes no arguments, but got ${show(args.trim())}.`, usage: statusUsage(command) };
    case 'run':
      return args.trim() === '' ? { kind: 'pick' } : parseRun(text, args, command);
    case 'checks':
      return parseSearch(args.trim(), command);
    case 'failing':
      return rest.length === 0
        ? { kind: 'failing' }
        : { kind: 'error', problem: `\`failing\` takes no arguments, but got ${show(args.trim())}.`, usage: failingUsage(command) };
    case 'history':
      return parseHistory(text, args, command);
    default:
      return { kind: 'help', unknown: truncate(word, MAX_QUOTED_LENGTH, 'codePoint') };
  }
}

/** Control characters other than whitespace, which the tokenizer has already treated as separators. */
const CONTROL = /(?![\t\n\v\f\r])\p{Cc}/u;

function parseRun(text: string, args: string, command: string): Command | ParseError {
  const fail = (problem: string): ParseError => ({ kind: 'error', problem, usage: runUsage(command) });

  const length = codePoints(text);
  if (length > MAX_TEXT_LENGTH) {
    return fail(`The command is ${length} characters long; the limit is ${MAX_TEXT_LENGTH}.`);
  }
  const tokenized = tokenize(args);
  if (!tokenized.ok) return fail(`The quote at ${show(tokenized.from)} is never closed.`);

  const tags: string[][] = [];
  const checkIds: string[] = [];
  let all = false;
  let refreshCache = false;
  const tokens = tokenized.tokens;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (!isFlag(token)) {
      const group = parseGroup(token);
      if (typeof group === 'string') return fail(group);
      tags.push(group);
      if (tags.length > MAX_GROUPS) return fail(`The expression has more than ${MAX_GROUPS} tag groups; that is the limit.`);
      continue;
    }
    const { name, value } = splitFlag(token);
    if (name === '--check') {
      let ids = value;
      if (ids === undefined) {
        const next = tokens[i + 1];
        if (next !== undefined && !isFlag(next)) {
          ids = joined(next);
          i++;
        }
      }
      if (ids === undefined || ids === '') return fail('`--check` needs a check ID (a UUID) after it.');
      const problem = addCheckIds(ids, checkIds);
      if (problem !== undefined) return fail(problem);
    } else if (name === '--all' || name === '--refresh-cache') {
      if (value !== undefined) return fail(`\`${name}\` takes no value, but got ${show(token.raw)}.`);
      if (name === '--all') all = true;
      else refreshCache = true;
    } else {
      return fail(`${show(token.raw)} is not an option of \`run\`.`);
    }
  }

  if (all && (tags.length > 0 || checkIds.length > 0)) {
    return fail('`--all` runs every check, so it cannot be combined with tags or `--check`.');
  }
  if (!all && tags.length === 0 && checkIds.length === 0) {
    return fail('`run` needs to know which checks to run: give tags or `--check <uuid>`, or `--all` to run every check.');
  }
  return { kind: 'run', target: { tags, checkIds, all }, refreshCache };
}

/** `history <target>`: a target as `run` takes it, without `--refresh-cache`. */
function parseHistory(text: string, args: string, command: string): Command | ParseError {
  const fail = (problem: string): ParseError => ({ kind: 'error', problem, usage: historyUsage(command) });
  if (args.trim() === '') return fail('`history` needs the target whose runs to show, as typed after `run`: tags, `--check <uuid>` or `--all`.');
  const parsed = parseRun(text, args, command);
  if (parsed.kind === 'error') return fail(parsed.problem.replace('is not an option of `run`', 'is not an option of `history`'));
  if (parsed.kind !== 'run') return fail('`history` needs a target.');
  if (parsed.refreshCache) return fail('`--refresh-cache` is an option of `run`, not of `history`.');
  return { kind: 'history', target: parsed.target };
}

/** The words of `checks`: required, short, printable. */
export function searchProblem(words: string): string | undefined {
  const length = codePoints(words);
  if (length > MAX_SEARCH_LENGTH) return `The search is ${length} characters long; the limit is ${MAX_SEARCH_LENGTH}.`;
  if (SEARCH_CONTROL.test(words)) return `The search ${show(words)} contains a control character.`;
  return undefined;
}

/** Any control character, tabs and newlines included: a search is one line of words. */
const SEARCH_CONTROL = /\p{Cc}/u;

function parseSearch(words: string, command: string): Command | ParseError {
  if (words === '') return { kind: 'error', problem: '`checks` needs words to look for in check names and tags.', usage: checksUsage(command) };
  const problem = searchProblem(words);
  return problem === undefined ? { kind: 'checks', words } : { kind: 'error', problem, usage: checksUsage(command) };
}

/** A flag starts with an unquoted dash; quote a tag that starts with one (`"-beta"`). */
function isFlag(token: Token): boolean {
  const first = token.segments[0];
  return first !== undefined && !first.quoted && first.text !== '' && DASHES.includes(first.text.charAt(0));
}

function splitFlag(token: Token): { name: string; value?: string } {
  const text = joined(token).replace(/^[\u2013\u2014]/u, '--');
  const eq = text.indexOf('=');
  if (eq < 0) return { name: text.toLowerCase() };
  return { name: text.slice(0, eq).toLowerCase(), value: text.slice(eq + 1) };
}

function joined(token: Token): string {
  return token.segments.map((s) => s.text).join('');
}

/** Adds comma-separated UUIDs, lower-cased and de-duplicated; returns a problem, if any. */
function addCheckIds(list: string, checkIds: string[]): string | undefined {
  for (const id of list.split(',')) {
    if (id === '') return `${show(list)} has an empty check ID: check the commas.`;
    if (!UUID.test(id)) return `${show(id)} is not a check ID; check IDs are UUIDs such as \`3f1e2a9c-0b4d-4c6e-9f7a-1b2c3d4e5f60\`.`;
    const lower = id.toLowerCase();
    if (!checkIds.includes(lower)) checkIds.push(lower);
    if (checkIds.length > MAX_CHECK_IDS) return `More than ${MAX_CHECK_IDS} check IDs given; that is the limit. Tag the checks and run the tag instead.`;
  }
  return undefined;
}

/** One AND group: tags split at unquoted commas. Returns the tags, or a problem. */
function parseGroup(token: Token): string[] | string {
  const tags: string[] = [''];
  for (const segment of token.segments) {
    const parts = segment.quoted ? [segment.text] : segment.text.split(',');
    parts.forEach((part, index) => {
      if (index > 0) tags.push('');
      tags[tags.length - 1] += part;
    });
  }
  if (tags.length > MAX_TAGS_PER_GROUP) {
    return `The tag group ${show(token.raw)} has ${tags.length} tags; the limit is ${MAX_TAGS_PER_GROUP}.`;
  }
  for (const tag of tags) {
    const problem = tagProblem(tag, token.raw);
    if (problem !== undefined) return problem;
  }
  return tags;
}

function tagProblem(tag: string, raw: string): string | undefined {
  const name = tag.startsWith('!') ? tag.slice(1) : tag;
  if (name.trim() === '') {
    return tag.startsWith('!')
      ? `${show(raw)} has a \`!\` with no tag after it; write \`!flaky\` to leave out checks tagged flaky.`
      : `${show(raw)} has an empty tag: check the commas and quotes.`;
  }
  if (CONTROL.test(tag)) return `The tag ${show(tag)} contains a control character.`;
  const length = codePoints(tag);
  if (length > MAX_TAG_LENGTH) return `The tag ${show(tag)} is ${length} characters long; the limit is ${MAX_TAG_LENGTH}.`;
  return undefined;
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Quotes a piece of input for a problem message: truncated, invisible characters made visible. */
function show(piece: string): string {
  const visible = truncate(piece, MAX_QUOTED_LENGTH, 'codePoint').replace(/[\p{Cc}]/gu, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
  return visible.includes('`') ? `"${visible}"` : `\`${visible}\``;
}
