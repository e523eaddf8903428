/**
 * The app's secrets (tokens, keys, a proxy's password), kept out of everything it writes: log lines,
 * and, as a last guard at the Slack edge, whatever it sends. Outside text (a check's error, Checkly's
 * message) could quote one of them, for instance a check that calls Checkly's own API with the same
 * key, or a monitored URL with its own key in the query string.
 */
import { scrubUrls } from './urls';

/** What stands where a secret was. */
const MARK = '[REDACTED]';
/** Shorter values are not secrets worth the name, and would blank out ordinary words. */
const MIN_LENGTH = 6;

export class Secrets {
  static readonly none = new Secrets([]);
  private readonly values: readonly string[];

  constructor(values: ReadonlyArray<string | undefined>) {
    this.values = values.filter((s): s is string => typeof s === 'string' && s.length >= MIN_LENGTH);
  }

  /** `text` with every secret replaced, as written and as JSON escapes it. */
  scrubText(text: string): string {
    let out = text;
    for (const secret of this.values) {
      if (out.includes(secret)) out = out.split(secret).join(MARK);
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(MARK);
    }
    return out;
  }

  /**
   * `value` with every secret replaced in every field, and every URL's secret-looking parameters by
   * `•••` (shared/urls.ts); the same object when nothing matched.
   */
  scrub<T>(value: T): T {
    const json = JSON.stringify(value);
    if (json === undefined) return value;
    const scrubbed = scrubUrls(this.scrubText(json));
    return scrubbed === json ? value : (JSON.parse(scrubbed) as T);
  }
}
