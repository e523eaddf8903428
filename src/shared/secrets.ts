/**
 * A last guard at the Slack edge: outside text (a check's error, Checkly's message) could quote one of
 * our secrets, for instance a check that calls Checkly's own API with the same key, or a monitored
 * URL with its own key in the query string. Whatever is about to be sent is scrubbed as a whole, in
 * every field, the way log lines are.
 */
import { scrub } from './log';
import { scrubUrls } from './urls';

/**
 * `value` with every secret replaced by `[REDACTED]` and every URL's secret-looking parameters by
 * `•••` (shared/urls.ts); the same object when nothing matched.
 */
export function redactSecrets<T>(value: T, secrets: readonly string[]): T {
  const usable = secrets.filter((s) => s.length >= 6);
  const json = JSON.stringify(value);
  if (json === undefined) return value;
  const scrubbed = scrubUrls(scrub(json, usable));
  return scrubbed === json ? value : (JSON.parse(scrubbed) as T);
}
