/**
 * Making outside text (check names, tags, error messages, user input) safe inside Slack mrkdwn.
 *
 * Slack gives `&`, `<` and `>` a meaning (`<!channel>`, `<@U123>`, `<url|text>`); escaping those three
 * is what Slack asks for and is enough to keep a hostile name from pinging anyone or forging a link.
 * Lengths are UTF-16 code units, as Slack's limits are checked on the JSON string: counting them
 * is never more generous than counting characters.
 */

const ELLIPSIS = '…';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

export function escapeMrkdwn(s: string): string {
  return s.replace(/[&<>]/g, (c) => ENTITIES[c] ?? c);
}

/**
 * Escapes, then keeps the result within `max`: the cut falls between source code points, so it never
 * splits an entity (`&amp;`) or a surrogate pair, which a truncate after escaping could do.
 */
export function escapeTruncated(s: string, max: number): string {
  const escaped = escapeMrkdwn(s);
  if (escaped.length <= max) return escaped;
  if (max <= 0) return '';
  let out = '';
  for (const codePoint of s) {
    const piece = ENTITIES[codePoint] ?? codePoint;
    if (out.length + piece.length + ELLIPSIS.length > max) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/** Collapses newlines and runs of whitespace: a row must stay one row, and `>` cannot start a quote. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Inline code for outside text. A backtick would end the span early, and mrkdwn has no escape for it,
 * so it becomes a look-alike (U+02CB); `&`, `<`, `>` are escaped as everywhere else.
 */
export function codeSpan(s: string, max: number): string {
  const body = escapeTruncated(oneLine(s).replace(/`/g, 'ˋ'), max - 2);
  return `\`${body === '' ? ' ' : body}\``;
}

/** Only web links: anything else (`javascript:`, `slack://`) is shown as text. */
export function isWebUrl(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url);
}

/**
 * `<url|text>`. The URL must not contain `|` (everything after the first `|` is the label, so a `|` in
 * a URL could show one address and open another), nor `<` or `>` (which end the link); these are
 * percent-encoded and `&` is written `&amp;` as Slack expects. The label is escaped, so it cannot
 * close the link or start a mention. A URL that is not http(s) or is longer than `maxUrl` gives the
 * label alone.
 */
export function link(url: string, text: string, maxText = 200, maxUrl = 1000): string {
  const label = escapeTruncated(oneLine(text), maxText) || escapeMrkdwn(url.slice(0, maxText));
  if (!isWebUrl(url)) return label;
  const safeUrl = url.replace(/&/g, '&amp;').replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
  return safeUrl.length > maxUrl ? label : `<${safeUrl}|${label}>`;
}

/** A Slack user mention when `id` looks like a user id; otherwise the escaped text, which pings nobody. */
export function mentionUser(id: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(id) ? `<@${id}>` : escapeTruncated(oneLine(id), 40);
}
