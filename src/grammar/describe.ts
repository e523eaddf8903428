import { DASHES, DOUBLE_QUOTES, isWhitespace, quoteFamily } from './tokenize';
import type { Target } from '../runs/types';

/**
 * The target in `/checkly run` form, so that `parseCommand('run ' + describeTarget(t))` gives `t` back:
 * groups by space, tags by comma, then `--check <id>` for each ID, or `--all`.
 */
export function describeTarget(target: Target): string {
  if (target.all) return '--all';
  const groups = target.tags.map((group) => group.map(quoteTag).join(','));
  const checks = target.checkIds.map((id) => `--check ${id}`);
  return [...groups, ...checks].join(' ');
}

function quoteTag(tag: string): string {
  return needsQuotes(tag) ? quoted(tag) : tag;
}

/** Whatever the tokenizer would split on, or read as a flag. */
function needsQuotes(tag: string): boolean {
  if (tag !== '' && DASHES.includes(tag.charAt(0))) return true;
  for (const ch of tag) {
    if (ch === ',' || isWhitespace(ch) || quoteFamily(ch) !== undefined) return true;
  }
  return false;
}

/**
 * Double quotes around everything but double quotes, which go inside single quotes. The tokenizer
 * joins adjacent quoted parts into one tag, so `a"b` becomes `"a"'"'"b"`.
 */
function quoted(tag: string): string {
  let out = '';
  let run = '';
  let runIsDouble = false;
  const flush = (): void => {
    if (run !== '') out += runIsDouble ? `'${run}'` : `"${run}"`;
    run = '';
  };
  for (const ch of tag) {
    const isDouble = DOUBLE_QUOTES.includes(ch);
    if (isDouble !== runIsDouble) {
      flush();
      runIsDouble = isDouble;
    }
    run += ch;
  }
  flush();
  return out;
}
