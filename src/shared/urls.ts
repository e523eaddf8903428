/**
 * Monitored URLs as the app may show them. A check's URL, its errors and its log quote the URLs it
 * called, query string included, and APIs take keys there (`?api_key=…`, signed links' `X-Amz-…`):
 * the value of every parameter whose name looks secret is shown as `•••`, and `user:password@` is
 * dropped. The rest of the URL stays as Checkly gave it, so that a person still recognises it.
 */

export const SCRUBBED = '•••';

/** Names that look secret: any of these words anywhere in the name (`api_key`, `access_token`), or AWS's signed-URL parameters. */
const SECRET_NAME = /key|token|secret|password|auth|signature|sig|session|^x-amz-/i;
/** An http(s) URL in running text: it ends at white space, a quote, Slack's `|` and `>`, or a JSON escape. */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`|\\]+/gi;
/** Punctuation that ends a sentence rather than the URL in it. */
const TRAILING = /[.,;:!?)\]}]+$/;

/** `url` with its secret-looking parameters' values as `•••` and without `user:password@`. */
export function scrubUrl(url: string): string {
  const authority = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*@)?/i.exec(url);
  const out = authority ? `${authority[1]}${url.slice(authority[0].length)}` : url;
  const query = out.search(/[?#]/);
  if (query < 0) return out;
  // Both the query and the fragment carry parameters (OAuth answers put `access_token` in the fragment).
  // Pieces are split at `&` and `;`, so that `&amp;` (Slack's escape of `&`) splits them too.
  const params = out
    .slice(query)
    .replace(/([?#&;])([^=&;#?]+)=([^&;#]*)/g, (whole, separator: string, name: string, value: string) =>
      value !== '' && SECRET_NAME.test(decoded(name)) ? `${separator}${name}=${SCRUBBED}` : whole,
    );
  return out.slice(0, query) + params;
}

/** `text` with every http(s) URL in it scrubbed (scrubUrl); the text around them as it was. */
export function scrubUrls(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (found) => {
    const trailing = TRAILING.exec(found)?.[0] ?? '';
    return scrubUrl(found.slice(0, found.length - trailing.length)) + trailing;
  });
}

function decoded(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * A message's link in Slack's permalink form, built from the workspace URL auth.test gave at
 * start-up, so that it costs no Slack call: `https://team.slack.com/archives/C…/p1700000000000100`,
 * with the thread for a reply. Undefined without the workspace URL.
 */
export function messageLink(workspaceUrl: string | undefined, message: { channel: string; ts: string; threadTs?: string }): string | undefined {
  if (workspaceUrl === undefined) return undefined;
  const base = `${workspaceUrl.replace(/\/+$/, '')}/archives/${message.channel}/p${message.ts.replace('.', '')}`;
  return message.threadTs !== undefined ? `${base}?thread_ts=${message.threadTs}&cid=${message.channel}` : base;
}
