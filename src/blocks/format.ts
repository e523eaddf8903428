/** Durations, dates and counts as the messages show them. */

/** `850ms`, `4.2s`, `42s`, `1m 12s`, `2m`, `1h 5m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0ms';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(tenths % 10 === 0 ? 0 : 1)}s`;
  const seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  return rest > 0 ? `${minutes}m ${rest}s` : `${minutes}m`;
}

/**
 * Slack's date token: each reader sees the time in their own time zone; clients that cannot
 * render it show the ISO fallback.
 */
export function slackDate(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000);
  const fallback = new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
  return `<!date^${seconds}^{date_short_pretty} {time}|${fallback}>`;
}

/** `1 check`, `2 checks`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}
